import GridCore

/// The one channel that takes stitched grids off the stitching thread, for the snapshot writer,
/// the live view and the recording. After each grid it asks each taker whether it wants this one (a counter,
/// an atomic and the clock: nothing is copied while neither does), copies the canvas once if any
/// does, into a buffer from one pool of reused buffers, and hands the same copy to each. The
/// takers encode and write on their own threads, and the buffer goes back to the pool when the
/// last of them lets go.
final class GridCopies {
  private let snapshots: SnapshotWriter?
  private let live: LiveFeed?
  private let recording: RecordingWriter?
  /// Enough buffers for every snapshot the writer may hold, every copy the view may hold and
  /// every grid the recording may hold, so a taker that asked for a copy is refused one only when
  /// another holds more than its share.
  private let pool: GridPixelPool

  init(canvas: GridCanvas, snapshots: SnapshotWriter?, live: LiveFeed?, recording: RecordingWriter? = nil) {
    self.snapshots = snapshots
    self.live = live
    self.recording = recording
    let limit = (snapshots?.depth ?? 0) + (live == nil ? 0 : LiveFeed.copiesHeld) + (recording?.depth ?? 0)
    pool = GridPixelPool(byteCount: canvas.byteCount, limit: max(1, limit))
  }

  /// After grid number `grid` (counting from 1), its newest tile captured at `captureNanos`, is
  /// stitched into `canvas`. Never waits.
  func gridStitched(_ canvas: GridCanvas, grid: Int, captureNanos: UInt64 = 0) {
    let forSnapshot = snapshots?.wants(grid: grid) ?? false
    let forView = live?.wantsCopy() ?? false
    let forRecording = recording?.wants(captureNanos: captureNanos) ?? false
    guard forSnapshot || forView || forRecording else { return }
    guard let pixels = canvas.withUnsafeBytes({ pool.copy($0) }) else {
      if forSnapshot { snapshots?.lose() }
      if forRecording { recording?.lose() }
      return
    }
    if forSnapshot { snapshots?.queue(pixels, grid: grid) }
    if forView { live?.publish(pixels, of: canvas) }
    if forRecording { recording?.queue(pixels) }
  }

  /// Buffers made so far (for tests): a grid both takers want costs one.
  var buffersMade: Int { pool.buffersMade }
}
