import CTurboJPEG

/// JPEG through libturbojpeg's TurboJPEG API. Errors come back as return codes and
/// `tjGetErrorStr2`, so no `setjmp`/`longjmp` ever crosses a Swift frame.
public enum JPEG {
  /// The quality the live view sends: sharp enough to read the tiles' stamps.
  public static let defaultQuality = 80

  /// The most bytes a JPEG of this size can take (libturbojpeg's worst case, `tjBufSize`), for
  /// grey (channels 1) or RGB 4:2:0 (3); nil for a size JPEG cannot hold.
  public static func maxBytes(width: Int, height: Int, channels: Int) -> Int? {
    guard width > 0, height > 0, width <= 65_535, height <= 65_535, channels == 1 || channels == 3 else {
      return nil
    }
    let subsampling = channels == 1 ? TJSAMP_GRAY : TJSAMP_420
    let bytes = tjBufSize(Int32(width), Int32(height), Int32(subsampling.rawValue))
    return bytes == UInt.max ? nil : Int(bytes)
  }
}

/// Owns one TurboJPEG compressor handle and its output buffer, reused frame after frame, so
/// encoding a stream of same-sized grids allocates only the returned bytes. Not thread-safe: one
/// encoder per thread.
public final class JPEGEncoder {
  private let handle: tjhandle
  private var buffer: UnsafeMutablePointer<UInt8>?
  private var capacity = 0

  /// The corresponding C function is `tjInitCompress`.
  public init() throws(ImageError) {
    guard let handle = tjInitCompress() else {
      throw ImageError(
        path: "jpeg", reason: "cannot start the encoder: \(String(cString: tjGetErrorStr2(nil)))")
    }
    self.handle = handle
  }

  deinit {
    if let buffer { tjFree(buffer) }
    tjDestroy(handle)
  }

  /// Encodes 8-bit grey (channels 1, greyscale JPEG) or RGB (channels 3, 4:2:0) pixels, rows
  /// tightly packed. The corresponding C function is `tjCompress2`.
  public func encode(
    width: Int, height: Int, channels: Int, pixels: UnsafeRawBufferPointer, quality: Int = JPEG.defaultQuality
  ) throws(ImageError) -> [UInt8] {
    try withEncoding(width: width, height: height, channels: channels, pixels: pixels, quality: quality) {
      Array($0)
    }
  }

  /// Encodes as `encode` does and lends the JPEG's bytes, in the encoder's own buffer, to `body`;
  /// they are valid until `body` returns (no allocation per picture).
  public func withEncoding<R>(
    width: Int, height: Int, channels: Int, pixels: UnsafeRawBufferPointer,
    quality: Int = JPEG.defaultQuality,
    _ body: (UnsafeRawBufferPointer) -> R
  ) throws(ImageError) -> R {
    let format: TJPF
    let subsampling: TJSAMP
    switch channels {
    case 1: (format, subsampling) = (TJPF_GRAY, TJSAMP_GRAY)
    case 3: (format, subsampling) = (TJPF_RGB, TJSAMP_420)
    default:
      throw ImageError(path: "jpeg", reason: "invalid channels \(channels): expected 1 (grey) or 3 (RGB)")
    }
    guard width > 0, height > 0, width <= 65_535, height <= 65_535 else {
      throw ImageError(path: "jpeg", reason: "invalid size \(width)x\(height): JPEG allows 1...65535")
    }
    guard pixels.count == width * height * channels, let source = pixels.baseAddress else {
      throw ImageError(
        path: "jpeg",
        reason: "pixel buffer has \(pixels.count) bytes, expected \(width)x\(height)x\(channels)")
    }
    guard (1...100).contains(quality) else {
      throw ImageError(path: "jpeg", reason: "invalid quality \(quality): use 1 to 100")
    }
    // tjBufSize is the worst case, so with NOREALLOC the library never reallocates our buffer.
    let needed = Int(tjBufSize(Int32(width), Int32(height), Int32(subsampling.rawValue)))
    guard let allocation = Int32(exactly: needed) else {
      throw ImageError(path: "jpeg", reason: "a \(width)x\(height) JPEG needs \(needed) bytes: over 2 GiB")
    }
    if needed > capacity {
      if let buffer { tjFree(buffer) }
      buffer = tjAlloc(allocation)
      capacity = buffer == nil ? 0 : needed
      guard buffer != nil else { throw ImageError(path: "jpeg", reason: "cannot allocate \(needed) bytes") }
    }
    var output = buffer
    var size = UInt(capacity)
    let result = tjCompress2(
      handle, source.assumingMemoryBound(to: UInt8.self), Int32(width), 0, Int32(height),
      Int32(format.rawValue), &output, &size, Int32(subsampling.rawValue), Int32(quality),
      CTurboJPEG_FLAG_FASTDCT | CTurboJPEG_FLAG_NOREALLOC)
    guard result == 0, let output else {
      throw ImageError(path: "jpeg", reason: "cannot encode: \(String(cString: tjGetErrorStr2(handle)))")
    }
    return body(UnsafeRawBufferPointer(start: output, count: Int(size)))
  }
}
