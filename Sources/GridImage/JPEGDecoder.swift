import CTurboJPEG

/// What a JPEG's header says, read before anything is allocated for its pixels.
public struct JPEGHeader: Sendable, Equatable {
  public let width: Int
  public let height: Int

  public init(width: Int, height: Int) {
    self.width = width
    self.height = height
  }
}

/// Owns one TurboJPEG decompressor handle and the buffer it decodes into, reused frame after
/// frame. It reads and checks the header first (its size against a limit the caller gives), then
/// decodes straight to the smallest of libturbojpeg's scaling factors (n/8) that still covers the
/// size the picture will be shown at, so a large JPEG for a small tile is never decoded whole.
/// Not thread-safe: one decoder per thread.
public final class JPEGDecoder {
  private var handle: tjhandle
  private var buffer: UnsafeMutableRawBufferPointer?

  /// libturbojpeg's scaling factors (num/denom) that shrink or keep the size, largest first.
  public static let shrinkingFactors: [(num: Int, denom: Int)] = {
    var count: Int32 = 0
    guard let factors = tjGetScalingFactors(&count), count > 0 else { return [(1, 1)] }
    let all = (0..<Int(count)).map { (num: Int(factors[$0].num), denom: Int(factors[$0].denom)) }
    let shrinking = all.filter { $0.num <= $0.denom }
    return shrinking.sorted { $0.num * $1.denom > $1.num * $0.denom }
  }()

  /// The corresponding C function is `tjInitDecompress`.
  public init() throws(ImageError) {
    guard let handle = tjInitDecompress() else {
      throw ImageError(
        path: "jpeg", reason: "cannot start the decoder: \(String(cString: tjGetErrorStr2(nil)))")
    }
    self.handle = handle
  }

  deinit {
    buffer?.deallocate()
    tjDestroy(handle)
  }

  /// libturbojpeg's message for the call that failed; the handle is then replaced by a fresh one,
  /// because a header read that fails leaves it mid-header and the next picture would fail too.
  private func failed() -> String {
    let message = String(cString: tjGetErrorStr2(handle))
    if let fresh = tjInitDecompress() {
      tjDestroy(handle)
      handle = fresh
    }
    return message
  }

  /// Reads the header and refuses a picture wider or taller than `maxSide`. The corresponding C
  /// function is `tjDecompressHeader3`.
  public func header(of jpeg: UnsafeRawBufferPointer, maxSide: Int) throws(ImageError) -> JPEGHeader {
    guard let base = jpeg.baseAddress, jpeg.count >= 4 else {
      throw ImageError(path: "jpeg", reason: "\(jpeg.count) bytes are not a JPEG")
    }
    guard let size = UInt(exactly: jpeg.count) else {
      throw ImageError(path: "jpeg", reason: "a JPEG of \(jpeg.count) bytes is too large")
    }
    var width: Int32 = 0
    var height: Int32 = 0
    var subsampling: Int32 = 0
    var colorspace: Int32 = 0
    let result = tjDecompressHeader3(
      handle, base.assumingMemoryBound(to: UInt8.self), size, &width, &height, &subsampling, &colorspace)
    guard result == 0 else {
      throw ImageError(path: "jpeg", reason: "bad header: \(failed())")
    }
    guard width > 0, height > 0 else {
      throw ImageError(path: "jpeg", reason: "bad header: size \(width)x\(height)")
    }
    guard width <= maxSide, height <= maxSide else {
      throw ImageError(
        path: "jpeg", reason: "\(width)x\(height) is over the limit: at most \(maxSide) pixels a side")
    }
    // Scans are counted before anything is decoded: a legal picture with hundreds of them would
    // hold the decoder for seconds.
    if let cost = JPEGCost.of(jpeg), cost.blockScans(width: Int(width), height: Int(height)) > JPEGCost.budget
    {
      throw ImageError(
        path: "jpeg",
        reason:
          "\(width)x\(height) in \(cost.scans) scans is over the decoding budget: at most "
          + "\(JPEGCost.budget >> 20) M blocks × scans")
    }
    return JPEGHeader(width: Int(width), height: Int(height))
  }

