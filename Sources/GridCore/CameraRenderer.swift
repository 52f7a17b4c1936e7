/// Renders frame `seq` of camera `i`: a crop of the scene at an offset given by the camera's place
/// in the grid, panning with `seq`, with "C07 F000123" burned into the top-left corner.
/// A pure function of `(i, seq)`: rendering twice gives identical bytes.
public struct CameraRenderer: Sendable {
  public let scene: Scene
  public let geometry: FrameGeometry
  public let layout: GridLayout
  /// The label's prepared box and glyphs; nil on frames too small to hold it unclipped.
  let stamp: FrameStamp?

  /// Pixels the view moves per frame, horizontally and vertically.
  public static let pan = (x: 3, y: 1)

  public init(scene: Scene, geometry: FrameGeometry, cameras: Int) throws(GridError) {
    guard scene.channels == geometry.channels else {
      throw .runtime("scene has \(scene.channels) channels but frames have \(geometry.channels)")
    }
    self.scene = scene
    self.geometry = geometry
    self.layout = GridLayout(cameras: cameras)
    self.stamp = FrameStamp(geometry: geometry, cameras: cameras)
  }

  /// Top-left corner of camera's view of the scene for frame `seq` (wrapping at the scene's edges).
  public func origin(camera: Int, seq: UInt64) -> (x: Int, y: Int) {
    let (row, col) = layout.cell(of: camera)
    let baseX = col * scene.width / layout.cols
    let baseY = row * scene.height / layout.rows
    let x = (baseX + Int(seq % UInt64(scene.width)) * Self.pan.x) % scene.width
    let y = (baseY + Int(seq % UInt64(scene.height)) * Self.pan.y) % scene.height
    return (x, y)
  }

  public func render(camera: Int, seq: UInt64, into frame: UnsafeMutableRawBufferPointer) {
    precondition(frame.count >= geometry.bytesPerFrame, "frame buffer too small")
    let channels = geometry.channels
    let rowBytes = geometry.bytesPerRow
    let sceneRowBytes = scene.width * channels
    let (x0, y0) = origin(camera: camera, seq: seq)
    let destination = frame.baseAddress!
    scene.withUnsafePixels { pixels in
      let sceneBase = pixels.baseAddress!
      var sy = y0
      for y in 0..<geometry.height {
        let rowStart = sceneBase + sy * sceneRowBytes
        var written = 0
        var sx = x0
        while written < rowBytes {
          let run = min(rowBytes - written, (scene.width - sx) * channels)
          (destination + y * rowBytes + written).copyMemory(from: rowStart + sx * channels, byteCount: run)
          written += run
          sx = 0
        }
        sy += 1
        if sy == scene.height { sy = 0 }
      }
    }
    stamp(camera: camera, seq: seq, into: frame)
  }

  /// Burns "C07 F000123" into the corner: from the prepared stamp, or with the font where the
  /// box would be clipped.
  private func stamp(camera: Int, seq: UInt64, into frame: UnsafeMutableRawBufferPointer) {
    if let stamp, camera < stamp.cameras {
      stamp.draw(camera: camera, seq: seq, into: frame.baseAddress!, rowBytes: geometry.bytesPerRow)
      return
    }
    let scale = FrameStamp.scale(for: geometry)
    BitmapFont.draw(
      FrameStamp.label(camera: camera, seq: seq), into: frame, width: geometry.width, height: geometry.height,
      channels: geometry.channels, x: 2 * scale, y: 2 * scale, scale: scale)
  }
}
