/// Places camera tiles into one grid image, row by row with memcpy. The grid buffer is owned here
/// and reused for every grid; no allocation per frame.
public final class GridCanvas: @unchecked Sendable {
  public let layout: GridLayout
  public let frame: FrameGeometry
  public let width: Int
  public let height: Int
  /// The grid's pixels: owned here, lent only inside `withUnsafeBytes`.
  private let bytes: UnsafeMutableRawBufferPointer

  public init(layout: GridLayout, frame: FrameGeometry) {
    self.layout = layout
    self.frame = frame
    self.width = layout.gridWidth(frame)
    self.height = layout.gridHeight(frame)
    self.bytes = .allocate(byteCount: layout.gridBytes(frame), alignment: 64)
    bytes.initializeMemory(as: UInt8.self, repeating: 0)
  }

  deinit { bytes.deallocate() }

  public var rowBytes: Int { width * frame.channels }

  /// The grid's byte count.
  public var byteCount: Int { bytes.count }

  /// Lends the grid's pixels to `body`, and only to it.
  public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try body(UnsafeRawBufferPointer(bytes))
  }

  /// A copy of the grid's pixels.
  public var pixels: [UInt8] { Array(UnsafeRawBufferPointer(bytes)) }

  /// Copies `pixels` (one frame) into camera's cell.
  public func place(camera: Int, pixels: UnsafeRawBufferPointer) {
    precondition(pixels.count >= frame.bytesPerFrame && camera < layout.cameras)
    let (row, col) = layout.cell(of: camera)
    let tileRow = frame.bytesPerRow
    let gridRow = rowBytes
    let origin = bytes.baseAddress! + row * frame.height * gridRow + col * tileRow
    let source = pixels.baseAddress!
    for y in 0..<frame.height {
      (origin + y * gridRow).copyMemory(from: source + y * tileRow, byteCount: tileRow)
    }
  }

  /// Paints camera's cell as a "NO SIGNAL" card: dark grey with the words centred.
  public func placeNoSignal(camera: Int) {
    let (row, col) = layout.cell(of: camera)
    let tileRow = frame.bytesPerRow
    let origin = bytes.baseAddress! + row * frame.height * rowBytes + col * tileRow
    let card = UnsafeMutableRawBufferPointer.allocate(byteCount: frame.bytesPerFrame, alignment: 64)
    defer { card.deallocate() }
    NoSignalCard.draw(into: card, geometry: frame)
    for y in 0..<frame.height {
      (origin + y * rowBytes).copyMemory(from: card.baseAddress! + y * tileRow, byteCount: tileRow)
    }
  }

  /// The pixels of camera's cell, copied out (for tests and checks, not the hot path).
  public func tile(camera: Int) -> [UInt8] {
    let (row, col) = layout.cell(of: camera)
    var out = [UInt8](repeating: 0, count: frame.bytesPerFrame)
    let origin = bytes.baseAddress! + row * frame.height * rowBytes + col * frame.bytesPerRow
    out.withUnsafeMutableBytes { out in
      for y in 0..<frame.height {
        (out.baseAddress! + y * frame.bytesPerRow).copyMemory(
          from: origin + y * rowBytes, byteCount: frame.bytesPerRow)
      }
    }
    return out
  }
}

/// The card a tile shows when it has no picture: dark grey with "NO SIGNAL" centred. The
/// consumer paints it over a lost camera's cell; a camera whose live source is silent sends it.
public enum NoSignalCard {
  /// Draws the card over one frame of `geometry` in `pixels`.
  public static func draw(into pixels: UnsafeMutableRawBufferPointer, geometry: FrameGeometry) {
    precondition(pixels.count >= geometry.bytesPerFrame)
    let card = UnsafeMutableRawBufferPointer(rebasing: pixels[0..<geometry.bytesPerFrame])
    card.initializeMemory(as: UInt8.self, repeating: 40)
    let scale = max(1, geometry.width / 120)
    let text = "NO SIGNAL"
    let x = max(0, (geometry.width - BitmapFont.textWidth(text, scale: scale)) / 2)
    let y = max(0, (geometry.height - BitmapFont.cellHeight * scale) / 2)
    BitmapFont.draw(
      text, into: card, width: geometry.width, height: geometry.height, channels: geometry.channels, x: x,
      y: y, scale: scale, foreground: 255, background: 40)
  }
}
