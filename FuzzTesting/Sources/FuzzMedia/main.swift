import FuzzDriver
import GridMedia

/// The bytes are a video file a camera films (any container and codec FFmpeg's libraries open),
/// read from memory. Whatever they hold, opening either fails with one error or gives a stream
/// within the limits; its first frames decode, loop at the end and scale into a grey and an odd
/// RGB tile, or are counted as damaged; never a trap, a hang or an allocation past the limits.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
  guard let input = try? MediaInput(bytes: bytes, name: "fuzz", maxPixels: maxPixels) else { return 0 }
  precondition(input.width >= 1 && input.height >= 1 && input.width * input.height <= maxPixels)
  var grey = [UInt8](repeating: 1, count: 64 * 48)
  var rgb = [UInt8](repeating: 1, count: 37 * 29 * 3)
  for _ in 0..<4 {
    guard case .some = try? input.next(loop: true) else { break }
    try? grey.withUnsafeMutableBytes { try input.draw(into: $0, tileWidth: 64, tileHeight: 48, channels: 1) }
    try? rgb.withUnsafeMutableBytes { try input.draw(into: $0, tileWidth: 37, tileHeight: 29, channels: 3) }
  }
  return 0
}

/// Pixels a fuzzed stream may have: a megapixel keeps each run fast and within libFuzzer's
/// memory limit, and the check that refuses more is the one that refuses past 8192 × 8192.
let maxPixels = 1 << 20

/// The process's entry: libFuzzer's driver (SwiftPM links `main` to this name).
@_cdecl("FuzzMedia_main")
public func start(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  gridstitch_fuzz_main(argc, argv)
}
