/// A built-in 5×7 bitmap font, so cameras can burn their number and frame number into every
/// frame without a font library or an allocation per frame.
public enum BitmapFont {
  /// Glyph advance in pixels at scale 1: a 5-pixel glyph and 1 pixel of spacing.
  public static let cellWidth = 6
  /// Line height in pixels at scale 1: a 7-pixel glyph and 1 pixel of spacing.
  public static let cellHeight = 8

  private static let glyphWidth = 5
  private static let glyphHeight = 7
  /// Guards the box arithmetic against overflow; no frame needs larger letters.
  private static let maximumScale = 1024

  /// Draws text on a filled background box whose top-left corner is at (x, y).
  ///
  /// The box is ``textWidth(_:scale:)`` × ``textHeight(scale:)`` pixels: the glyph cells
  /// plus a margin of one cell pixel on every side, so the text stays legible on any content.
  /// Foreground and background are grey levels written to every channel. The box is clipped
  /// to the image; nothing is written outside `pixels`, and nothing at all if the buffer is
  /// smaller than `width * height * channels` or `scale` is not in 1...1024. Lowercase letters
  /// draw as uppercase; other unknown characters draw as a filled box.
  public static func draw(
    _ text: String, into pixels: UnsafeMutableRawBufferPointer, width: Int, height: Int,
    channels: Int, x: Int, y: Int, scale: Int, foreground: UInt8 = 255, background: UInt8 = 0
  ) {
    guard width > 0, height > 0, channels > 0, (1...maximumScale).contains(scale) else { return }
    let (area, areaOverflow) = width.multipliedReportingOverflow(by: height)
    let (byteCount, bytesOverflow) = area.multipliedReportingOverflow(by: channels)
    guard !areaOverflow, !bytesOverflow, pixels.count >= byteCount else { return }
    guard x < width, y < height else { return }
    let boxWidth = textWidth(text, scale: scale)
    let boxHeight = textHeight(scale: scale)
    guard x > -boxWidth, y > -boxHeight else { return }

    let bytes = pixels.bindMemory(to: UInt8.self)
    fill(
      bytes, width: width, height: height, channels: channels,
      left: x, top: y, right: x + boxWidth, bottom: y + boxHeight, value: background)

    var glyphLeft = x + scale
    let glyphTop = y + scale
    for byte in text.utf8 where !isContinuation(byte) {
      if glyphLeft >= width { break }
      defer { glyphLeft += cellWidth * scale }
      if glyphLeft + glyphWidth * scale <= 0 { continue }
      let glyph = glyphIndex(byte)
      for row in 0..<glyphHeight {
        let bits = glyph.map { glyphs[$0 * glyphHeight + row] } ?? 0b11111
        if bits == 0 { continue }
        let top = glyphTop + row * scale
        for column in 0..<glyphWidth where bits & (0b10000 >> column) != 0 {
          let left = glyphLeft + column * scale
          fill(
            bytes, width: width, height: height, channels: channels,
            left: left, top: top, right: left + scale, bottom: top + scale, value: foreground)
        }
      }
    }
  }

  /// Width in pixels of the box ``draw(_:into:width:height:channels:x:y:scale:foreground:background:)``
  /// fills for `text`: one cell per character plus a one-pixel margin, times `scale`.
  public static func textWidth(_ text: String, scale: Int) -> Int {
    var count = 0
    for byte in text.utf8 where !isContinuation(byte) { count += 1 }
    return (count * cellWidth + 1) * scale
  }

  /// Height in pixels of the box that ``draw(_:into:width:height:channels:x:y:scale:foreground:background:)``
  /// fills: one cell plus a one-pixel margin, times `scale`.
  public static func textHeight(scale: Int) -> Int {
    (cellHeight + 1) * scale
  }

  /// Fills the rectangle [left, right) × [top, bottom), clipped to the image.
  private static func fill(
    _ bytes: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int, channels: Int,
    left: Int, top: Int, right: Int, bottom: Int, value: UInt8
  ) {
    let x0 = max(left, 0)
    let x1 = min(right, width)
    let y0 = max(top, 0)
    let y1 = min(bottom, height)
    guard x0 < x1, y0 < y1 else { return }
    for row in y0..<y1 {
      let start = (row * width + x0) * channels
      let end = (row * width + x1) * channels
      for index in start..<end { bytes[index] = value }
    }
  }

  /// UTF-8 continuation bytes belong to the character before them, which draws once.
  private static func isContinuation(_ byte: UInt8) -> Bool {
    byte & 0b1100_0000 == 0b1000_0000
  }

  private static func glyphIndex(_ byte: UInt8) -> Int? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): return 10 + Int(byte - UInt8(ascii: "A"))
    case UInt8(ascii: "a")...UInt8(ascii: "z"): return 10 + Int(byte - UInt8(ascii: "a"))
    case UInt8(ascii: " "): return 36
    case UInt8(ascii: "#"): return 37
    case UInt8(ascii: ":"): return 38
    case UInt8(ascii: "-"): return 39
    case UInt8(ascii: "/"): return 40
    case UInt8(ascii: "."): return 41
    default: return nil
    }
  }

  /// Seven rows per glyph, bit 4 the leftmost pixel: 0–9, A–Z, space, # : - / .
  private static let glyphs: [UInt8] = [
    0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110,  // 0
    0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110,  // 1
    0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111,  // 2
    0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110,  // 3
    0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010,  // 4
    0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110,  // 5
    0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110,  // 6
    0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000,  // 7
    0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110,  // 8
    0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100,  // 9
    0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001,  // A
    0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110,  // B
    0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110,  // C
    0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100,  // D
    0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111,  // E
    0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000,  // F
    0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111,  // G
    0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001,  // H
    0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110,  // I
    0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100,  // J
    0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001,  // K
    0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111,  // L
    0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001,  // M
    0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001,  // N
    0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110,  // O
    0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000,  // P
    0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101,  // Q
    0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001,  // R
    0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110,  // S
    0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100,  // T
    0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110,  // U
    0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100,  // V
    0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010,  // W
    0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001,  // X
    0b10001, 0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100,  // Y
    0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111,  // Z
    0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000,  // space
    0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010,  // #
    0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000,  // :
    0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000,  // -
    0b00000, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b00000,  // /
    0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100,  // .
  ]
}
