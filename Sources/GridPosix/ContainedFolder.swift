import Glibc

/// A folder whose files are handed out by name, and only so: a name is accepted if the folder
/// lists it and it resolves (links followed) to a regular file directly inside the folder. `..`,
/// slashes, NUL, hidden names, absolute paths and links that lead out or into a subfolder never
/// resolve. The gallery reads every file it serves through one of these.
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

  /// Every listed name that resolves to a regular file directly inside the folder.
  public func entries() -> [Entry] {
    let listed = names()
    return listed.compactMap { resolve($0, listed: listed) }
  }

  /// The file `name` names, or nil unless the folder lists it and it resolves to a regular file
  /// directly inside the folder.
  public func entry(named name: String) -> Entry? {
    guard Self.isPlainName(name) else { return nil }
    return resolve(name, listed: names())
  }

  /// The bytes of the file `name` names (see `entry(named:)`), at most `limit`. The checked real
  /// path is opened without following a link, and only if it is still a regular file: a name
  /// swapped between the check and the read yields nothing.
  public func read(named name: String, limit: Int) -> [UInt8]? {
    guard let entry = entry(named: name) else { return nil }
    return try? FileSystem.readRegularFile(entry.path, limit: limit, noFollow: true)
  }

  /// The corresponding C functions are `realpath` and `stat`.
  private func resolve(_ name: String, listed: [String]) -> Entry? {
    guard Self.isPlainName(name), listed.contains(name), let real = Self.realPath(root + "/" + name)
    else { return nil }
    let inside = root.hasSuffix("/") ? root : root + "/"
    // Bytes, not characters: String's `hasPrefix` equates canonically equivalent names.
    guard real.utf8.starts(with: inside.utf8), real.utf8.count > inside.utf8.count,
      !real.utf8.dropFirst(inside.utf8.count).contains(UInt8(ascii: "/"))
    else { return nil }
    var info = stat()
    guard stat(real, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
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
