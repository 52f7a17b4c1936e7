/// Burns "C07 F000123" into a frame's corner cheaply: the box with "C07 F" and its background is
/// drawn once per camera with `BitmapFont` and kept as a template; each frame copies the
/// template's rows and patches in the six frame digits, two at a time, from glyph rows of the
/// 100 digit pairs prepared once. The bytes are exactly what `BitmapFont.draw` of the whole label
/// gives (a test holds it to that).
public struct FrameStamp: Sendable {
  /// Top-left corner of the box in the frame, in pixels; `scale` pixels per font pixel.
  let origin: Int
  let scale: Int
  let channels: Int
  let boxRowBytes: Int
  let boxRows: Int
  /// Per camera, `boxRows × boxRowBytes` bytes.
  let templates: [UInt8]
  /// Per digit pair 00–99, `7 × scale` rows of `pairBytes`: two whole glyph cells at scale.
  let pairRows: [UInt8]
  /// Two cells: 12 × scale × channels bytes, a multiple of 4.
  let pairBytes: Int

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
    // Each pair drawn alone; its two cells (glyphs and spacing) cut out row by row.
    let pairWidth = BitmapFont.textWidth("00", scale: scale)
    let pairBytes = 2 * BitmapFont.cellWidth * scale * channels
    let glyphRows = 7 * scale
    var cell = [UInt8](repeating: 0, count: pairWidth * boxHeight * channels)
    var pairRows = [UInt8](repeating: 0, count: 100 * glyphRows * pairBytes)
    for pair in 0..<100 {
      cell.withUnsafeMutableBytes {
        BitmapFont.draw(
          String(pair / 10) + String(pair % 10), into: $0, width: pairWidth, height: boxHeight,
          channels: channels, x: 0, y: 0, scale: scale)
      }
      for row in 0..<glyphRows {
        let from = ((scale + row) * pairWidth + scale) * channels
        let to = (pair * glyphRows + row) * pairBytes
        pairRows[to..<to + pairBytes] = cell[from..<from + pairBytes]
      }
    }
    self.pairRows = pairRows
    self.pairBytes = pairBytes
  }

  /// Cameras the templates were prepared for.
  public var cameras: Int { templates.count / (boxRows * boxRowBytes) }

  /// Draws camera's label for frame `seq` into a frame of `rowBytes` bytes per row.
  public func draw(camera: Int, seq: UInt64, into frame: UnsafeMutableRawPointer, rowBytes: Int) {
    let scale = scale
    let pairBytes = pairBytes
    let boxRowBytes = boxRowBytes
    let glyphRows = 7 * scale
    // Byte offset, within a box row, of the first frame digit's cell: after the margin and "C07 F".
    let firstDigit = scale * channels + 5 * BitmapFont.cellWidth * scale * channels
    let pairStride = glyphRows * pairBytes
    let high = Int((seq / 10_000) % 100) &* pairStride
    let middle = Int((seq / 100) % 100) &* pairStride
    let low = Int(seq % 100) &* pairStride
    templates.withUnsafeBytes { templates in
      pairRows.withUnsafeBytes { pairs in
        let corner = frame + (origin &* rowBytes &+ origin &* channels)
        var template = UnsafeRawPointer(templates.baseAddress!) + (camera &* boxRows &* boxRowBytes)
        var target = corner
        for _ in 0..<boxRows {
          target.copyMemory(from: template, byteCount: boxRowBytes)
          template += boxRowBytes
          target += rowBytes
        }
        // The digits' cells, row by row through the glyphs.
        var digits = corner + (scale &* rowBytes &+ firstDigit)
        var source = UnsafeRawPointer(pairs.baseAddress!)
        for _ in 0..<glyphRows {
          Self.copyWords(to: digits, from: source + high, count: pairBytes)
          Self.copyWords(to: digits + pairBytes, from: source + middle, count: pairBytes)
          Self.copyWords(to: digits + 2 &* pairBytes, from: source + low, count: pairBytes)
          digits += rowBytes
          source += pairBytes
        }
      }
    }
  }

  /// `count` bytes, a multiple of 4, in words: cheaper than a `memcpy` call for 24 bytes.
  @inline(__always)
  static func copyWords(to target: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int) {
    var offset = 0
    while offset &+ 8 <= count {
      target.storeBytes(
        of: source.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset,
        as: UInt64.self)
      offset &+= 8
    }
    if offset < count {
      target.storeBytes(
        of: source.loadUnaligned(fromByteOffset: offset, as: UInt32.self), toByteOffset: offset,
        as: UInt32.self)
    }
  }
}
