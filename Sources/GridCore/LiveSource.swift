/// A copy of one stitched grid, handed from the pipeline to the live view.
public struct LiveGrid: Sendable {
  /// Increases with every copy, so a viewer can tell a new grid from the one it has.
  public let version: Int
  public let width: Int
  public let height: Int
  /// 1 (grey) or 3 (RGB).
  public let channels: Int
  /// Row-major, `width * height * channels` bytes; read through `withUnsafeBytes`.
  private let pixels: GridPixels

  public init(version: Int, width: Int, height: Int, channels: Int, pixels: GridPixels) {
    self.version = version
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  /// A grid holding its own copy of `pixels` (for tests and one-off grids).
  public init(version: Int, width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    let copied = pixels.withUnsafeBytes { GridPixels(copying: $0) }
    self.init(version: version, width: width, height: height, channels: channels, pixels: copied)
  }

  /// Lends the grid's pixels to `body`, and only to it.
  public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try pixels.withUnsafeBytes(body)
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
