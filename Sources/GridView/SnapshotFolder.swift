import Foundation
import GridPosix

/// The PNG snapshots in one folder, and the only way the gallery reads a file: by a name that is
/// listed there, naming a regular file whose real path lies inside the folder. `..`, encoded
/// characters, slashes, absolute paths and symlinks that lead out never match.
struct SnapshotFolder: Sendable {
  struct Entry: Sendable {
    let name: String
    /// The grid number in `grid-NNNNNN.png`; nil for other names (`grid-latest.png`).
    let grid: Int?
    let modified: Date
    let bytes: Int
  }

  /// The folder's real path (symlinks resolved), the root every served file must lie under.
  let root: String

  init(path: String) throws(ServeError) {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue,
      let real = Self.realPath(path)
    else {
      throw ServeError(description: "view: '\(path)' is not a folder")
    }
    root = real
  }

  /// Every snapshot, newest first (by time written, then by grid number).
  func entries() -> [Entry] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    return names.compactMap(entry(named:)).sorted {
      ($0.modified, $0.grid ?? Int.max) > ($1.modified, $1.grid ?? Int.max)
    }
  }

  /// The bytes of the snapshot `name`, or nil unless it is one of `entries()`.
  func contents(of name: String) -> Data? {
    // The checked path is read once, not followed if it became a link since, and only if it is
    // still a regular file: a name swapped between the check and the read serves nothing.
    guard let entry = entry(named: name), let real = Self.realPath(root + "/" + entry.name),
      real.hasPrefix(root + "/"),
      let bytes = try? FileSystem.readRegularFile(real, limit: Self.largestSnapshot, noFollow: true)
    else { return nil }
    return Data(bytes)
  }

  /// A 1 GiB grid encodes to no more than this.
  static let largestSnapshot = 2 << 30

  private func entry(named name: String) -> Entry? {
    guard name.hasSuffix(".png"), !name.hasPrefix("."), !name.contains("/"), name.utf8.count < 256 else {
      return nil
    }
    let path = root + "/" + name
    // A name is served only if it is really in the folder's listing, and resolves to a regular
    // file inside the folder.
    guard (try? FileManager.default.contentsOfDirectory(atPath: root))?.contains(name) == true,
      let real = Self.realPath(path), real.hasPrefix(root + "/"),
      let attributes = try? FileManager.default.attributesOfItem(atPath: real),
      attributes[.type] as? FileAttributeType == .typeRegular
    else { return nil }
    let stem = name.dropLast(4)
    let grid = stem.hasPrefix("grid-") ? Int(stem.dropFirst(5)) : nil
    return Entry(
      name: name, grid: grid, modified: attributes[.modificationDate] as? Date ?? .distantPast,
      bytes: (attributes[.size] as? NSNumber)?.intValue ?? 0)
  }

  private static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}
