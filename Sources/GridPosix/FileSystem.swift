import CShims
import Glibc
import SystemPackage

/// A file that could not be read or written: its path, the step that failed (`reason`, e.g.
/// "cannot write: No space left on device") and the errno, if a call left one.
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
  public let path: String
  public let reason: String
  public let errno: Errno?

  public init(path: String, reason: String, errno: Errno? = nil) {
    self.path = path
    self.reason = reason
    self.errno = errno
  }

  /// `step: <strerror>` from the errno `call` left.
  init(path: String, step: String, errno: Errno = Errno(rawValue: Glibc.errno)) {
    self.init(path: path, reason: "\(step): \(String(cString: strerror(errno.rawValue)))", errno: errno)
  }

  public var description: String { "\(path): \(reason)" }
}

/// The few file operations the pipeline needs. Every file we write goes through `AtomicFile`:
/// a temporary name in the same folder, synced, renamed, so nothing is ever half-written.
public enum FileSystem {
  /// The corresponding C function is `access(F_OK)`.
  public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  /// Whether `path` is a directory (following links). The corresponding C function is `stat`.
  public static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
  }

  /// The permission bits of `path` (following links), or nil. The corresponding C function is
  /// `stat`.
  public static func permissions(_ path: String) -> mode_t? {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
  }

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

  /// Writes `text` to `path` atomically (see `AtomicFile`).
  public static func writeAtomically(_ path: String, _ text: String) throws(FileError) {
    let result = Array(text.utf8).withUnsafeBytes { bytes in
      Result { () throws(FileError) in try writeAtomically(path, bytes: bytes) }
    }
    try result.get()
  }

  /// Writes `bytes` to `path` atomically: a temporary file created exclusive beside it, written,
  /// synced, renamed over `path`, then the folder synced. On any failure nothing is left behind.
  public static func writeAtomically(_ path: String, bytes: UnsafeRawBufferPointer) throws(FileError) {
    let file = try AtomicFile(creating: path)
    try file.write(bytes)
    try file.sync()
    try file.commit()
  }

  /// ".name.tmp-PID-RANDOM" beside `path`: the one temporary-name scheme for every file we write.
  public static func temporaryName(for path: String) -> String {
    var random: UInt64 = 0
    withUnsafeMutableBytes(of: &random) { _ = gs_random_bytes($0.baseAddress, $0.count) }
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    return "\(folder).\(name).tmp-\(getpid())-\(String(random, radix: 36))"
  }

  /// The whole of a regular file, at most `limit` bytes. Opened non-blocking, so a FIFO or a
  /// device given as a path is refused at once instead of waiting for a writer.
  /// The corresponding C functions are `open(O_NONBLOCK)`, `fstat` and `read`.
  /// With `noFollow`, a symbolic link as the last component is refused (`O_NOFOLLOW`).
  public static func readRegularFile(_ path: String, limit: Int, noFollow: Bool = false) throws(FileError)
    -> [UInt8]
  {
    let file = try FileReader(path: path, noFollow: noFollow)
    guard file.size <= limit else {
      throw FileError(path: path, reason: "too large: \(file.size) bytes, the limit is \(limit)")
    }
    // Shrunk while we read: what is there is what we decode.
    return try file.read(at: 0, count: file.size)
  }

  /// Creates `path` with `bytes` and `mode`, refusing to overwrite anything there (a key must
  /// never replace another, nor be written through a planted link). The corresponding C
  /// function is `open(O_CREAT | O_EXCL | O_NOFOLLOW)`.
  public static func createExclusive(_ path: String, mode: mode_t, bytes: [UInt8]) throws(FileError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
    if fd == -1 { throw FileError(path: path, step: "cannot create") }
    let written = bytes.withUnsafeBytes { buffer in
      Result { try FileDescriptor(rawValue: fd).writeAll(buffer) }
    }
    let closed = close(fd)
    if case .failure(let error) = written {
      unlink(path)
      throw FileError(path: path, step: "cannot write", errno: error as? Errno ?? .ioError)
    }
    if closed != 0 {
      unlink(path)
      throw FileError(path: path, step: "cannot write")
    }
  }

  /// Names in a folder (no "." or ".."), or [] if it cannot be read.
  public static func list(_ folder: String) -> [String] {
    guard let dir = opendir(folder) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = String(cString: gs_dirent_name(entry))
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  public static func remove(_ path: String) { unlink(path) }
}

/// A file being written under a temporary name beside `path` (created exclusive, mode 0644 less
/// the umask), the only owner of that name until `commit()` renames it into place. Dropped
/// without a commit, or on any failure, it closes the descriptor and removes the temporary file.
public struct AtomicFile: ~Copyable {
  public let path: String
  /// The name it is written under; another thread may `unlink` it to abandon the write.
  public let temporaryPath: String
  private let fd: CInt
  private var done = false

  /// The corresponding C function is `open(O_CREAT | O_EXCL)`.
  public init(creating path: String, mode: mode_t = 0o644) throws(FileError) {
    let temporary = FileSystem.temporaryName(for: path)
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    if fd == -1 { throw FileError(path: path, step: "cannot create") }
    self.path = path
    self.temporaryPath = temporary
    self.fd = fd
  }

  /// Writes every byte (swift-system retries EINTR and short writes). The corresponding C
  /// function is `write`.
  public func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
    do {
      _ = try FileDescriptor(rawValue: fd).writeAll(bytes)
    } catch {
      throw FileError(path: path, step: "cannot write", errno: error as? Errno ?? .ioError)
    }
  }

  /// Writes every byte of `bytes`.
  public func write(_ bytes: [UInt8]) throws(FileError) {
    let written = bytes.withUnsafeBytes { raw in Result { () throws(FileError) in try write(raw) } }
    try written.get()
  }

  /// Makes the bytes durable before the rename, so a crash cannot publish an empty file.
  /// The corresponding C function is `fsync`.
  public func sync() throws(FileError) {
    if fsync(fd) != 0 { throw FileError(path: path, step: "cannot write") }
  }

  /// Closes, renames over `path` and syncs the folder (best effort: the rename is done).
  /// The corresponding C functions are `close`, `rename` and `fsync` on the folder.
  public consuming func commit() throws(FileError) {
    done = true
    let closed = Glibc.close(fd)
    if closed != 0 && Glibc.errno != EINTR {
      let error = FileError(path: path, step: "cannot write")
      unlink(temporaryPath)
      throw error
    }
    if rename(temporaryPath, path) != 0 {
      let error = FileError(path: path, step: "cannot rename into place")
      unlink(temporaryPath)
      throw error
    }
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dir != -1 {
      _ = fsync(dir)
      Glibc.close(dir)
    }
  }

  deinit {
    if !done {
      Glibc.close(fd)
      unlink(temporaryPath)
    }
  }
}
