/// A copy of one stitched grid, handed from the pipeline to the live view.
public struct LiveGrid: Sendable {
  /// Increases with every copy, so a viewer can tell a new grid from the one it has.
  public let version: Int
  public let width: Int
  public let height: Int
  /// 1 (grey) or 3 (RGB).
  public let channels: Int
  /// Row-major, `width * height * channels` bytes.
  public let pixels: [UInt8]

  public init(version: Int, width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    self.version = version
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }
}

/// What the live view reads from a running pipeline. Every call is cheap and never waits for
/// the pipeline: the pipeline writes into the source, the view only reads what is there.
public protocol LiveSource: AnyObject, Sendable {
  /// The newest copied grid; nil before the first copy.
  func latestGrid() -> LiveGrid?
  /// The figures so far, one JSON object on one line (`running` false once the run has ended).
  func statsJSON() -> String
  /// Whether the run has ended (the figures are then final).
  var hasEnded: Bool { get }
  /// A viewer arrived: while any watch, the pipeline copies grids (at most the view rate).
  func addViewer()
  /// A viewer left.
  func removeViewer()
}
