import GridImage
import Testing

/// Fits `pixels` (`width × height`, `order`) into a tile and returns the tile's bytes.
private func fitted(
  _ pixels: [UInt8], width: Int, height: Int, order: PixelOrder,
  tile: (width: Int, height: Int, channels: Int),
  fitter: TileFitter? = nil
) throws -> [UInt8] {
  let fitter = fitter ?? TileFitter(width: tile.width, height: tile.height, channels: tile.channels)
  var out = [UInt8](repeating: 77, count: tile.width * tile.height * tile.channels)
  try pixels.withUnsafeBytes { source in
    let view = try #require(PixelSource(pixels: source, width: width, height: height, order: order))
    out.withUnsafeMutableBytes { fitter.fit(view, into: $0) }
  }
  return out
}

@Suite struct TileFitterTests {
  @Test func fittedSizeKeepsTheAspectRatio() {
    #expect(
      TileFitter.fittedSize(sourceWidth: 640, sourceHeight: 480, tileWidth: 320, tileHeight: 240) == (
        320, 240
      ))
    #expect(
      TileFitter.fittedSize(sourceWidth: 640, sourceHeight: 360, tileWidth: 320, tileHeight: 240) == (
        320, 180
      ))
    #expect(
      TileFitter.fittedSize(sourceWidth: 240, sourceHeight: 320, tileWidth: 320, tileHeight: 240) == (
        180, 240
      ))
    #expect(
      TileFitter.fittedSize(sourceWidth: 8192, sourceHeight: 1, tileWidth: 320, tileHeight: 240) == (320, 1))
    #expect(
      TileFitter.fittedSize(sourceWidth: 1, sourceHeight: 1, tileWidth: 320, tileHeight: 240) == (240, 240))
  }

  @Test func shrinkingAveragesTheAreaEachPixelCovers() throws {
    // 4×2 grey → 2×1: each tile pixel is the mean of a 2×2 block (rounded).
    let source: [UInt8] = [0, 10, 100, 101, 20, 30, 200, 201]
    let out = try fitted(source, width: 4, height: 2, order: .grey, tile: (2, 1, 1))
    #expect(out == [15, 151])
  }

  @Test func growingTakesTheNearestPixel() throws {
    let source: [UInt8] = [10, 20, 30, 40]  // 2×2
    let out = try fitted(source, width: 2, height: 2, order: .grey, tile: (4, 4, 1))
    #expect(out == [10, 10, 20, 20, 10, 10, 20, 20, 30, 30, 40, 40, 30, 30, 40, 40])
  }

  @Test func barsAreBlackAndThePictureCentred() throws {
    // A 4×1 white strip in a 4×4 tile lands on row ⌊(4 − 1) / 2⌋ = 1; the other rows are bars.
    let out = try fitted(
      [UInt8](repeating: 255, count: 4), width: 4, height: 1, order: .grey, tile: (4, 4, 1))
    #expect(out == [0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0])
    // A 1×2 strip in a 4×2 tile: bars left and right.
    let tall = try fitted([9, 9], width: 1, height: 2, order: .grey, tile: (4, 2, 1))
    #expect(tall == [0, 9, 0, 0, 0, 9, 0, 0])
  }

  @Test func bgrBecomesRGB() throws {
    // A pure red OpenCV pixel is (B, G, R) = (0, 0, 255).
    let source = (0..<2 * 2 * 3).map { UInt8($0 % 3 == 2 ? 255 : 0) }
    // The same size, shrinking and growing each take their own path.
    for size in [(2, 2), (1, 1), (4, 4)] {
      let out = try fitted(source, width: 2, height: 2, order: .bgr, tile: (size.0, size.1, 3))
      #expect(out.count == size.0 * size.1 * 3)
      for pixel in stride(from: 0, to: out.count, by: 3) {
        #expect(Array(out[pixel..<pixel + 3]) == [255, 0, 0])
      }
    }
  }

  @Test func greyAndColourCrossOver() throws {
    // Grey into an RGB tile: three equal channels.
    let grey = try fitted([60, 60, 60, 60], width: 2, height: 2, order: .grey, tile: (2, 2, 3))
    #expect(grey == [UInt8](repeating: 60, count: 12))
    // Colour into a grey tile: Rec. 601 luma (77 R + 150 G + 29 B) / 256.
    let red = try fitted([0, 0, 255], width: 1, height: 1, order: .bgr, tile: (1, 1, 1))
    #expect(red == [77])
    let blue = try fitted([0, 0, 255], width: 1, height: 1, order: .rgb, tile: (1, 1, 1))
    #expect(blue == [29])
    let white = try fitted([255, 255, 255, 255, 255, 255], width: 2, height: 1, order: .rgb, tile: (1, 1, 1))
    #expect(white == [255])
  }

  @Test func aFitterFollowsItsSenderAcrossSizes() throws {
    let fitter = TileFitter(width: 2, height: 2, channels: 1)
    #expect(
      try fitted([5, 5, 5, 5], width: 2, height: 2, order: .grey, tile: (2, 2, 1), fitter: fitter) == [
        5, 5, 5, 5,
      ])
    #expect(
      try fitted([8], width: 1, height: 1, order: .grey, tile: (2, 2, 1), fitter: fitter) == [8, 8, 8, 8])
    #expect(
      try fitted(
        [UInt8](repeating: 3, count: 16), width: 4, height: 4, order: .grey, tile: (2, 2, 1), fitter: fitter)
        == [3, 3, 3, 3])
  }

  @Test func sourcesOfTheWrongSizeAreRefused() {
    let bytes = [UInt8](repeating: 0, count: 11)
    bytes.withUnsafeBytes { buffer in
      #expect(PixelSource(pixels: buffer, width: 2, height: 2, order: .bgr) == nil)
      #expect(PixelSource(pixels: buffer, width: 0, height: 11, order: .grey) == nil)
      #expect(PixelSource(pixels: buffer, width: 11, height: 1, order: .grey) != nil)
    }
  }
}
