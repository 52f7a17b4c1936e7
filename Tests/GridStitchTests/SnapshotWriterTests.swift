import Foundation
import GridCore
import Testing

@testable import GridStitch

/// The snapshot writer against a slow disk (its test-only throttle: a sleep before each fsync).
@Suite(.serialized) struct SnapshotWriterTests {
  static let canvas = GridCanvas(
    layout: GridLayout(cameras: 1), frame: FrameGeometry(width: 16, height: 16, channels: 1))

  static func folder() throws -> String {
    let path = NSTemporaryDirectory() + "gridstitch-snapshots-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// A due grid never waits for the disk: with every buffer busy it is skipped and counted, and
  /// written + lost is every grid that was due.
  @Test(.timeLimit(.minutes(1)))
  func fullQueueSkipsInsteadOfWaiting() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let writer = try SnapshotWriter(folder: folder, canvas: Self.canvas, every: 1, slowDiskMicros: 100_000)
    for grid in 1...40 { writer.gridDone(Self.canvas, grid: grid) }
    let tally = writer.finish(latest: Self.canvas)
    #expect(tally.written + tally.lost == 40)
    // At most the 8 buffers' worth (and one freed meanwhile) can have been queued.
    #expect(tally.written <= 9 && tally.lost >= 31, "\(tally)")
    #expect(tally.latest == folder + "/grid-latest.png")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder)
    #expect(names.count == tally.written + 1, "\(names)")
  }

  /// Abandoned while a write sits in its slow fsync: returns at once, counts the in-flight and
  /// queued snapshots lost, removes the temporary file, and nothing is published when the slow
  /// call returns later.
  @Test(.timeLimit(.minutes(1)))
  func abandonIsBoundedAndLeavesNothing() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let writer = try SnapshotWriter(folder: folder, canvas: Self.canvas, every: 1, slowDiskMicros: 600_000)
    for grid in 1...3 { writer.gridDone(Self.canvas, grid: grid) }
    // The writer has the first one in its fsync: its temporary file is on disk.
    let deadline = Date().addingTimeInterval(5)
    while (try FileManager.default.contentsOfDirectory(atPath: folder)).isEmpty && Date() < deadline {
      usleep(5000)
    }
    let started = Date()
    let tally = writer.abandon(latest: Self.canvas)
    let took = Date().timeIntervalSince(started)
    #expect(took < 0.5, "abandon took \(took) s: it waited for the slow write")
    #expect(tally.written == 0 && tally.lost == 3, "\(tally)")
    #expect(tally.latest == nil)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    // The slow fsyncs return; the writers see they were abandoned and publish nothing.
    usleep(1_000_000)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
  }

  /// A write that fails is reported as the one line that ends the run, naming file and errno.
  @Test(.timeLimit(.minutes(1)))
  func failureNamesTheFileAndTheError() throws {
    let folder = try Self.folder()
    let writer = try SnapshotWriter(folder: folder, canvas: Self.canvas, every: 1)
    try FileManager.default.removeItem(atPath: folder)
    writer.gridDone(Self.canvas, grid: 7)
    let deadline = Date().addingTimeInterval(5)
    while (try? writer.check()) != nil && Date() < deadline { usleep(5000) }
    #expect(
      throws: GridError.runtime(
        "snapshot \(folder)/grid-000007.png: cannot create: No such file or directory")
    ) { try writer.check() }
    writer.abandon(latest: nil)
  }
}

/// The one channel that copies grids off the stitching thread, for the snapshot writer and the
/// live view.
@Suite(.serialized) struct GridCopiesTests {
  /// A grid both want is copied once, and both hold the same copy; nothing is copied for a grid
  /// neither wants.
  @Test(.timeLimit(.minutes(1)))
  func aGridBothWantIsCopiedOnce() throws {
    let canvas = SnapshotWriterTests.canvas
    let folder = try SnapshotWriterTests.folder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let writer = try SnapshotWriter(folder: folder, canvas: canvas, every: 2)
    let feed = LiveFeed(viewFPS: 1, initialStats: "{}")
    let copies = GridCopies(canvas: canvas, snapshots: writer, live: feed)
    // Nobody watches and grid 1 is not due: no copy.
    copies.gridStitched(canvas, grid: 1)
    #expect(copies.buffersMade == 0 && feed.latestGrid() == nil)
    // Grid 2 is due and a viewer watches: one copy for both.
    feed.addViewer()
    copies.gridStitched(canvas, grid: 2)
    #expect(copies.buffersMade == 1)
    let shown = try #require(feed.latestGrid())
    #expect(shown.version == 1)
    #expect(shown.withUnsafeBytes { Array($0) } == canvas.withUnsafeBytes { Array($0) })
    // Grid 4 is due, but the view's next copy is a second away: the snapshot's copy is its own
    // (the view still holds grid 2's).
    copies.gridStitched(canvas, grid: 3)
    copies.gridStitched(canvas, grid: 4)
    #expect(copies.buffersMade == 2)
    #expect(feed.latestGrid()?.version == 1)
    let tally = writer.finish(latest: nil)
    #expect(tally.written == 2 && tally.lost == 0, "\(tally)")
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == [
        "grid-000002.png", "grid-000004.png",
      ])
  }
}
