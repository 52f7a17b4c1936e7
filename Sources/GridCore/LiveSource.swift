import Synchronization

/// A copy of one stitched grid, handed from the pipeline to the live view.
public struct LiveGrid: Sendable {
  /// Increases with every copy, so a viewer can tell a new grid from the one it has.
  public let version: Int
  public let width: Int
  public let height: Int
  /// 1 (grey) or 3 (RGB).
  public let channels: Int
  /// Row-major, `width * height * channels` bytes; read through `withUnsafeBytes`.
  private let pixels: LivePixels

  public init(version: Int, width: Int, height: Int, channels: Int, pixels: LivePixels) {
    self.version = version
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  /// A grid holding its own copy of `pixels` (for tests and one-off grids).
  public init(version: Int, width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    let copied = pixels.withUnsafeBytes { LivePixels(copying: $0) }
    self.init(version: version, width: width, height: height, channels: channels, pixels: copied)
  }

  /// Lends the grid's pixels to `body`, and only to it.
  public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try pixels.withUnsafeBytes(body)
  }
}

/// A grid's pixels, never changed once a `LiveGrid` holds them. When the last grid holding them
/// goes, their memory goes back to the pool it came from, for a later copy: a 59 MB grid copied
/// 15 times a second into fresh memory cost the stitching thread a fault per page.
public final class LivePixels: Sendable {
  /// Owned here; written only before the pixels are handed out.
  private nonisolated(unsafe) let bytes: UnsafeMutableRawBufferPointer
  private let pool: LivePixelPool?

  /// Pixels of their own, freed with them.
  public init(copying source: UnsafeRawBufferPointer) {
    bytes = .allocate(byteCount: source.count, alignment: 64)
    bytes.copyMemory(from: source)
    pool = nil
  }

  fileprivate init(bytes: UnsafeMutableRawBufferPointer, pool: LivePixelPool) {
    self.bytes = bytes
    self.pool = pool
  }

  deinit {
    if let pool { pool.giveBack(bytes) } else { bytes.deallocate() }
  }

  func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try body(UnsafeRawBufferPointer(bytes))
  }
}

/// At most `limit` buffers of one size, reused: a copy takes a buffer no grid holds, and none is
/// made past the limit (viewers then keep the grid they have until one is given back).
public final class LivePixelPool: Sendable {
  public let byteCount: Int
  public let limit: Int
  /// Buffers no grid holds, and how many exist in all. A buffer is reached only through the lock,
  /// or through the one `LivePixels` it was handed to.
  private struct Stock: ~Copyable, @unchecked Sendable {
    var free: [UnsafeMutableRawBufferPointer] = []
    var made = 0
  }
  private let stock = Mutex(Stock())

  public init(byteCount: Int, limit: Int) {
    precondition(byteCount > 0 && limit > 0)
    self.byteCount = byteCount
    self.limit = limit
  }

  deinit {
    stock.withLock { stock in stock.free.forEach { $0.deallocate() } }
  }

  /// Pixels holding a copy of `source` (`byteCount` bytes), or nil when every buffer is held.
  public func copy(_ source: UnsafeRawBufferPointer) -> LivePixels? {
    precondition(source.count == byteCount)
    let taken: UnsafeMutableRawBufferPointer? = stock.withLock { stock in
      if let bytes = stock.free.popLast() { return bytes }
      guard stock.made < limit else { return nil }
      stock.made += 1
      return .allocate(byteCount: byteCount, alignment: 64)
    }
    guard let taken else { return nil }
    taken.copyMemory(from: source)
    return LivePixels(bytes: taken, pool: self)
  }

  /// Buffers made so far (for tests).
  public var buffersMade: Int { stock.withLock { $0.made } }

  fileprivate func giveBack(_ bytes: UnsafeMutableRawBufferPointer) {
    nonisolated(unsafe) let bytes = bytes
    stock.withLock { $0.free.append(bytes) }
  }
}

/// What the live view reads from a running pipeline. Every call is cheap and never waits for
/// the pipeline: the pipeline writes into the source, the view only reads what is there.
public protocol LiveSource: AnyObject, Sendable {
  /// The newest copied grid; nil before the first copy.
  func latestGrid() -> LiveGrid?
  /// The figures so far, one JSON object on one line (`running` false once the run has ended).
  /// Reading them asks for them: while they are read, the pipeline keeps them current; while
  /// nobody reads them (and nobody watches), it makes none.
  func statsJSON() -> String
  /// Whether the figures `statsJSON` gives are current (made within the last moments, or final);
  /// a reader that finds them stale waits a moment and reads again.
  var statsAreCurrent: Bool { get }
  /// Whether the run has ended (the figures are then final).
  var hasEnded: Bool { get }
  /// A viewer arrived: while any watch, the pipeline copies grids (at most the view rate).
  func addViewer()
  /// A viewer left.
  func removeViewer()
}

/// A web view being served: where, and how to stop it.
public protocol WebView: AnyObject, Sendable {
  /// `http://host:port/`, as a browser opens it.
  var url: String { get }
  /// Closes the port and ends every open stream; calling it again does nothing.
  func stop()
}

/// How the program serves its web views, handed to the pipeline by the executable: the
/// pipeline's modules never link the web server (GridView, with Hummingbird and swift-nio), so
/// whatever links the pipeline without the server (the fuzz targets) builds without them. Each
/// maker binds its port before it returns and throws a one-line reason when it cannot.
public struct WebViews: Sendable {
  /// Serves `source` (`run --serve`) on `host:port`, at most `framesPerSecond` frames a second.
  public let live:
    @Sendable (_ source: any LiveSource, _ host: String, _ port: Int, _ framesPerSecond: Int) throws ->
      any WebView
  /// Serves the gallery of the snapshots in `folder` (`view`) on `host:port`.
  public let gallery: @Sendable (_ folder: String, _ host: String, _ port: Int) throws -> any WebView
  /// How many times a second an open live page receives the figures.
  public let figuresPerSecond: Int

  public init(
    live: @escaping @Sendable (any LiveSource, String, Int, Int) throws -> any WebView,
    gallery: @escaping @Sendable (String, String, Int) throws -> any WebView,
    figuresPerSecond: Int
  ) {
    self.live = live
    self.gallery = gallery
    self.figuresPerSecond = figuresPerSecond
  }
}
