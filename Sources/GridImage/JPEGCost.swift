/// What a JPEG will cost to decode, read from its markers before the decoder runs. libjpeg decodes
/// every scan over every 8×8 block of the components it covers, and a progressive picture may
/// legally hold hundreds of scans: 184 KB of 8192×8192 grey in 500 scans kept a hub busy for 8 s
/// a frame. The cost here is blocks × scans, an upper bound (each scan counted over every block
/// of every component), so a picture within the budget decodes in a bounded time.
public struct JPEGCost: Sendable, Equatable {
  /// Scans (SOS markers) before the end of the picture.
  public let scans: Int
  /// Components in the frame (1 grey, 3 colour).
  public let components: Int
  /// Whether the frame is progressive (SOF2, SOF6, SOF10, SOF14).
  public let progressive: Bool

  /// 8×8 blocks times scans, every component counted whole.
  public func blockScans(width: Int, height: Int) -> Int {
    let blocks = ((width + 7) / 8) * ((height + 7) / 8) * components
    let (total, overflow) = blocks.multipliedReportingOverflow(by: max(scans, 1))
    return overflow ? Int.max : total
  }

  /// The budget: a baseline 8192×8192 colour picture costs 3.1 M; a progressive 4096×4096 colour
  /// picture with libjpeg's usual 10 scans about 7.9 M. 16 M decodes in well under a second here.
  public static let budget = 16 << 20

  /// Walks the markers from SOI: segment lengths, and after each SOS the entropy-coded data up to
  /// the next marker (in it, 0xFF is always followed by 0x00 or a restart marker). Nil unless the
  /// bytes start with SOI. Malformed or cut markers end the walk with what was counted so far
  /// (libturbojpeg then gives the precise reason), so leaving out the end cannot hide scans.
  public static func of(_ jpeg: UnsafeRawBufferPointer) -> JPEGCost? {
    let count = jpeg.count
    guard count >= 4, jpeg[0] == 0xFF, jpeg[1] == 0xD8 else { return nil }
    var index = 2
    var scans = 0
    var components = 0
    var progressive = false
    var cost: JPEGCost { JPEGCost(scans: scans, components: components, progressive: progressive) }
    while index + 1 < count {
      guard jpeg[index] == 0xFF else { return cost }
      let marker = jpeg[index + 1]
      index += 2
      switch marker {
      case 0xFF:
        index -= 1  // fill bytes before a marker
        continue
      case 0xD9:
        return cost
      case 0x01, 0xD0...0xD7:
        continue  // standalone markers: no length
      default: break
      }
      guard index + 1 < count else { return cost }
      let length = Int(jpeg[index]) << 8 | Int(jpeg[index + 1])
      guard length >= 2, index + length <= count else { return cost }
      switch marker {
      case 0xC0...0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF:
        guard length >= 8 else { return cost }
        components = Int(jpeg[index + 7])
        progressive = [0xC2, 0xC6, 0xCA, 0xCE].contains(marker)
      case 0xDA:
        scans += 1
        index += length
        // The entropy-coded data: up to a byte 0xFF that starts a marker other than a restart.
        while index + 1 < count {
          if jpeg[index] == 0xFF, jpeg[index + 1] != 0x00, !(0xD0...0xD7).contains(jpeg[index + 1]) { break }
          index += 1
        }
        continue
      default: break
      }
      index += length
    }
    return cost  // no EOI: a cut picture
  }
}
