import CLibPNG

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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

/// PNG files through libpng's simplified API: it reports errors in `png_image`, so no
/// `setjmp`/`longjmp` ever crosses a Swift frame.
public enum PNG {
  /// The largest decoded image accepted (1 GiB): a file's header is untrusted input and is
  /// checked before the pixel buffer is allocated.
  public static let maximumDecodedBytes = 1 << 30

  /// Reads a PNG as greyscale (channels 1) or RGB (channels 3), converting as libpng's
  /// simplified API does (colour to grey by luminance; alpha composited onto the zeroed
  /// buffer, that is onto black).
  public static func read(path: String, channels: Int) throws(ImageError) -> Image {
    let format = try pngFormat(channels: channels, path: path)
    // Opened here rather than by libpng so a missing file reads "cannot open: <errno text>".
    guard let file = fopen(path, "rb") else {
      throw ImageError(path: path, reason: "cannot open: \(errnoText())")
    }
    defer { fclose(file) }
    // fopen(3) opens folders for reading; say so instead of libpng's "Read Error".
    var status = stat()
    if fstat(fileno(file), &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
      throw ImageError(path: path, reason: "cannot open: \(String(cString: strerror(EISDIR)))")
    }

    var image = png_image()
    image.version = CLibPNG_IMAGE_VERSION
    defer { png_image_free(&image) }
    guard png_image_begin_read_from_stdio(&image, file) != 0 else {
      throw failure(of: &image, path: path, doing: "cannot read PNG")
    }
    image.format = format
    let width = Int(image.width)
    let height = Int(image.height)
    let (byteCount, overflow) = width.multipliedReportingOverflow(by: height * channels)
    guard !overflow, byteCount <= maximumDecodedBytes else {
      throw ImageError(path: path, reason: "image too large: \(width)x\(height)")
    }
    var pixels = [UInt8](repeating: 0, count: byteCount)
    let finished = pixels.withUnsafeMutableBytes { buffer in
      png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil)
    }
    guard finished != 0 else {
      throw failure(of: &image, path: path, doing: "cannot decode PNG")
    }
    return Image(width: width, height: height, channels: channels, pixels: pixels)
  }

  /// Writes pixels (`width * height * channels` bytes) atomically: to a temporary name in
  /// the same folder, then `rename(2)`, so readers never see a half-written file. On any
  /// failure the temporary file is removed and nothing is left behind.
  public static func write(
    path: String, width: Int, height: Int, channels: Int, pixels: UnsafeRawBufferPointer
  ) throws(ImageError) {
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

    let temporary = temporaryName(for: path)
    // Exclusive create: an unguessable name that nobody else (or a planted symlink) owns.
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard descriptor >= 0 else {
      throw ImageError(path: path, reason: "cannot create: \(errnoText())")
    }
    guard let file = fdopen(descriptor, "wb") else {
      let reason = "cannot create: \(errnoText())"
      close(descriptor)
      unlink(temporary)
      throw ImageError(path: path, reason: reason)
    }

    var image = png_image()
    image.version = CLibPNG_IMAGE_VERSION
    image.width = UInt32(width)
    image.height = UInt32(height)
    image.format = format
    defer { png_image_free(&image) }
    if png_image_write_to_stdio(&image, file, 0, base, 0, nil) == 0 {
      let error = failure(of: &image, path: path, doing: "cannot write PNG")
      fclose(file)
      unlink(temporary)
      throw error
    }
    // Flushed and synced before the rename so a crash cannot publish an empty file.
    if fflush(file) != 0 || fsync(fileno(file)) != 0 {
      let reason = "cannot write: \(errnoText())"
      fclose(file)
      unlink(temporary)
      throw ImageError(path: path, reason: reason)
    }
    if fclose(file) != 0 {
      let reason = "cannot write: \(errnoText())"
      unlink(temporary)
      throw ImageError(path: path, reason: reason)
    }
    if rename(temporary, path) != 0 {
      let reason = "cannot rename into place: \(errnoText())"
      unlink(temporary)
      throw ImageError(path: path, reason: reason)
    }
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

  private static func pngFormat(channels: Int, path: String) throws(ImageError) -> UInt32 {
    switch channels {
    case 1: return CLibPNG_FORMAT_GRAY
    case 3: return CLibPNG_FORMAT_RGB
    default:
      throw ImageError(path: path, reason: "invalid channels \(channels): expected 1 (grey) or 3 (RGB)")
    }
  }

  /// ".name.tmp-<pid>-<random>" beside `path`, so the final rename stays on one file system.
  private static func temporaryName(for path: String) -> String {
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let random = String(UInt64.random(in: .min ... .max), radix: 16)
    return "\(folder).\(name).tmp-\(getpid())-\(random)"
  }

  private static func failure(
    of image: inout png_image, path: String, doing action: String
  ) -> ImageError {
    let message = withUnsafeBytes(of: &image.message) { bytes in
      String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
    return ImageError(path: path, reason: message.isEmpty ? action : "\(action): \(message)")
  }

  private static func errnoText() -> String {
    String(cString: strerror(errno))
  }
}
