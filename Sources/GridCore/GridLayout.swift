/// Where each camera's tile sits in the stitched grid: row-major, `cols = ceil(sqrt(n))`,
/// `rows = ceil(n / cols)`, unused cells black.
public struct GridLayout: Hashable, Sendable {
  public let cameras: Int
  public let rows: Int
  public let cols: Int

  public init(cameras: Int) {
    precondition(cameras > 0, "a grid needs at least one camera")
    var cols = 1
    while cols * cols < cameras { cols += 1 }
    self.cameras = cameras
    self.cols = cols
    self.rows = (cameras + cols - 1) / cols
  }

  /// Row and column of `camera`'s tile.
  public func cell(of camera: Int) -> (row: Int, col: Int) {
    (camera / cols, camera % cols)
  }

  public func gridWidth(_ frame: FrameGeometry) -> Int { cols * frame.width }
  public func gridHeight(_ frame: FrameGeometry) -> Int { rows * frame.height }
  public func gridBytes(_ frame: FrameGeometry) -> Int { rows * cols * frame.bytesPerFrame }
}
