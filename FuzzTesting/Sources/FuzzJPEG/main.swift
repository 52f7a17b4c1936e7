import FuzzDriver
import GridImage

/// The bytes are a JPEG from an imagezmq sender, decoded as the hub does: header and size limit
/// first, then grey and RGB, scaled to cover a tile (its size picked by the input's length). A
/// decode that succeeds lends exactly the pixels it promised (scaled to cover the tile, or the
/// whole picture if smaller), and they fit
/// into the tile; the decoder stays usable after any failure.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  // A copy of its own, so a read past the JPEG is a read past an allocation.
  let jpeg = Array(UnsafeRawBufferPointer(start: start, count: count))
  let tile = tiles[count % tiles.count]
  jpeg.withUnsafeBytes { raw in
    guard let header = try? decoder.header(of: raw, maxSide: maxSide) else { return }
    precondition((1...maxSide).contains(header.width) && (1...maxSide).contains(header.height), "\(header)")
    for channels in [1, 3] {
      let fitted = TileFitter.fittedSize(
        sourceWidth: header.width, sourceHeight: header.height, tileWidth: tile.width, tileHeight: tile.height
      )
      let expected = JPEGDecoder.scaledSize(of: header, covering: fitted.width, fitted.height)
      let fitter = TileFitter(width: tile.width, height: tile.height, channels: channels)
      let output = UnsafeMutableRawBufferPointer.allocate(byteCount: fitter.bytesPerTile, alignment: 1)
      defer { output.deallocate() }
      _ = try? decoder.decode(
        raw, maxSide: maxSide, covering: tile.width, tile.height, channels: channels
      ) { source in
        precondition(source.width == expected.width && source.height == expected.height, "\(header)")
        // Scaled down only as far as it still covers the fitted size; a smaller picture whole.
        let whole = source.width == header.width && source.height == header.height
        precondition(whole || (source.width >= fitted.width && source.height >= fitted.height), "\(header)")
        precondition(source.pixels.count == source.width * source.height * channels)
        precondition(source.order == (channels == 1 ? .grey : .rgb))
        fitter.fit(source, into: output)
      }
    }
  }
  return 0
}

/// The largest side the imagezmq hub accepts (ImageZMQSettings.maxSide).
let maxSide = 8192

/// Tiles to cover: the default frame, portrait, tiny, and very wide or tall ones.
let tiles: [(width: Int, height: Int)] = [
  (320, 240), (240, 320), (1, 1), (16, 9), (64, 48), (1000, 3), (3, 1000), (640, 480),
]

/// One decoder for the whole run, as each hub thread keeps one frame after frame.
nonisolated(unsafe) let decoder = try! JPEGDecoder()

/// The process's entry: libFuzzer's driver (SwiftPM links `main` to this name).
@_cdecl("FuzzJPEG_main")
public func start(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  gridstitch_fuzz_main(argc, argv)
}
