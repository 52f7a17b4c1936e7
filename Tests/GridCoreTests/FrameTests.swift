import GridCore
import Testing

@Suite struct FrameTests {
  static func scene(channels: Int = 1) throws -> Scene {
    let width = 640
    let height = 480
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    for index in pixels.indices { pixels[index] = UInt8(truncatingIfNeeded: index &* 2654435761 >> 13) }
    return try Scene(width: width, height: height, channels: channels, pixels: pixels)
  }

  /// Renders into a buffer pre-filled with `fill`: a renderer that left any byte unwritten would
  /// give different frames for different fills.
  static func render(_ renderer: CameraRenderer, camera: Int, seq: UInt64, fill: UInt8 = 0xAA) -> [UInt8] {
    var frame = [UInt8](repeating: fill, count: renderer.geometry.bytesPerFrame)
    frame.withUnsafeMutableBytes { renderer.render(camera: camera, seq: seq, into: $0) }
    return frame
  }

  @Test(arguments: [1, 3])
  func cameraIsDeterministic(channels: Int) throws {
    let geometry = FrameGeometry(width: 320, height: 240, channels: channels)
    let renderer = try CameraRenderer(scene: Self.scene(channels: channels), geometry: geometry, cameras: 16)
    for (camera, seq) in [(0, 0), (7, 312), (15, 999)] {
      #expect(
        Self.render(renderer, camera: camera, seq: UInt64(seq), fill: 0x00)
          == Self.render(renderer, camera: camera, seq: UInt64(seq), fill: 0xFF))
    }
    // Different cameras, and the same camera one frame later, see different pixels.
    #expect(Self.render(renderer, camera: 0, seq: 5) != Self.render(renderer, camera: 1, seq: 5))
    #expect(Self.render(renderer, camera: 3, seq: 5) != Self.render(renderer, camera: 3, seq: 6))
  }

  @Test func frameLargerThanSceneWraps() throws {
    let geometry = FrameGeometry(width: 1000, height: 600, channels: 1)
    let renderer = try CameraRenderer(scene: Self.scene(), geometry: geometry, cameras: 4)
    let frame = Self.render(renderer, camera: 3, seq: 1234)
    #expect(frame.count == 600_000)
    // Below the stamp, every pixel is the scene's at the origin plus its offset, wrapped round
    // the 640×480 scene both ways (a frame 1000×600 wraps once across and once down).
    let scene = try Self.scene()
    let pixels = scene.withUnsafePixels { Array($0) }
    let (x0, y0) = renderer.origin(camera: 3, seq: 1234)
    var wrong = 0
    for y in 40..<600 {
      for x in 0..<1000 where frame[y * 1000 + x] != pixels[((y0 + y) % 480) * 640 + (x0 + x) % 640] {
        wrong += 1
      }
    }
    #expect(wrong == 0, "\(wrong) pixels are not the wrapped scene's")
  }

  @Test func sceneChannelMismatchIsAnError() throws {
    #expect(throws: GridError.self) {
      try CameraRenderer(scene: Self.scene(channels: 3), geometry: FrameGeometry(channels: 1), cameras: 1)
    }
  }

  @Test func checksumCatchesOneFlippedByte() {
    var bytes = [UInt8](repeating: 0, count: 76_800)
    for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index * 31) }
    let original = bytes.withUnsafeBytes { Checksum.of($0) }
    for position in [0, 1, 31, 32, 1000, 76_799] {
      for bit in [0, 7] {
        var flipped = bytes
        flipped[position] ^= UInt8(1 << bit)
        #expect(flipped.withUnsafeBytes { Checksum.of($0) } != original, "byte \(position) bit \(bit)")
      }
    }
    #expect(bytes.withUnsafeBytes { Checksum.of($0) } == original)
    // Swapping two words must change it too (a reordered stripe).
    var swapped = bytes
    swapped.swapAt(0, 8)
    #expect(swapped.withUnsafeBytes { Checksum.of($0) } != original)
  }

  @Test func checksumOfShortInputs() {
    var seen = Set<UInt64>()
    for length in 0..<40 {
      let bytes = [UInt8](repeating: 7, count: length)
      seen.insert(bytes.withUnsafeBytes { Checksum.of($0) })
    }
    #expect(seen.count == 40)
  }

  @Test func headerRoundTrip() {
    let header = FrameHeader(
      camera: 63, byteCount: 76_800, sequence: 1 << 40, captureNanos: 123_456_789_012,
      checksum: 0xDEAD_BEEF_CAFE)
    var wire = [UInt8](repeating: 0, count: FrameHeader.wireSize)
    wire.withUnsafeMutableBytes { header.encode(into: $0.baseAddress!) }
    #expect(wire[0] == 63)
    #expect(wire.withUnsafeBytes { FrameHeader(decoding: $0.baseAddress!) } == header)
  }

  @Test func verifierNamesCameraAndSequence() throws {
    let geometry = FrameGeometry(width: 16, height: 4, channels: 1)
    var pixels = [UInt8](repeating: 9, count: geometry.bytesPerFrame)
    let sum = pixels.withUnsafeBytes { Checksum.of($0) }
    let good = FrameHeader(camera: 2, byteCount: 64, sequence: 5, captureNanos: 0, checksum: sum)
    try pixels.withUnsafeBytes {
      try FrameVerifier.check(good, pixels: $0, camera: 2, sequence: 5, geometry: geometry)
    }
    pixels[10] = 0
    let error = pixels.withUnsafeBytes { bytes in
      #expect(throws: GridError.self) {
        try FrameVerifier.check(good, pixels: bytes, camera: 2, sequence: 5, geometry: geometry)
      }
    }
    #expect(error?.description.contains("camera 2 frame 5") == true)
    #expect(error?.exitCode == 3)
    pixels[10] = 9
    pixels.withUnsafeBytes { bytes in
      #expect(throws: GridError.self) {
        try FrameVerifier.check(good, pixels: bytes, camera: 3, sequence: 5, geometry: geometry)
      }
      #expect(throws: GridError.self) {
        try FrameVerifier.check(good, pixels: bytes, camera: 2, sequence: 6, geometry: geometry)
      }
    }
  }
}
