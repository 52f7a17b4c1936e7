import Glibc

/// A private folder under $TMPDIR (or /tmp), the only owner of its path: `deinit` removes the
/// files in it and the folder. Holds flat output only (a run's grid-latest.png), not a tree.
public final class TemporaryFolder {
  public let path: String

  /// Creates `<tmp>/<prefix>XXXXXX`, mode 0700. The corresponding C function is `mkdtemp`.
  public init(prefix: String) throws(SyscallError) {
    let base = Self.systemTemporaryDirectory()
    var template = Array((base + "/" + prefix + "XXXXXX").utf8CString)
    let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    if created == nil { throw SyscallError("mkdtemp \(base)/\(prefix)XXXXXX") }
    path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  private var removed = false

  /// Removes the files in it and the folder now; later calls (and `deinit`) do nothing. A socket
  /// whose file is removed keeps its connections. The corresponding C functions are `unlink` and
  /// `rmdir`.
  public func remove() {
    guard !removed else { return }
    removed = true
    for name in FileSystem.list(path) { unlink(path + "/" + name) }
    rmdir(path)
  }

  deinit { remove() }

  static func systemTemporaryDirectory() -> String {
    if let value = getenv("TMPDIR") {
      let folder = String(cString: value)
      if !folder.isEmpty {
        return folder.hasSuffix("/") && folder.count > 1 ? String(folder.dropLast()) : folder
      }
    }
    return "/tmp"
  }
}
