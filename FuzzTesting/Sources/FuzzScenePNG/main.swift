import FuzzDriver
import GridCore
import GridImage

/// The bytes are a scene PNG (a file, or what a hub sends a remote camera), decoded as grey and
/// as RGB. A decode that succeeds holds exactly width × height × channels bytes within the limit,
/// re-encodes and decodes to the same pixels, and is accepted or refused as a scene by its size,
/// never by a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let png = Array(UnsafeRawBufferPointer(start: start, count: count))
  for channels in [1, 3] {
    guard let image = try? PNG.decode(png, channels: channels, path: "fuzz", limit: limit) else { continue }
    precondition(
      image.width >= 1 && image.height >= 1 && image.channels == channels, "\(image.width)x\(image.height)")
    precondition(image.pixels.count == image.width * image.height * channels && image.pixels.count <= limit)
    let again = image.pixels.withUnsafeBytes { pixels in
      Result { () throws(ImageError) in
        let encoded = try PNG.encode(
          width: image.width, height: image.height, channels: channels, pixels: pixels, path: "fuzz")
        return try PNG.decode(encoded, channels: channels, path: "fuzz", limit: limit)
      }
    }
    guard case .success(let decoded) = again else {
      preconditionFailure("a decoded \(image.width)x\(image.height) image does not re-encode: \(again)")
    }
    precondition(decoded == image, "the re-encoded image differs")
    _ = try? Scene(width: image.width, height: image.height, channels: channels, pixels: image.pixels)
  }
  return 0
}

/// Decoded bytes a fuzzed header may ask for: 16 MiB keeps each run fast, and the check that
/// refuses more is the same one that refuses past `PNG.maximumDecodedBytes`.
let limit = 16 << 20

/// The process's entry: libFuzzer's driver (SwiftPM links `main` to this name).
@_cdecl("FuzzScenePNG_main")
public func start(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  gridstitch_fuzz_main(argc, argv)
}
