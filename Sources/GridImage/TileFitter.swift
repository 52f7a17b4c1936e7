/// How a source image's channels are laid out.
public enum PixelOrder: Sendable, Equatable {
  case grey
  case rgb
  /// OpenCV's order, which imagezmq senders send as is.
  case bgr

  public var channels: Int { self == .grey ? 1 : 3 }
}

/// A source image lent for fitting: `height` rows of `width × channels` bytes, tightly packed.
/// It owns nothing: it is a view of bytes someone else lent, made and used inside the closure that
/// lent them (`ZMQMessage.withUnsafeBytes`, `JPEGDecoder.decode`'s body), never stored.
public struct PixelSource {
  public let pixels: UnsafeRawBufferPointer
  public let width: Int
  public let height: Int
  public let order: PixelOrder

  /// Nil unless `pixels` holds exactly `width × height × order.channels` bytes, both sides ≥ 1.
  public init?(pixels: UnsafeRawBufferPointer, width: Int, height: Int, order: PixelOrder) {
    guard width > 0, height > 0, pixels.baseAddress != nil else { return nil }
    let (area, overflow) = width.multipliedReportingOverflow(by: height)
    guard !overflow, area <= Int.max / 3, pixels.count == area * order.channels else { return nil }
    self.pixels = pixels
    self.width = width
    self.height = height
    self.order = order
  }
}

/// Fits pictures of any size into a tile of a fixed size: the aspect ratio is kept and the
/// picture centred between black bars; along an axis that shrinks each tile pixel is the average
/// of the source pixels it covers, along one that grows it is the nearest source pixel. Channels
/// become the tile's: BGR turns into RGB, grey into three equal channels, colour into grey by
/// Rec. 601 luma. The column and row spans of the last source size are kept, so a stream of
/// same-sized frames allocates nothing. Not thread-safe: one fitter per thread.
public final class TileFitter {
  public let width: Int
  public let height: Int
  public let channels: Int

  /// Where a `sourceWidth × sourceHeight` picture lands in the tile, and the spans to sample it.
  private struct Plan {
    let sourceWidth: Int
    let sourceHeight: Int
    let left: Int
    let top: Int
    let fittedWidth: Int
    let fittedHeight: Int
    /// Per tile column (row): the first source column (row) it covers, and how many.
    let columnStart: [Int]
    let columnCount: [Int]
    let rowStart: [Int]
    let rowCount: [Int]
    var isIdentity: Bool { fittedWidth == sourceWidth && fittedHeight == sourceHeight }
    var shrinks: Bool { fittedWidth < sourceWidth || fittedHeight < sourceHeight }
  }

  private var plan: Plan?
  /// One tile row of channel sums, for the area average.
  private var sums: [UInt64]

  public init(width: Int, height: Int, channels: Int) {
    precondition(width > 0 && height > 0 && (channels == 1 || channels == 3))
    self.width = width
    self.height = height
    self.channels = channels
    sums = []
  }

  public var bytesPerTile: Int { width * height * channels }

  /// The size a `sourceWidth × sourceHeight` picture takes in a `tileWidth × tileHeight` tile:
  /// as large as fits with its aspect ratio kept (rounded to whole pixels, at least 1).
  public static func fittedSize(sourceWidth: Int, sourceHeight: Int, tileWidth: Int, tileHeight: Int) -> (
    width: Int, height: Int
  ) {
    // Compare sourceWidth / sourceHeight with tileWidth / tileHeight without division.
    if sourceWidth * tileHeight >= sourceHeight * tileWidth {
      let fitted = (sourceHeight * tileWidth + sourceWidth / 2) / sourceWidth
      return (tileWidth, min(max(fitted, 1), tileHeight))
    }
    let fitted = (sourceWidth * tileHeight + sourceHeight / 2) / sourceHeight
    return (min(max(fitted, 1), tileWidth), tileHeight)
  }

  /// Where a picture of this size lands in the tile: its top-left corner and size.
  public func placement(sourceWidth: Int, sourceHeight: Int) -> (left: Int, top: Int, width: Int, height: Int)
  {
    let size = Self.fittedSize(
      sourceWidth: sourceWidth, sourceHeight: sourceHeight, tileWidth: width, tileHeight: height)
    return ((width - size.width) / 2, (height - size.height) / 2, size.width, size.height)
  }

