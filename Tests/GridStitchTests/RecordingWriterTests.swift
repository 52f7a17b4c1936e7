import Foundation
import GridCore
import Testing

@testable import GridStitch

/// The recording's taker, in-process (and so under ThreadSanitizer with `make tsan`): grids offered
/// faster than the encoder is asked for them, at capture times of the test's making.
@Suite(.serialized) struct RecordingWriterTests {
  static let canvas = GridCanvas(
    layout: GridLayout(cameras: 4), frame: FrameGeometry(width: 64, height: 48, channels: 1))

  /// A grid every 10 ms for 3 s at 30 fps: one per 1/30 s slot is due (90), and each due grid
  /// is either in the file or counted left out. Offered all at once, faster than any encoder, some
  /// wait their turn and the rest are left out; none is waited for.
  @Test(.timeLimit(.minutes(1)))
  func everyDueGridIsRecordedOrCounted() throws {
    let folder = NSTemporaryDirectory() + "gridstitch-recording-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let writer = try RecordingWriter(path: folder + "/grid.mp4", canvas: Self.canvas, framesPerSecond: 30)
    let start: UInt64 = 5_000_000_000
    var due = 0
    for grid in 0..<300 {
      guard writer.wants(captureNanos: start + UInt64(grid) * 10_000_000) else { continue }
      due += 1
      writer.queue(Self.canvas.withUnsafeBytes { GridPixels(copying: $0) })
    }
    let tally = writer.finish()
    #expect(tally.recorded + tally.dropped == 90, "\(tally)")
    #expect(tally.recorded == due && tally.recorded >= writer.depth, "\(tally), \(due) queued")
    #expect(tally.cpuSeconds > 0)
    #expect(writer.finish().recorded == tally.recorded)  // once; again it only reports
    let size = try FileManager.default.attributesOfItem(atPath: folder + "/grid.mp4")[.size] as? Int ?? 0
    #expect(size > 0)
    try writer.check()
  }
}
