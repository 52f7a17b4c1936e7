import Glibc

/// A folder whose files are handed out by name, and only so: a name is accepted if it resolves
/// (links followed) to a regular file directly inside the folder that has no other name. `..`,
/// slashes, NUL, hidden names, absolute paths, links that lead out or into a subfolder, and hard
/// links (a second name for a file that may lie anywhere on the file system) never resolve. The
/// gallery reads every file it serves through one of these.
public struct ContainedFolder: Sendable {
  /// A file the folder hands out.
  public struct Entry: Sendable, Equatable {
    /// The name it is listed under.
    public let name: String
    /// Its real path: the root, a slash, and one name without a slash.
    public let path: String
    /// When it was last written: seconds and nanoseconds since the epoch.
    public let modifiedSeconds: Int
    public let modifiedNanos: Int
    public let bytes: Int
  }

  /// The folder's real path (links resolved): every file handed out lies directly inside it.
  public let root: String

  /// The longest name accepted, in bytes (Linux's NAME_MAX).
  public static let maxNameBytes = 255

  /// Nil unless `path` resolves to a folder. The corresponding C function is `realpath`.
  public init?(path: String) {
    guard let real = Self.realPath(path), FileSystem.isDirectory(real) else { return nil }
    root = real
  }

  /// Whether `name` could name a file directly inside a folder, before anything is looked at:
  /// not empty, not hidden (so not `.` or `..`), no slash, no NUL, at most `maxNameBytes`.
  public static func isPlainName(_ name: String) -> Bool {
    let bytes = name.utf8
    return !bytes.isEmpty && bytes.count <= maxNameBytes && bytes.first != UInt8(ascii: ".")
      && !bytes.contains(UInt8(ascii: "/")) && !bytes.contains(0)
  }

  /// The names the folder lists, `.` and `..` left out; empty if it cannot be read.
  public func names() -> [String] { FileSystem.list(root) }

  /// Every listed name that resolves to a file the folder hands out: one listing, one `lstat`
  /// per name (and `realpath` and `stat` for a symbolic link).
  public func entries() -> [Entry] {
    names().compactMap(resolve)
  }

  /// The file `name` names, or nil unless it is one the folder hands out.
  public func entry(named name: String) -> Entry? { resolve(name) }

  /// The file `name` names (see `entry(named:)`), opened for reading in pieces. The checked
  /// real path is opened without following a link, and only if it is still a regular file with
  /// one name: a name swapped between the check and the open yields nothing.
  public func open(named name: String) -> FileReader? {
    guard let entry = entry(named: name), let file = try? FileReader(path: entry.path, noFollow: true),
      file.links == 1
    else { return nil }
    return file
  }

  /// The bytes of the file `name` names (see `open(named:)`), at most `limit`.
  public func read(named name: String, limit: Int) -> [UInt8]? {
    guard let file = open(named: name), file.size <= limit else { return nil }
    return try? file.read(at: 0, count: file.size)
  }

  /// The corresponding C functions are `lstat`, and for a symbolic link `realpath` and `stat`.
  private func resolve(_ name: String) -> Entry? {
    guard Self.isPlainName(name) else { return nil }
    let inside = root.hasSuffix("/") ? root : root + "/"
    var info = stat()
    guard lstat(inside + name, &info) == 0 else { return nil }
    var real = inside + name
    if info.st_mode & S_IFMT == S_IFLNK {
      guard let resolved = Self.realPath(inside + name),
        // Bytes, not characters: String's `hasPrefix` equates canonically equivalent names.
        resolved.utf8.starts(with: inside.utf8), resolved.utf8.count > inside.utf8.count,
        !resolved.utf8.dropFirst(inside.utf8.count).contains(UInt8(ascii: "/")),
        stat(resolved, &info) == 0
      else { return nil }
      real = resolved
    }
    guard info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1 else { return nil }
    return Entry(
      name: name, path: real, modifiedSeconds: Int(info.st_mtim.tv_sec),
      modifiedNanos: Int(info.st_mtim.tv_nsec), bytes: Int(info.st_size))
  }

  /// The corresponding C function is `realpath`.
  private static func realPath(_ path: String) -> String? {
    guard !path.utf8.contains(0), let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}