  /// The size a picture of `header` decodes to when it is to be shown at `width × height`: the
  /// smallest shrinking scale that still covers that size (libturbojpeg rounds each side up),
  /// else its own size.
  public static func scaledSize(of header: JPEGHeader, covering width: Int, _ height: Int) -> (
    width: Int, height: Int
  ) {
    var chosen = (width: header.width, height: header.height)
    for factor in shrinkingFactors {
      let scaled = (
        width: (header.width * factor.num + factor.denom - 1) / factor.denom,
        height: (header.height * factor.num + factor.denom - 1) / factor.denom
      )
      guard scaled.width >= width, scaled.height >= height else { break }
      chosen = scaled
    }
    return chosen
  }

  /// Decodes `jpeg` (checked against `maxSide` first) as grey (`channels` 1) or RGB (3), scaled
  /// to cover `width × height`, and lends the pixels to `body`; they stay valid until `body`
  /// returns. A corrupt picture, a warning included (a truncated file), is an error: nothing is
  /// lent. The corresponding C function is `tjDecompress2`.
  public func decode<R>(
    _ jpeg: UnsafeRawBufferPointer, maxSide: Int, covering width: Int, _ height: Int, channels: Int,
    _ body: (PixelSource) -> R
  ) throws(ImageError) -> R {
    guard channels == 1 || channels == 3 else {
      throw ImageError(path: "jpeg", reason: "invalid channels \(channels): expected 1 (grey) or 3 (RGB)")
    }
    let header = try header(of: jpeg, maxSide: maxSide)
    let fitted = TileFitter.fittedSize(
      sourceWidth: header.width, sourceHeight: header.height, tileWidth: width, tileHeight: height)
    let scaled = Self.scaledSize(of: header, covering: fitted.width, fitted.height)
    let needed = scaled.width * scaled.height * channels
    if (buffer?.count ?? 0) < needed {
      buffer?.deallocate()
      buffer = .allocate(byteCount: needed, alignment: 64)
    }
    let output = UnsafeMutableRawBufferPointer(rebasing: buffer![0..<needed])
    let format = channels == 1 ? TJPF_GRAY : TJPF_RGB
    let result = tjDecompress2(
      handle, jpeg.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt(jpeg.count),
      output.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(scaled.width), 0, Int32(scaled.height),
      Int32(format.rawValue), TJFLAG_FASTDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS)
    guard result == 0 else {
      throw ImageError(path: "jpeg", reason: "cannot decode: \(failed())")
    }
    guard
      let source = PixelSource(
        pixels: UnsafeRawBufferPointer(output), width: scaled.width, height: scaled.height,
        order: channels == 1 ? .grey : .rgb)
    else { throw ImageError(path: "jpeg", reason: "decoded size \(scaled) is empty") }
    return body(source)
  }

  /// Decodes `jpeg` into `output`, which it must fill exactly: a picture of `width × height`
  /// pixels, grey (`channels` 1) or RGB (3), rows tightly packed. Any other size is refused
  /// before anything is decoded; a corrupt picture, a warning included, is an error. The
  /// corresponding C function is `tjDecompress2`.
  public func decode(
    _ jpeg: UnsafeRawBufferPointer, exactly width: Int, _ height: Int, channels: Int,
    into output: UnsafeMutableRawBufferPointer
  ) throws(ImageError) {
    guard channels == 1 || channels == 3, output.count == width * height * channels,
      let target = output.baseAddress
    else {
      throw ImageError(
        path: "jpeg", reason: "a \(width)x\(height)x\(channels) picture does not fill \(output.count) bytes")
    }
    let header = try header(of: jpeg, maxSide: max(width, height))
    guard header.width == width, header.height == height else {
      throw ImageError(
        path: "jpeg", reason: "picture is \(header.width)x\(header.height), not \(width)x\(height)")
    }
    let format = channels == 1 ? TJPF_GRAY : TJPF_RGB
    let result = tjDecompress2(
      handle, jpeg.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt(jpeg.count),
      target.assumingMemoryBound(to: UInt8.self), Int32(width), 0, Int32(height), Int32(format.rawValue),
      TJFLAG_FASTDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS)
    guard result == 0 else { throw ImageError(path: "jpeg", reason: "cannot decode: \(failed())") }
  }
}
