import CLibPNG
import GridPosix

/// An 8-bit image held in memory, greyscale or RGB, rows tightly packed.
public struct Image: Sendable, Equatable {
  public var width: Int
  public var height: Int
  /// 1 (grey) or 3 (RGB).
  public var channels: Int
  /// Row-major, `width * height * channels` bytes.
  public var pixels: [UInt8]

  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }
}

/// A PNG that could not be read or written, as a one-line message naming the file.
public struct ImageError: Error, CustomStringConvertible, Equatable {
  public let path: String
  public let reason: String
  public var description: String { "\(path): \(reason)" }

  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }
}

/// PNG through libpng's simplified API, in memory: it reports errors in `png_image`, so no
/// `setjmp`/`longjmp` ever crosses a Swift frame. Files are read and written by GridPosix (a
/// regular file read whole; an atomic write), so this module makes no system call of its own.
public enum PNG {
  /// The largest decoded image accepted (1 GiB): a file's header is untrusted input and is
  /// checked before the pixel buffer is allocated. The file itself may be no larger.
  public static let maximumDecodedBytes = 1 << 30

  /// Reads a PNG as greyscale (channels 1) or RGB (channels 3), converting as libpng's
  /// simplified API does (colour to grey by luminance; alpha composited onto the zeroed
  /// buffer, that is onto black). Only a regular file is read: a FIFO is refused, not waited on.
  public static func read(path: String, channels: Int) throws(ImageError) -> Image {
    _ = try pngFormat(channels: channels, path: path)
    let bytes: [UInt8]
    do {
      bytes = try FileSystem.readRegularFile(path, limit: maximumDecodedBytes)
    } catch {
      throw ImageError(path: path, reason: error.reason)
    }
    return try decode(bytes, channels: channels, path: path)
  }

