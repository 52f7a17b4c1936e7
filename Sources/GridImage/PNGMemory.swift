import CLibPNG

extension PNG {
  /// Encodes pixels (`width * height * channels` bytes, grey or RGB) as PNG bytes in memory,
  /// for serving rather than writing. The corresponding C function is `png_image_write_to_memory`,
  /// called once to size the buffer and once to fill it.
  public static func encode(
    width: Int, height: Int, channels: Int, pixels: UnsafeRawBufferPointer
  ) throws(ImageError) -> [UInt8] {
    let format: UInt32
    switch channels {
    case 1: format = CLibPNG_FORMAT_GRAY
    case 3: format = CLibPNG_FORMAT_RGB
    default:
      throw ImageError(path: "png", reason: "invalid channels \(channels): expected 1 (grey) or 3 (RGB)")
    }
    guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max),
      pixels.count == width * height * channels, let base = pixels.baseAddress
    else {
      throw ImageError(
        path: "png", reason: "pixel buffer has \(pixels.count) bytes, expected \(width)x\(height)x\(channels)"
      )
    }
    var image = png_image()
    image.version = CLibPNG_IMAGE_VERSION
    image.width = UInt32(width)
    image.height = UInt32(height)
    image.format = format
    defer { png_image_free(&image) }
    var size: png_alloc_size_t = 0
    guard png_image_write_to_memory(&image, nil, &size, 0, base, 0, nil) != 0, size > 0 else {
      throw ImageError(path: "png", reason: "cannot size PNG")
    }
    var bytes = [UInt8](repeating: 0, count: Int(size))
    let written = bytes.withUnsafeMutableBytes { out in
      png_image_write_to_memory(&image, out.baseAddress, &size, 0, base, 0, nil)
    }
    guard written != 0 else { throw ImageError(path: "png", reason: "cannot encode PNG") }
    bytes.removeLast(bytes.count - Int(size))
    return bytes
  }
}
