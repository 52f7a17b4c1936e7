import GridCore
import Testing

@Suite struct GridLayoutTests {
  @Test(arguments: [
    (1, 1, 1), (6, 2, 3), (9, 3, 3), (16, 4, 4), (64, 8, 8), (2, 1, 2), (5, 2, 3), (17, 4, 5),
  ])
  func geometry(cameras: Int, rows: Int, cols: Int) {
    let layout = GridLayout(cameras: cameras)
    #expect(layout.rows == rows)
    #expect(layout.cols == cols)
  }

  /// Every camera's tile lands at row i / cols, column i % cols, and nowhere else; unused cells stay black.
  @Test(arguments: [1, 6, 9, 16, 64])
  func stitcherPlacesEveryTile(cameras: Int) {
    let frame = FrameGeometry(width: 8, height: 4, channels: 1)
    let layout = GridLayout(cameras: cameras)
    let canvas = GridCanvas(layout: layout, frame: frame)
    for camera in 0..<cameras {
      var tile = [UInt8](repeating: 0, count: frame.bytesPerFrame)
      for index in tile.indices { tile[index] = UInt8(truncatingIfNeeded: camera + 1 + index % 3) }
      tile.withUnsafeBytes { canvas.place(camera: camera, pixels: $0) }
    }
    #expect(canvas.width == layout.cols * 8)
    #expect(canvas.height == layout.rows * 4)
    let pixels = canvas.pixels
    for y in 0..<canvas.height {
      for x in 0..<canvas.width {
        let cell = (y / 4) * layout.cols + x / 8
        let value = pixels[y * canvas.width + x]
        if cell < cameras {
          let index = (y % 4) * 8 + x % 8
          #expect(value == UInt8(truncatingIfNeeded: cell + 1 + index % 3), "pixel \(x),\(y)")
        } else {
          #expect(value == 0, "empty cell pixel \(x),\(y) must stay black")
        }
      }
    }
  }

  @Test func stitcherRGBRows() {
    let frame = FrameGeometry(width: 2, height: 2, channels: 3)
    let canvas = GridCanvas(layout: GridLayout(cameras: 2), frame: frame)
    let tile: [UInt8] = Array(1...12)
    tile.withUnsafeBytes { canvas.place(camera: 1, pixels: $0) }
    #expect(canvas.tile(camera: 1) == tile)
    #expect(canvas.tile(camera: 0) == Array(repeating: 0, count: 12))
    // Row 0 of the grid: camera 0's 6 bytes, then camera 1's first row.
    #expect(Array(canvas.pixels[6..<12]) == [1, 2, 3, 4, 5, 6])
    #expect(Array(canvas.pixels[18..<24]) == [7, 8, 9, 10, 11, 12])
  }

  @Test func noSignalCardFillsOnlyItsCell() {
    let frame = FrameGeometry(width: 120, height: 40, channels: 1)
    let canvas = GridCanvas(layout: GridLayout(cameras: 4), frame: frame)
    canvas.placeNoSignal(camera: 3)
    let card = canvas.tile(camera: 3)
    #expect(card.contains(255))
    #expect(card.contains(40))
    #expect(canvas.tile(camera: 2).allSatisfy { $0 == 0 })
  }
}
