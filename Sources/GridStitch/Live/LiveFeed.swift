import Atomics
import GridCore
import GridPosix

/// The hand-over point between the stitching thread and the live view: a lock box holding the
/// newest grid copy and the figures so far. The stitching thread calls `gridStitched` after each
/// grid and never waits for a viewer: with nobody watching it reads one atomic and the clock;
/// with viewers it copies the canvas at most `--view-fps` times a second. The view's threads only
/// read what is in the box.
final class LiveFeed: LiveSource, @unchecked Sendable {
  /// Figures refreshed per second while the run goes (the page shows four a second).
  static let statsPerSecond: UInt64 = 10

  private let viewers = ManagedAtomic<Int>(0)
  private let lock = ConditionLock()
  // Guarded by `lock`.
  private var grid: LiveGrid?
  private var stats: String
  private var ended = false

  // The stitching thread's own.
  private let copyPeriod: UInt64
  private var nextCopy: UInt64 = 0
  private var nextStats: UInt64 = 0
  private var version = 0

  init(viewFPS: Int, initialStats: String) {
    copyPeriod = 1_000_000_000 / UInt64(viewFPS)
    stats = initialStats
  }

  // MARK: the stitching thread

  /// After each grid: `figures` is called at most `statsPerSecond` times a second, the canvas is
  /// copied only while someone watches, at most `--view-fps` times a second.
  func gridStitched(canvas: GridCanvas, figures: () -> String) {
    let now = MonotonicClock.nanos()
    if now >= nextStats {
      nextStats = now + 1_000_000_000 / Self.statsPerSecond
      let text = figures()
      lock.withLock { stats = text }
    }
    if now >= nextCopy, viewers.load(ordering: .relaxed) > 0 {
      nextCopy = now + copyPeriod
      copy(canvas)
    }
  }

  /// The run has ended: the last grid and the final figures stay for viewers (and `--linger`).
  func finish(canvas: GridCanvas, figures: String) {
    copy(canvas)
    lock.withLock {
      stats = figures
      ended = true
    }
  }

  private func copy(_ canvas: GridCanvas) {
    version += 1
    let copied = LiveGrid(
      version: version, width: canvas.width, height: canvas.height, channels: canvas.frame.channels,
      pixels: canvas.pixels)
    lock.withLock { grid = copied }
  }

  // MARK: the view's threads

  func latestGrid() -> LiveGrid? { lock.withLock { grid } }
  func statsJSON() -> String { lock.withLock { stats } }
  var hasEnded: Bool { lock.withLock { ended } }
  /// Viewers now: open streams and snapshot requests in flight.
  var viewerCount: Int { viewers.load(ordering: .relaxed) }
  func addViewer() { viewers.wrappingIncrement(ordering: .relaxed) }
  func removeViewer() { viewers.wrappingDecrement(ordering: .relaxed) }
}
