import Atomics
import GridCore
import GridPosix

/// The hand-over point between the stitching thread and the live view: a lock box holding the
/// newest grid copy and the figures so far. The stitching thread calls `gridStitched` after each
/// grid and never waits for a viewer: with nobody watching and nobody reading the figures it
/// reads two atomics and the clock, and makes nothing; with viewers it copies the canvas at most
/// `--view-fps` times a second, and while the figures are read (the page's events, `/stats.json`)
/// it makes them `statsPerSecond` times a second. The view's threads only read what is in the
/// box.
final class LiveFeed: LiveSource, @unchecked Sendable {
  /// Figures refreshed per second while the run goes (the page shows four a second).
  static let statsPerSecond: UInt64 = 10

  private let viewers = ManagedAtomic<Int>(0)
  /// When the figures were last read (monotonic ns).
  private let lastRead = ManagedAtomic<UInt64>(0)
  private let lock = ConditionLock()
  // Guarded by `lock`.
  private var grid: LiveGrid?
  private var stats: String
  /// When `stats` was made (monotonic ns; 0: the initial figures).
  private var statsMade: UInt64 = 0
  private var ended = false

  // The stitching thread's own.
  private let copyPeriod: UInt64
  private var nextCopy: UInt64 = 0
  private var nextStats: UInt64 = 0
  private var version = 0
  /// The copies' memory, made once and reused: the published grid, one being encoded as a JPEG,
  /// one as a PNG, and one to copy into.
  private var pool: LivePixelPool?

  init(viewFPS: Int, initialStats: String) {
    copyPeriod = 1_000_000_000 / UInt64(viewFPS)
    stats = initialStats
  }

  // MARK: the stitching thread

  /// After each grid: `figures` is called at most `statsPerSecond` times a second while they are
  /// read (within the last `readersKeepNanos`) or someone watches; the canvas is copied only
  /// while someone watches, at most `--view-fps` times a second.
  func gridStitched(canvas: GridCanvas, figures: () -> String) {
    let now = MonotonicClock.nanos()
    if now >= nextStats,
      viewers.load(ordering: .relaxed) > 0 || now &- lastRead.load(ordering: .relaxed) < Self.readersKeepNanos
    {
      nextStats = now + Self.statsPeriod
      let text = figures()
      lock.withLock {
        stats = text
        statsMade = now
      }
    }
    if now >= nextCopy, viewers.load(ordering: .relaxed) > 0 {
      nextCopy = now + copyPeriod
      copy(canvas)
    }
  }

  /// The run has ended: the last grid and the final figures stay for viewers (and `--linger`).
  func finish(canvas: GridCanvas, figures: String) {
    copy(canvas, last: true)
    lock.withLock {
      stats = figures
      ended = true
    }
  }

  /// Copies the canvas into a buffer no viewer holds; when every one is held (encodes slower
  /// than the view rate), viewers keep the grid they have and nothing is copied, unless this is
  /// the last grid, which is always kept.
  private func copy(_ canvas: GridCanvas, last: Bool = false) {
    if pool == nil { pool = LivePixelPool(byteCount: canvas.byteCount, limit: 4) }
    let pooled = canvas.withUnsafeBytes { pool!.copy($0) }
    guard let pixels = pooled ?? (last ? canvas.withUnsafeBytes({ LivePixels(copying: $0) }) : nil) else {
      return
    }
    version += 1
    let copied = LiveGrid(
      version: version, width: canvas.width, height: canvas.height, channels: canvas.frame.channels,
      pixels: pixels)
    lock.withLock { grid = copied }
  }

  // MARK: the view's threads

  func latestGrid() -> LiveGrid? { lock.withLock { grid } }
  func statsJSON() -> String {
    lastRead.store(MonotonicClock.nanos(), ordering: .relaxed)
    return lock.withLock { stats }
  }
  var statsAreCurrent: Bool {
    let now = MonotonicClock.nanos()
    return lock.withLock { ended || (statsMade > 0 && now &- statsMade <= 2 * Self.statsPeriod) }
  }
  static let statsPeriod = 1_000_000_000 / statsPerSecond
  /// A read keeps the figures made for this long (the page reads them four times a second).
  static let readersKeepNanos: UInt64 = 2_000_000_000
  var hasEnded: Bool { lock.withLock { ended } }
  /// Viewers now: open streams and snapshot requests in flight.
  var viewerCount: Int { viewers.load(ordering: .relaxed) }
  func addViewer() { viewers.wrappingIncrement(ordering: .relaxed) }
  func removeViewer() { viewers.wrappingDecrement(ordering: .relaxed) }
}
