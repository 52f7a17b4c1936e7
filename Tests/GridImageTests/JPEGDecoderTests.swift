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
  /// Decoding into a tile: exactly its size, or refused before anything is decoded.
  @Test func decodesExactlyIntoATileOrRefuses() throws {
    let picture = try jpeg(width: 64, height: 48, channels: 1, left: [40], right: [200])
    let decoder = try JPEGDecoder()
    var tile = [UInt8](repeating: 0, count: 64 * 48)
    try picture.withUnsafeBytes { jpeg in
      try tile.withUnsafeMutableBytes { try decoder.decode(jpeg, exactly: 64, 48, channels: 1, into: $0) }
    }
    #expect(abs(Int(tile[0]) - 40) <= 2 && abs(Int(tile[63]) - 200) <= 2)
    var other = [UInt8](repeating: 0, count: 32 * 24)
    #expect(throws: ImageError.self) {
      try picture.withUnsafeBytes { jpeg in
        try other.withUnsafeMutableBytes { try decoder.decode(jpeg, exactly: 32, 24, channels: 1, into: $0) }
      }
    }
    #expect(other.allSatisfy { $0 == 0 }, "a refused picture wrote into the tile")
    let truncated = Array(picture.prefix(picture.count / 2))
    #expect(throws: ImageError.self) {
      try truncated.withUnsafeBytes { jpeg in
        try tile.withUnsafeMutableBytes { try decoder.decode(jpeg, exactly: 64, 48, channels: 1, into: $0) }
      }
    }
  }

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

/// The scan bomb: a legal header, then the picture's scan repeated until decoding it would take
/// seconds. Refused from its markers, before libturbojpeg decodes anything.
@Suite struct JPEGCostTests {
  /// `picture` with its one scan (SOS segment and entropy-coded data) repeated `times` times, with
  /// or without its EOI.
  private func repeatingScans(_ picture: [UInt8], times: Int, end: Bool = true) throws -> [UInt8] {
    let sos = try #require((0..<picture.count - 1).first { picture[$0] == 0xFF && picture[$0 + 1] == 0xDA })
    let eoi = picture.count - 2
    #expect(picture[eoi] == 0xFF && picture[eoi + 1] == 0xD9)
    let scan = picture[sos..<eoi]
    var bomb = Array(picture[..<sos])
    for _ in 0..<times { bomb += scan }
    if end { bomb += [0xFF, 0xD9] }
    return bomb
  }

  @Test func countsScansAndComponents() throws {
    let colour = try jpeg(width: 64, height: 32, channels: 3, left: [1, 2, 3])
    let cost = try #require(colour.withUnsafeBytes { JPEGCost.of($0) })
    #expect(cost.scans == 1 && cost.components == 3 && !cost.progressive)
    #expect(cost.blockScans(width: 64, height: 32) == 8 * 4 * 3)
    let many = try repeatingScans(colour, times: 40)
    #expect(many.withUnsafeBytes { JPEGCost.of($0) }?.scans == 40)
    #expect(
      "not a jpeg".utf8.withContiguousStorageIfAvailable { JPEGCost.of(UnsafeRawBufferPointer($0)) }
        == .some(nil))
  }

  @Test(arguments: [true, false])
  func aPictureOfHundredsOfScansIsRefusedBeforeDecoding(withEnd: Bool) throws {
    let picture = try jpeg(width: 2048, height: 2048, channels: 1, left: [90], right: [160])
    let decoder = try JPEGDecoder()
    // One scan: well within the budget.
    #expect(try picture.withUnsafeBytes { try decoder.header(of: $0, maxSide: 8192) }.width == 2048)
    // 65,536 blocks × 300 scans: over it, named, whether or not the picture ends properly.
    let bomb = try repeatingScans(picture, times: 300, end: withEnd)
    #expect {
      try bomb.withUnsafeBytes { try decoder.header(of: $0, maxSide: 8192) }
    } throws: { error in
      (error as? ImageError)?.reason.contains("2048x2048 in 300 scans is over the decoding budget") == true
    }
    #expect(throws: ImageError.self) { try decode(bomb, covering: (320, 240), channels: 1, decoder: decoder) }
    // The decoder goes on with the next picture.
    #expect(try decode(picture, covering: (256, 256), channels: 1, decoder: decoder).width == 256)
  }
}
