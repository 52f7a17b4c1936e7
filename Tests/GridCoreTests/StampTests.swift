import GridCore
import Testing

/// The prepared stamp draws exactly what the camera drew before it: the same crop, then
/// `BitmapFont.draw` of the whole label on its box. The reference below is that earlier code.
@Suite struct StampTests {
  /// The camera's frame as it was rendered before the stamp was prepared.
  static func reference(_ renderer: CameraRenderer, camera: Int, seq: UInt64) -> [UInt8] {
    let geometry = renderer.geometry
    let scene = renderer.scene
    let channels = geometry.channels
    let rowBytes = geometry.bytesPerRow
    let (x0, y0) = renderer.origin(camera: camera, seq: seq)
    var frame = [UInt8](repeating: 0x5A, count: geometry.bytesPerFrame)
    let pixels = scene.withUnsafePixels { Array($0) }
    for y in 0..<geometry.height {
      let sy = (y0 + y) % scene.height
      for x in 0..<geometry.width {
        let sx = (x0 + x) % scene.width
        for channel in 0..<channels {
          frame[y * rowBytes + x * channels + channel] =
            pixels[(sy * scene.width + sx) * channels + channel]
        }
      }
    }
    var label = "C" + String((camera / 10) % 10) + String(camera % 10) + " F"
    var digits = ""
    var n = seq
    for _ in 0..<6 {
      digits = String(n % 10) + digits
      n /= 10
    }
    label += digits
    let scale = geometry.width >= 200 ? 2 : 1
    frame.withUnsafeMutableBytes {
      BitmapFont.draw(
        label, into: $0, width: geometry.width, height: geometry.height, channels: channels, x: 2 * scale,
        y: 2 * scale, scale: scale)
    }
    return frame
  }

  static let geometries = [
    FrameGeometry(width: 320, height: 240, channels: 1), FrameGeometry(width: 320, height: 240, channels: 3),
    FrameGeometry(width: 200, height: 30, channels: 1), FrameGeometry(width: 199, height: 100, channels: 1),
    FrameGeometry(width: 69, height: 11, channels: 3), FrameGeometry(width: 60, height: 8, channels: 1),
    FrameGeometry(width: 1000, height: 17, channels: 3),
  ]

  @Test(arguments: geometries)
  func pixelIdenticalToTheFontDrawnLabel(geometry: FrameGeometry) throws {
    let scene = try FrameTests.scene(channels: geometry.channels)
    let renderer = try CameraRenderer(scene: scene, geometry: geometry, cameras: 64)
    let seqs: [UInt64] = [0, 1, 9, 10, 99, 4711, 123_456, 999_999, 1_000_000, 1_234_567, .max]
    for camera in [0, 7, 15, 42, 63] {
      for seq in seqs {
        let rendered = FrameTests.render(renderer, camera: camera, seq: seq)
        #expect(
          rendered == Self.reference(renderer, camera: camera, seq: seq),
          "\(geometry) camera \(camera) frame \(seq)")
      }
    }
  }

  /// The label really is in the frame: the digits change the pixels of their box.
  @Test func digitsAreDrawn() throws {
    let geometry = FrameGeometry(width: 320, height: 240, channels: 1)
    let renderer = try CameraRenderer(scene: FrameTests.scene(), geometry: geometry, cameras: 16)
    let one = FrameTests.render(renderer, camera: 3, seq: 640)
    var other = FrameTests.render(renderer, camera: 3, seq: 640 + 480 * 1000)
    // Same crop (the pan wraps at the scene's width and height); only the frame digits differ.
    #expect(renderer.origin(camera: 3, seq: 640) == renderer.origin(camera: 3, seq: 640 + 480 * 1000))
    #expect(one != other)
    let box = (x: 4, y: 4, width: BitmapFont.textWidth("C03 F000640", scale: 2), height: 18)
    for y in box.y..<box.y + box.height {
      for x in box.x..<box.x + box.width { other[y * 320 + x] = one[y * 320 + x] }
    }
    #expect(one == other)
  }
}
