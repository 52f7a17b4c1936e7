import FuzzDriver
import GridImage

/// The first 12 bytes choose a tile (width, height, channels), two source pictures (width,
/// height, order) and a claimed buffer size; the rest are pixels, repeated to fill. A fitter must
/// place every picture inside its tile, write nothing outside it (the tile is an allocation of
/// exactly its size), clear the bars, and copy a picture of the tile's own size and layout as is.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  guard count >= 12 else { return 0 }
  let input = Array(UnsafeRawBufferPointer(start: start, count: count))
  func side(_ at: Int, _ limit: Int) -> Int { (Int(input[at]) << 8 | Int(input[at + 1])) % limit + 1 }
  let tileWidth = side(0, 256)
  let tileHeight = side(2, 256)
  let channels = input[4] & 1 == 0 ? 1 : 3
  let fitter = TileFitter(width: tileWidth, height: tileHeight, channels: channels)
  let pixels = input.count > 12 ? Array(input[12...]) : [0x5A]

  checkFittedSize(
    sourceWidth: side(5, 1 << 16), sourceHeight: side(7, 1 << 16), tileWidth: tileWidth,
    tileHeight: tileHeight)
  // A buffer of the wrong size is refused, whatever the sizes.
  let claimed = Int(input[9]) - 128
  let width = side(5, 400)
  let height = side(7, 400)
  for order in [PixelOrder.grey, .rgb, .bgr] {
    let exact = width * height * order.channels
    let wrong = UnsafeMutableRawBufferPointer.allocate(byteCount: max(exact + claimed, 1), alignment: 1)
    defer { wrong.deallocate() }
    let made = PixelSource(pixels: UnsafeRawBufferPointer(wrong), width: width, height: height, order: order)
    precondition((made != nil) == (wrong.count == exact), "\(width)x\(height) \(order) in \(wrong.count)")
  }

  let tile = UnsafeMutableRawBufferPointer.allocate(byteCount: fitter.bytesPerTile, alignment: 1)
  defer { tile.deallocate() }
  let orders: [PixelOrder] = [.grey, .rgb, .bgr]
  // The same fitter twice, as a hub's stream of frames changes size: the kept plan must follow.
  for (width, height, order) in [
    (width, height, orders[Int(input[10]) % 3]),
    (side(10, 300), side(3, 300), orders[Int(input[11]) % 3]),
  ] {
    let source = UnsafeMutableRawBufferPointer.allocate(
      byteCount: width * height * order.channels, alignment: 1)
    defer { source.deallocate() }
    var filled = 0
    while filled < source.count {
      let chunk = min(pixels.count, source.count - filled)
      pixels.withUnsafeBytes {
        UnsafeMutableRawBufferPointer(rebasing: source[filled..<filled + chunk]).copyMemory(
          from: UnsafeRawBufferPointer(rebasing: $0[0..<chunk]))
      }
      filled += chunk
    }
    let picture = PixelSource(
      pixels: UnsafeRawBufferPointer(source), width: width, height: height, order: order)!
    tile.initializeMemory(as: UInt8.self, repeating: 0xA5)
    fitter.fit(picture, into: tile)
    checkTile(tile, fitter: fitter, picture: picture)
  }
  return 0
}

func checkFittedSize(sourceWidth: Int, sourceHeight: Int, tileWidth: Int, tileHeight: Int) {
  let size = TileFitter.fittedSize(
    sourceWidth: sourceWidth, sourceHeight: sourceHeight, tileWidth: tileWidth, tileHeight: tileHeight)
  precondition((1...tileWidth).contains(size.width) && (1...tileHeight).contains(size.height))
  // One side fills the tile; the other keeps the aspect ratio to within a pixel of rounding.
  precondition(size.width == tileWidth || size.height == tileHeight)
  let exactOther =
    size.width == tileWidth
    ? Double(sourceHeight) * Double(tileWidth) / Double(sourceWidth)
    : Double(sourceWidth) * Double(tileHeight) / Double(sourceHeight)
  let other = Double(size.width == tileWidth ? size.height : size.width)
  let limit = Double(size.width == tileWidth ? tileHeight : tileWidth)
  precondition(abs(other - min(max(exactOther, 1), limit)) <= 1, "\(sourceWidth)x\(sourceHeight) → \(size)")
}

func checkTile(_ tile: UnsafeMutableRawBufferPointer, fitter: TileFitter, picture: PixelSource) {
  let place = fitter.placement(sourceWidth: picture.width, sourceHeight: picture.height)
  precondition(place.left >= 0 && place.top >= 0)
  precondition(place.left + place.width <= fitter.width && place.top + place.height <= fitter.height)
  let rowBytes = fitter.width * fitter.channels
  for row in 0..<fitter.height {
    for column in 0..<fitter.width {
      let inside =
        (place.top..<place.top + place.height).contains(row)
        && (place.left..<place.left + place.width).contains(column)
      for channel in 0..<fitter.channels {
        let byte = tile[row * rowBytes + column * fitter.channels + channel]
        if !inside { precondition(byte == 0, "bar at \(column),\(row) not cleared") }
      }
    }
  }
  let sameLayout =
    (picture.order == .grey && fitter.channels == 1) || (picture.order == .rgb && fitter.channels == 3)
  if sameLayout && place.width == picture.width && place.height == picture.height {
    for row in 0..<picture.height {
      let start = (place.top + row) * rowBytes + place.left * fitter.channels
      let count = picture.width * fitter.channels
      precondition(
        tile[start..<start + count].elementsEqual(picture.pixels[row * count..<(row + 1) * count]),
        "row \(row) not copied as is")
    }
  }
}

/// The process's entry: libFuzzer's driver (SwiftPM links `main` to this name).
@_cdecl("FuzzTileFitter_main")
public func start(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  gridstitch_fuzz_main(argc, argv)
}
