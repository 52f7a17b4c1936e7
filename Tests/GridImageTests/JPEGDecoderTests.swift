import GridImage
import Testing

/// A JPEG of one colour (or a left/right split), made with the project's own encoder.
private func jpeg(width: Int, height: Int, channels: Int, left: [UInt8], right: [UInt8]? = nil) throws
  -> [UInt8]
{
  var pixels: [UInt8] = []
  for _ in 0..<height {
    for x in 0..<width { pixels += x < width / 2 ? left : (right ?? left) }
  }
  return try pixels.withUnsafeBytes {
    try JPEGEncoder().encode(width: width, height: height, channels: channels, pixels: $0, quality: 95)
  }
}

/// Decodes `bytes` to cover `target` and returns the size decoded and the first pixel.
private func decode(
  _ bytes: [UInt8], covering target: (Int, Int), channels: Int, maxSide: Int = 8192,
  decoder: JPEGDecoder? = nil
) throws -> (width: Int, height: Int, first: [UInt8]) {
  let decoder = try decoder ?? JPEGDecoder()
  return try bytes.withUnsafeBytes { buffer in
    try decoder.decode(buffer, maxSide: maxSide, covering: target.0, target.1, channels: channels) { source in
      (source.width, source.height, Array(source.pixels.prefix(channels)))
    }
  }
}

@Suite struct JPEGDecoderTests {
  @Test func readsTheHeaderBeforeAnythingElse() throws {
    let picture = try jpeg(width: 640, height: 480, channels: 3, left: [10, 200, 30])
    let decoder = try JPEGDecoder()
    let header = try picture.withUnsafeBytes { try decoder.header(of: $0, maxSide: 8192) }
    #expect(header == JPEGHeader(width: 640, height: 480))
    // Over the limit: refused from the header alone, naming the size.
    #expect {
      try picture.withUnsafeBytes { try decoder.header(of: $0, maxSide: 479) }
    } throws: { error in
      (error as? ImageError)?.reason.contains("640x480 is over the limit") == true
    }
    for garbage in [[UInt8](), [0xFF, 0xD8], Array("not a jpeg at all".utf8), Array(picture.prefix(20))] {
      #expect(throws: ImageError.self) {
        try garbage.withUnsafeBytes { try decoder.header(of: $0, maxSide: 8192) }
      }
    }
    // A refusal leaves the decoder as good as new (libturbojpeg's handle would stay mid-header).
    #expect(try picture.withUnsafeBytes { try decoder.header(of: $0, maxSide: 8192) } == header)
  }

  @Test func decodesStraightToTheSmallestScaleThatCoversTheTile() throws {
    // 1280×960 for a 320×240 tile: 1/4 scale exactly.
    let picture = try jpeg(width: 1280, height: 960, channels: 3, left: [200, 40, 40])
    let quarter = try decode(picture, covering: (320, 240), channels: 3)
    #expect(quarter.width == 320 && quarter.height == 240)
    // 1280×960 for a 300×200 tile (fitted 266×200): 1/4 gives 320×240, 1/8 would be too small.
    #expect(
      JPEGDecoder.scaledSize(of: JPEGHeader(width: 1280, height: 960), covering: 266, 200) == (320, 240))
    // A small picture for a big tile decodes whole (the fit then grows it).
    #expect(JPEGDecoder.scaledSize(of: JPEGHeader(width: 100, height: 50), covering: 640, 320) == (100, 50))
    #expect(JPEGDecoder.shrinkingFactors.first! == (1, 1))
    #expect(JPEGDecoder.shrinkingFactors.contains { $0 == (1, 8) })
  }

  @Test func decodesToTheTilesChannels() throws {
    let red = try jpeg(width: 64, height: 48, channels: 3, left: [255, 0, 0])
    let rgb = try decode(red, covering: (64, 48), channels: 3)
    #expect(abs(Int(rgb.first[0]) - 255) <= 4 && rgb.first[1] <= 4 && rgb.first[2] <= 4, "\(rgb.first)")
    let grey = try decode(red, covering: (64, 48), channels: 1)
    #expect(abs(Int(grey.first[0]) - 76) <= 4, "\(grey.first)")  // luma of pure red
    let greyPicture = try jpeg(width: 64, height: 48, channels: 1, left: [90])
    let asRGB = try decode(greyPicture, covering: (64, 48), channels: 3)
    #expect(asRGB.first.allSatisfy { abs(Int($0) - 90) <= 2 }, "\(asRGB.first)")
  }

  @Test func aCorruptOrTruncatedPictureIsAnErrorAndTheDecoderGoesOn() throws {
    let picture = try jpeg(width: 256, height: 256, channels: 3, left: [0, 0, 255], right: [255, 255, 0])
    let decoder = try JPEGDecoder()
    let truncated = Array(picture.prefix(picture.count / 2))
    #expect(throws: ImageError.self) {
      try decode(truncated, covering: (256, 256), channels: 3, decoder: decoder)
    }
    var scrambled = picture
    for index in stride(from: picture.count / 3, to: picture.count - 2, by: 7) { scrambled[index] = 0xFF }
    #expect(throws: ImageError.self) {
      try decode(scrambled, covering: (256, 256), channels: 3, decoder: decoder)
    }
    let good = try decode(picture, covering: (256, 256), channels: 3, decoder: decoder)
    #expect(good.width == 256 && good.first[2] > 200)
  }
}
