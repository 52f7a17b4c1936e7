import CShims
import Glibc

/// The few file operations the pipeline needs; text files are written to a temporary name in
/// the same folder and renamed, so nothing is ever half-written.
public enum FileSystem {
  /// The corresponding C function is `access(F_OK)`.
  public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  /// Creates `path` and its parents (mode 0755). The corresponding C function is `mkdir`.
  public static func makeDirectories(_ path: String) throws(SyscallError) {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
      prefix += component
      if mkdir(prefix, 0o755) != 0 && Glibc.errno != EEXIST { throw SyscallError("mkdir \(prefix)") }
      prefix += "/"
    }
    var info = stat()
    if stat(path, &info) != 0 { throw SyscallError("stat \(path)") }
    if info.st_mode & S_IFMT != S_IFDIR { throw SyscallError("mkdir \(path)", .notDirectory) }
  }

  /// Proves a folder takes new files by creating and removing one.
  public static func checkWritable(_ folder: String) throws(SyscallError) {
    let probe = folder + "/.gridstitch-probe-\(getpid())"
    let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    if fd == -1 { throw SyscallError("create in \(folder)") }
    close(fd)
    unlink(probe)
  }

  /// Writes `text` to `path` through a temporary name and `rename`.
  public static func writeAtomically(_ path: String, _ text: String) throws(SyscallError) {
    var bytes = Array(text.utf8)
    try writeAtomically(path, bytes: &bytes)
  }

  public static func writeAtomically(_ path: String, bytes: inout [UInt8]) throws(SyscallError) {
    let temporary = temporaryName(for: path)
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    if fd == -1 { throw SyscallError("open \(temporary)") }
    var failure: SyscallError?
    bytes.withUnsafeBytes { raw in
      var done = 0
      while done < raw.count {
        let written = write(fd, raw.baseAddress! + done, raw.count - done)
        if written == -1 {
          if Glibc.errno == EINTR { continue }
          failure = SyscallError("write \(temporary)")
          return
        }
        done += written
      }
    }
    if failure == nil && close(fd) != 0 { failure = SyscallError("close \(temporary)") }
    if failure == nil && rename(temporary, path) != 0 { failure = SyscallError("rename \(path)") }
    if let failure {
      unlink(temporary)
      throw failure
    }
  }

  /// ".name.tmp-PID-RANDOM" beside `path`.
  public static func temporaryName(for path: String) -> String {
    var random: UInt64 = 0
    withUnsafeMutableBytes(of: &random) { _ = gs_random_bytes($0.baseAddress, $0.count) }
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    return "\(folder).\(name).tmp-\(getpid())-\(String(random, radix: 36))"
  }

  /// Names in a folder (no "." or ".."), or [] if it cannot be read.
  public static func list(_ folder: String) -> [String] {
    guard let dir = opendir(folder) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) {
        String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  public static func remove(_ path: String) { unlink(path) }
}
