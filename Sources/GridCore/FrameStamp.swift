/// Burns "C07 F000123" into a frame's corner cheaply: the box with "C07 F" and its background is
/// drawn once per camera with `BitmapFont` and kept as a template; each frame copies the
/// template's rows and patches in the six frame digits from glyph rows prepared once. The bytes
/// are exactly what `BitmapFont.draw` of the whole label gives (a test holds it to that).
public struct FrameStamp: Sendable {
  /// Top-left corner of the box in the frame, in pixels; `scale` pixels per font pixel.
  let origin: Int
  let scale: Int
  let channels: Int
  let boxRowBytes: Int
  let boxRows: Int
  /// Per camera, `boxRows × boxRowBytes` bytes.
  let templates: [UInt8]
  /// Per digit 0–9, `7 × scale` rows of `patchBytes`: the glyph's five columns at scale.
  let digitRows: [UInt8]
  let patchBytes: Int

  static let frameDigits = 6

  /// The label a camera burns into frame `seq`: "C", two camera digits, " F", six frame digits.
  public static func label(camera: Int, seq: UInt64) -> String {
    String(unsafeUninitializedCapacity: 11) { text in
      text[0] = 67  // C
      text[1] = 48 + UInt8((camera / 10) % 10)
      text[2] = 48 + UInt8(camera % 10)
      text[3] = 32
      text[4] = 70  // F
      var n = seq
      for position in stride(from: 10, through: 5, by: -1) {
        text[position] = 48 + UInt8(n % 10)
        n /= 10
      }
      return 11
    }
  }

  /// Letters at scale 2 on frames at least 200 pixels wide, else 1; the box 2 × scale from the corner.
  public static func scale(for geometry: FrameGeometry) -> Int { geometry.width >= 200 ? 2 : 1 }

  /// Nil when the box does not fit inside the frame (a tiny frame): `draw` would have to clip,
  /// and the renderer then draws the label with `BitmapFont` directly.
  public init?(geometry: FrameGeometry, cameras: Int) {
    let scale = Self.scale(for: geometry)
    let sample = Self.label(camera: 0, seq: 0)
    let boxWidth = BitmapFont.textWidth(sample, scale: scale)
    let boxHeight = BitmapFont.textHeight(scale: scale)
    let origin = 2 * scale
    guard origin + boxWidth <= geometry.width, origin + boxHeight <= geometry.height, cameras > 0 else {
      return nil
    }
    let channels = geometry.channels
    self.origin = origin
    self.scale = scale
    self.channels = channels
    self.boxRowBytes = boxWidth * channels
    self.boxRows = boxHeight
    let boxBytes = boxWidth * boxHeight * channels
    var templates = [UInt8](repeating: 0, count: boxBytes * cameras)
    templates.withUnsafeMutableBytes { all in
      for camera in 0..<cameras {
        BitmapFont.draw(
          Self.label(camera: camera, seq: 0),
          into: UnsafeMutableRawBufferPointer(rebasing: all[camera * boxBytes..<(camera + 1) * boxBytes]),
          width: boxWidth, height: boxHeight, channels: channels, x: 0, y: 0, scale: scale)
      }
    }
    self.templates = templates
    // Each digit drawn alone; its glyph area cut out row by row.
    let cellWidth = BitmapFont.textWidth("0", scale: scale)
    let patchBytes = 5 * scale * channels
    let glyphRows = 7 * scale
    var cell = [UInt8](repeating: 0, count: cellWidth * boxHeight * channels)
    var digitRows = [UInt8](repeating: 0, count: 10 * glyphRows * patchBytes)
    for digit in 0..<10 {
      cell.withUnsafeMutableBytes {
        BitmapFont.draw(
          String(digit), into: $0, width: cellWidth, height: boxHeight, channels: channels, x: 0, y: 0,
          scale: scale)
      }
      for row in 0..<glyphRows {
        let from = ((scale + row) * cellWidth + scale) * channels
        let to = (digit * glyphRows + row) * patchBytes
        digitRows[to..<to + patchBytes] = cell[from..<from + patchBytes]
      }
    }
    self.digitRows = digitRows
    self.patchBytes = patchBytes
  }

  /// Cameras the templates were prepared for.
  public var cameras: Int { templates.count / (boxRows * boxRowBytes) }

  /// Draws camera's label for frame `seq` into a frame of `rowBytes` bytes per row.
  public func draw(camera: Int, seq: UInt64, into frame: UnsafeMutableRawPointer, rowBytes: Int) {
    let scale = scale
    let patchBytes = patchBytes
    let boxRowBytes = boxRowBytes
    let glyphRows = 7 * scale
    let cellBytes = BitmapFont.cellWidth * scale * channels
    // Byte offset, within a box row, of the first frame digit's glyph: after the margin and "C07 F".
    let firstDigit = scale * channels + 5 * cellBytes
    withUnsafeTemporaryAllocation(of: Int.self, capacity: Self.frameDigits) { digits in
      var n = seq
      for position in stride(from: Self.frameDigits - 1, through: 0, by: -1) {
        digits[position] = Int(n % 10) * glyphRows * patchBytes
        n /= 10
      }
      templates.withUnsafeBytes { templates in
        digitRows.withUnsafeBytes { glyphs in
          let template = templates.baseAddress! + camera * boxRows * boxRowBytes
          var target = frame + origin * rowBytes + origin * channels
          for row in 0..<boxRows {
            target.copyMemory(from: template + row * boxRowBytes, byteCount: boxRowBytes)
            let glyphRow = row - scale
            if glyphRow >= 0 && glyphRow < glyphRows {
              let source = glyphs.baseAddress! + glyphRow * patchBytes
              for position in 0..<Self.frameDigits {
                Self.copySmall(
                  to: target + firstDigit + position * cellBytes, from: source + digits[position],
                  count: patchBytes)
              }
            }
            target += rowBytes
          }
        }
      }
    }
  }

  /// A few bytes, in words: cheaper than a `memcpy` call for a 10-byte glyph row.
  @inline(__always)
  static func copySmall(to target: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int) {
    var offset = 0
    while offset + 8 <= count {
      target.storeBytes(
        of: source.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset,
        as: UInt64.self)
      offset += 8
    }
    if offset + 4 <= count {
      target.storeBytes(
        of: source.loadUnaligned(fromByteOffset: offset, as: UInt32.self), toByteOffset: offset,
        as: UInt32.self)
      offset += 4
    }
    if offset + 2 <= count {
      target.storeBytes(
        of: source.loadUnaligned(fromByteOffset: offset, as: UInt16.self), toByteOffset: offset,
        as: UInt16.self)
      offset += 2
    }
    if offset < count {
      target.storeBytes(
        of: source.load(fromByteOffset: offset, as: UInt8.self), toByteOffset: offset, as: UInt8.self)
    }
  }
}