  /// Decodes PNG bytes; `path` only names them in errors. `limit` bounds the decoded size (the
  /// fuzz target lowers it, so a hostile header costs it no gigabyte).
  public static func decode(
    _ bytes: [UInt8], channels: Int, path: String, limit: Int = maximumDecodedBytes
  ) throws(ImageError) -> Image {
    let format = try pngFormat(channels: channels, path: path)
    // libpng inflates compressed ancillary chunks without a bound (Debian builds it with no
    // chunk allocation limit): 67 bytes of iCCP asked it for 2 GB. They carry nothing the decode
    // needs, so only the chunks that shape the pixels reach it.
    let bytes = decodableChunks(of: bytes)
    var image = png_image()
    image.version = CLibPNG_IMAGE_VERSION
    defer { png_image_free(&image) }
    let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
    guard begun != 0 else {
      throw failure(of: &image, path: path, doing: "cannot read PNG")
    }
    image.format = format
    let width = Int(image.width)
    let height = Int(image.height)
    let (byteCount, overflow) = width.multipliedReportingOverflow(by: height * channels)
    guard !overflow, byteCount <= limit else {
      throw ImageError(path: path, reason: "image too large: \(width)x\(height)")
    }
    var pixels = [UInt8](repeating: 0, count: byteCount)
    // libpng reads from `bytes` until the decode finishes: keep them alive across both calls.
    let finished = withExtendedLifetime(bytes) {
      pixels.withUnsafeMutableBytes { buffer in
        png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil)
      }
    }
    guard finished != 0 else {
      throw failure(of: &image, path: path, doing: "cannot decode PNG")
    }
    return Image(width: width, height: height, channels: channels, pixels: pixels)
  }

  /// Encodes pixels (`width * height * channels` bytes) as a PNG in memory; `path` only names
  /// them in errors.
  public static func encode(
    width: Int, height: Int, channels: Int, pixels: UnsafeRawBufferPointer, path: String
  ) throws(ImageError) -> [UInt8] {
    let format = try pngFormat(channels: channels, path: path)
    guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
      throw ImageError(
        path: path, reason: "invalid size \(width)x\(height): width and height must be 1...\(Int32.max)")
    }
    let (byteCount, overflow) = width.multipliedReportingOverflow(by: height * channels)
    guard !overflow, pixels.count == byteCount, let base = pixels.baseAddress else {
      throw ImageError(
        path: path,
        reason: "pixel buffer has \(pixels.count) bytes, expected \(width)x\(height)x\(channels)"
          + (overflow ? "" : " = \(byteCount)"))
    }
    var image = png_image()
    image.version = CLibPNG_IMAGE_VERSION
    image.width = UInt32(width)
    image.height = UInt32(height)
    image.format = format
    defer { png_image_free(&image) }
    // Sized by libpng's own upper bound, so one encode always fits; left uninitialized, so only
    // the pages the PNG fills are ever touched (the bound is the raw size and more).
    let bound = Int(CLibPNG_image_png_size_max(&image))
    var written: Int32 = 0
    let encoded = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
      var size = bound
      written = png_image_write_to_memory(&image, buffer.baseAddress, &size, 0, base, 0, nil)
      count = written != 0 ? size : 0
    }
    guard written != 0 else {
      throw failure(of: &image, path: path, doing: "cannot write PNG")
    }
    return encoded
  }

  /// Writes pixels (`width * height * channels` bytes) atomically (GridPosix's `AtomicFile`: a
  /// temporary name in the same folder, synced, renamed), so readers never see a half-written
  /// file. On any failure nothing is left behind.
  public static func write(
    path: String, width: Int, height: Int, channels: Int, pixels: UnsafeRawBufferPointer
  ) throws(ImageError) {
    let encoded = try encode(width: width, height: height, channels: channels, pixels: pixels, path: path)
    let written = encoded.withUnsafeBytes { bytes in
      Result { () throws(FileError) in try FileSystem.writeAtomically(path, bytes: bytes) }
    }
    if case .failure(let error) = written { throw ImageError(path: path, reason: error.reason) }
  }

  /// Writes `image` atomically, as ``write(path:width:height:channels:pixels:)`` does.
  public static func write(_ image: Image, to path: String) throws(ImageError) {
    let result = image.pixels.withUnsafeBytes { buffer in
      Result { () throws(ImageError) in
        try write(
          path: path, width: image.width, height: image.height, channels: image.channels,
          pixels: buffer)
      }
    }
    try result.get()
  }

  /// The chunks libpng's simplified API reads to produce pixels: the critical ones and those
  /// that change the colours it converts (transparency, gamma, chromaticities, sRGB, significant
  /// bits, background). Text, ICC profiles and every other chunk are dropped before libpng
  /// sees them; in particular the compressed ones (zTXt, iTXt, iCCP), which it would inflate
  /// into memory of a size the file claims.
  package static let decodedChunkTypes: Set<String> = [
    "IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "sBIT", "bKGD",
  ]

  /// `bytes` with only ``decodedChunkTypes`` kept, each chunk copied whole (its CRC included, so
  /// libpng still checks it); what follows IEND is dropped. A bad signature, and a truncated
  /// chunk of a kept type, are passed on as they are, so libpng reports them in its own words.
  package static func decodableChunks(of bytes: [UInt8]) -> [UInt8] {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard bytes.count >= signature.count, bytes[..<signature.count].elementsEqual(signature) else {
      return bytes
    }
    var kept = signature
    kept.reserveCapacity(bytes.count)
    var offset = signature.count
    while bytes.count - offset >= 8 {
      let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
      let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
      guard length + 12 <= bytes.count - offset else {
        // Truncated: libpng reads what is left of a chunk it decodes and reports the end.
        if decodedChunkTypes.contains(type) { kept.append(contentsOf: bytes[offset...]) }
        return kept
      }
      let end = offset + 12 + length
      if decodedChunkTypes.contains(type) { kept.append(contentsOf: bytes[offset..<end]) }
      offset = end
      if type == "IEND" { return kept }
    }
    kept.append(contentsOf: bytes[offset...])
    return kept
  }

  private static func pngFormat(channels: Int, path: String) throws(ImageError) -> UInt32 {
    switch channels {
    case 1: return CLibPNG_FORMAT_GRAY
    case 3: return CLibPNG_FORMAT_RGB
    default:
      throw ImageError(path: path, reason: "invalid channels \(channels): expected 1 (grey) or 3 (RGB)")
    }
  }

  private static func failure(
    of image: inout png_image, path: String, doing action: String
  ) -> ImageError {
    let message = withUnsafeBytes(of: &image.message) { bytes in
      String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
    return ImageError(path: path, reason: message.isEmpty ? action : "\(action): \(message)")
  }
}
