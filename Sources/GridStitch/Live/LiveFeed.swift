import Atomics
import GridCore
import GridPosix

/// The hand-over point between the stitching thread and the live view: a lock box holding the
/// newest grid copy and the figures so far. The stitching thread calls `gridStitched` after each
/// grid and never waits for a viewer: with nobody watching and nobody reading the figures it
/// reads two atomics and the clock, and makes nothing; with viewers it takes a copy of the grid
/// (`wantsCopy`, `publish`: from `GridCopies`, the channel it shares with the snapshot writer) at
/// most `--view-fps` times a second, and while the figures are read (the page's events,
/// `/stats.json`) it makes them `statsPerSecond` times a second. The view's threads only read what
/// is in the box.
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

  /// The copies the view may hold at once: the published grid, one being encoded as a JPEG, one
  /// as a PNG, and one being copied into.
  static let copiesHeld = 4

  init(viewFPS: Int, initialStats: String) {
    copyPeriod = 1_000_000_000 / UInt64(viewFPS)
    stats = initialStats
  }

  // MARK: the stitching thread

  /// After each grid: `figures` is called at most `statsPerSecond` times a second while they are
  /// read (within the last `readersKeepNanos`) or someone watches.
  func gridStitched(figures: () -> String) {
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
  }

  /// After each grid: whether the view wants a copy of it (someone watches, and the last copy is
  /// `1 / --view-fps` old). A `true` is answered by `publish`, or by nothing when no copy could
  /// be made (viewers keep the grid they have).
  func wantsCopy() -> Bool {
    guard viewers.load(ordering: .relaxed) > 0 else { return false }
    let now = MonotonicClock.nanos()
    guard now >= nextCopy else { return false }
    nextCopy = now + copyPeriod
    return true
  }

  /// Shows `pixels`, a copy of `canvas`, to viewers from now on.
  func publish(_ pixels: GridPixels, of canvas: GridCanvas) {
    version += 1
    let copied = LiveGrid(
      version: version, width: canvas.width, height: canvas.height, channels: canvas.frame.channels,
      pixels: pixels)
    lock.withLock { grid = copied }
  }

  /// The run has ended: the last grid and the final figures stay for viewers (and `--linger`).
  func finish(canvas: GridCanvas, figures: String) {
    publish(canvas.withUnsafeBytes { GridPixels(copying: $0) }, of: canvas)
    lock.withLock {
      stats = figures
      ended = true
    }
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