  /// Writes `source`, fitted, into `tile` (exactly `bytesPerTile` bytes), bars included.
  public func fit(_ source: PixelSource, into tile: UnsafeMutableRawBufferPointer) {
    precondition(tile.count == bytesPerTile && tile.baseAddress != nil)
    let plan = self.plan(for: source)
    clearBars(tile, plan)
    if plan.isIdentity {
      copyConverting(source, into: tile, plan)
    } else if plan.shrinks {
      average(source, into: tile, plan)
    } else {
      sampleNearest(source, into: tile, plan)
    }
  }

  private func plan(for source: PixelSource) -> Plan {
    if let plan, plan.sourceWidth == source.width, plan.sourceHeight == source.height { return plan }
    let place = placement(sourceWidth: source.width, sourceHeight: source.height)
    let columns = Self.spans(source: source.width, target: place.width)
    let rows = Self.spans(source: source.height, target: place.height)
    let made = Plan(
      sourceWidth: source.width, sourceHeight: source.height, left: place.left, top: place.top,
      fittedWidth: place.width, fittedHeight: place.height, columnStart: columns.start,
      columnCount: columns.count, rowStart: rows.start, rowCount: rows.count)
    plan = made
    sums = Array(repeating: 0, count: place.width * 3)
    return made
  }

  /// Per target index: the source range it covers. Shrinking, the ranges partition the source;
  /// growing (or equal), each is one source index, the nearest.
  static func spans(source: Int, target: Int) -> (start: [Int], count: [Int]) {
    var start = [Int](repeating: 0, count: target)
    var count = [Int](repeating: 1, count: target)
    for index in 0..<target {
      let first = index * source / target
      let end = (index + 1) * source / target
      start[index] = target >= source ? min((2 * index + 1) * source / (2 * target), source - 1) : first
      count[index] = target >= source ? 1 : max(end - first, 1)
    }
    return (start, count)
  }

  private func clearBars(_ tile: UnsafeMutableRawBufferPointer, _ plan: Plan) {
    let rowBytes = width * channels
    let base = tile.baseAddress!
    if plan.top > 0 { base.initializeMemory(as: UInt8.self, repeating: 0, count: plan.top * rowBytes) }
    let below = plan.top + plan.fittedHeight
    if below < height {
      (base + below * rowBytes).initializeMemory(
        as: UInt8.self, repeating: 0, count: (height - below) * rowBytes)
    }
    guard plan.fittedWidth < width else { return }
    let leftBytes = plan.left * channels
    let rightStart = (plan.left + plan.fittedWidth) * channels
    for row in plan.top..<below {
      let line = base + row * rowBytes
      if leftBytes > 0 { line.initializeMemory(as: UInt8.self, repeating: 0, count: leftBytes) }
      (line + rightStart).initializeMemory(as: UInt8.self, repeating: 0, count: rowBytes - rightStart)
    }
  }

  /// Rec. 601 luma in 8-bit fixed point (77 + 150 + 29 = 256).
  @inline(__always)
  static func luma(red: UInt32, green: UInt32, blue: UInt32) -> UInt8 {
    UInt8(truncatingIfNeeded: (77 * red + 150 * green + 29 * blue + 128) >> 8)
  }

  /// Writes one pixel given in the source's order as the tile's channels.
  @inline(__always)
  private static func store(
    _ first: UInt32, _ second: UInt32, _ third: UInt32, order: PixelOrder, channels: Int,
    to out: UnsafeMutablePointer<UInt8>
  ) {
    switch (order, channels) {
    case (.grey, 1): out[0] = UInt8(truncatingIfNeeded: first)
    case (.grey, _):
      let value = UInt8(truncatingIfNeeded: first)
      out[0] = value
      out[1] = value
      out[2] = value
    case (.rgb, 1): out[0] = luma(red: first, green: second, blue: third)
    case (.bgr, 1): out[0] = luma(red: third, green: second, blue: first)
    case (.rgb, _):
      out[0] = UInt8(truncatingIfNeeded: first)
      out[1] = UInt8(truncatingIfNeeded: second)
      out[2] = UInt8(truncatingIfNeeded: third)
    case (.bgr, _):
      out[0] = UInt8(truncatingIfNeeded: third)
      out[1] = UInt8(truncatingIfNeeded: second)
      out[2] = UInt8(truncatingIfNeeded: first)
    }
  }

