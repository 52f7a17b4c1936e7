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

  /// A folder `<tmp>/<prefix><pid>-XXXXXX` that names the process owning it, so a later run can
  /// remove it if that process was killed before it could (`removeAbandoned`).
  public convenience init(ownedPrefix prefix: String) throws(SyscallError) {
    try self.init(prefix: "\(prefix)\(getpid())-")
  }

  /// Removes folders `<tmp>/<prefix><pid>-…` of ours whose process is gone (SIGKILLed before its
  /// own clean-up ran); returns how many. The corresponding C functions are `kill(pid, 0)`,
  /// `stat`, `unlink` and `rmdir`.
  @discardableResult
  public static func removeAbandoned(prefix: String) -> Int {
    let base = systemTemporaryDirectory()
    var removed = 0
    for name in FileSystem.list(base) where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count)
      guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0 else { continue }
      guard kill(pid, 0) == -1, errno == ESRCH else { continue }
      let path = base + "/" + name
      var info = stat()
      guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() else {
        continue
      }
      for entry in FileSystem.list(path) { unlink(path + "/" + entry) }
      if rmdir(path) == 0 { removed += 1 }
    }
    return removed
  }

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
