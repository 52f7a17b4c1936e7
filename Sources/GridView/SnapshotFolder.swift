import GridPosix

/// The PNG snapshots and MP4 recordings in one folder, and the only way the gallery reads a file:
/// by a `.png` or `.mp4` name that is listed there, naming a regular file whose real path lies
/// directly inside the folder (GridPosix's `ContainedFolder`). `..`, encoded characters, slashes,
/// absolute paths and symlinks that lead out never match.
struct SnapshotFolder: Sendable {
  struct Entry: Sendable {
    let name: String
    /// The grid number in `grid-NNNNNN.png`; nil for other names (`grid-latest.png`).
    let grid: Int?
    /// When it was written: seconds and nanoseconds since the epoch.
    let modifiedSeconds: Int
    let modifiedNanos: Int
    let bytes: Int

    /// A recording (`run --record`), not a snapshot.
    var isRecording: Bool { name.hasSuffix(".mp4") }
  }

  /// The folder, its real path resolved: every served file lies directly inside it.
  private let folder: ContainedFolder

  init(path: String) throws(ServeError) {
    guard let folder = ContainedFolder(path: path) else {
      throw ServeError(description: "view: '\(path)' is not a folder")
    }
    self.folder = folder
  }

  /// Every snapshot and recording, newest first (by time written, then by grid number).
  func entries() -> [Entry] {
    folder.entries().compactMap(Self.snapshot).sorted {
      ($0.modifiedSeconds, $0.modifiedNanos, $0.grid ?? Int.max)
        > ($1.modifiedSeconds, $1.modifiedNanos, $1.grid ?? Int.max)
    }
  }

  /// The snapshot `name`, opened to be read in pieces; nil unless it is one of `entries()`.
  func open(_ name: String) -> FileReader? {
    guard name.hasSuffix(".png") else { return nil }
    return folder.open(named: name)
  }

  /// The recording `name`, opened to be read in pieces; nil unless it is one of `entries()`.
  func openRecording(_ name: String) -> FileReader? {
    guard name.hasSuffix(".mp4") else { return nil }
    return folder.open(named: name)
  }

  private static func snapshot(_ entry: ContainedFolder.Entry) -> Entry? {
    guard entry.name.hasSuffix(".png") || entry.name.hasSuffix(".mp4") else { return nil }
    let stem = entry.name.dropLast(4)
    let grid = stem.hasPrefix("grid-") ? Int(stem.dropFirst(5)) : nil
    return Entry(
      name: entry.name, grid: grid, modifiedSeconds: entry.modifiedSeconds,
      modifiedNanos: entry.modifiedNanos,
      bytes: entry.bytes)
  }
}