  /// Same size: row copies when the channels already match, else a conversion per pixel.
  private func copyConverting(_ source: PixelSource, into tile: UnsafeMutableRawBufferPointer, _ plan: Plan) {
    let order = source.order
    let sourceChannels = order.channels
    let sourceRow = source.width * sourceChannels
    let tileRow = width * channels
    let from = source.pixels.baseAddress!.assumingMemoryBound(to: UInt8.self)
    let to = tile.baseAddress!.assumingMemoryBound(to: UInt8.self)
    let sameLayout = (order == .grey && channels == 1) || (order == .rgb && channels == 3)
    for row in 0..<plan.fittedHeight {
      let input = from + row * sourceRow
      let output = to + (plan.top + row) * tileRow + plan.left * channels
      if sameLayout {
        output.update(from: input, count: sourceRow)
        continue
      }
      for column in 0..<plan.fittedWidth {
        let pixel = input + column * sourceChannels
        let first = UInt32(pixel[0])
        let second = sourceChannels == 3 ? UInt32(pixel[1]) : first
        let third = sourceChannels == 3 ? UInt32(pixel[2]) : first
        Self.store(first, second, third, order: order, channels: channels, to: output + column * channels)
      }
    }
  }

  /// Growing: each tile pixel takes its nearest source pixel.
  private func sampleNearest(_ source: PixelSource, into tile: UnsafeMutableRawBufferPointer, _ plan: Plan) {
    let order = source.order
    let sourceChannels = order.channels
    let sourceRow = source.width * sourceChannels
    let tileRow = width * channels
    let from = source.pixels.baseAddress!.assumingMemoryBound(to: UInt8.self)
    let to = tile.baseAddress!.assumingMemoryBound(to: UInt8.self)
    plan.columnStart.withUnsafeBufferPointer { columnStart in
      for row in 0..<plan.fittedHeight {
        let input = from + plan.rowStart[row] * sourceRow
        let output = to + (plan.top + row) * tileRow + plan.left * channels
        for column in 0..<plan.fittedWidth {
          let pixel = input + columnStart[column] * sourceChannels
          let first = UInt32(pixel[0])
          let second = sourceChannels == 3 ? UInt32(pixel[1]) : first
          let third = sourceChannels == 3 ? UInt32(pixel[2]) : first
          Self.store(first, second, third, order: order, channels: channels, to: output + column * channels)
        }
      }
    }
  }

  /// Shrinking (along at least one axis): each tile pixel is the rounded mean of the source
  /// pixels its column span × row span covers (a span of one along an axis that does not shrink).
  private func average(_ source: PixelSource, into tile: UnsafeMutableRawBufferPointer, _ plan: Plan) {
    let order = source.order
    let sourceChannels = order.channels
    let sourceRow = source.width * sourceChannels
    let tileRow = width * channels
    let from = source.pixels.baseAddress!.assumingMemoryBound(to: UInt8.self)
    let to = tile.baseAddress!.assumingMemoryBound(to: UInt8.self)
    let fittedWidth = plan.fittedWidth
    sums.withUnsafeMutableBufferPointer { sums in
      plan.columnStart.withUnsafeBufferPointer { columnStart in
        plan.columnCount.withUnsafeBufferPointer { columnCount in
          for row in 0..<plan.fittedHeight {
            for index in 0..<fittedWidth * sourceChannels { sums[index] = 0 }
            let firstRow = plan.rowStart[row]
            let rows = plan.rowCount[row]
            for sourceRowIndex in firstRow..<firstRow + rows {
              let input = from + sourceRowIndex * sourceRow
              for column in 0..<fittedWidth {
                var pixel = input + columnStart[column] * sourceChannels
                let slot = column * sourceChannels
                if sourceChannels == 1 {
                  var total: UInt64 = 0
                  for _ in 0..<columnCount[column] {
                    total &+= UInt64(pixel[0])
                    pixel += 1
                  }
                  sums[slot] &+= total
                } else {
                  var (first, second, third): (UInt64, UInt64, UInt64) = (0, 0, 0)
                  for _ in 0..<columnCount[column] {
                    first &+= UInt64(pixel[0])
                    second &+= UInt64(pixel[1])
                    third &+= UInt64(pixel[2])
                    pixel += 3
                  }
                  sums[slot] &+= first
                  sums[slot + 1] &+= second
                  sums[slot + 2] &+= third
                }
              }
            }
            let output = to + (plan.top + row) * tileRow + plan.left * channels
            for column in 0..<fittedWidth {
              let area = UInt64(rows * columnCount[column])
              let half = area / 2
              let slot = column * sourceChannels
              let first = UInt32((sums[slot] + half) / area)
              let second = sourceChannels == 3 ? UInt32((sums[slot + 1] + half) / area) : first
              let third = sourceChannels == 3 ? UInt32((sums[slot + 2] + half) / area) : first
              Self.store(
                first, second, third, order: order, channels: channels, to: output + column * channels)
            }
          }
        }
      }
    }
  }
}
