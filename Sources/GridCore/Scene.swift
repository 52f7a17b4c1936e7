/// The picture the cameras film: an image at least as large as a frame, greyscale or RGB.
public struct Scene: Sendable {
  public let width: Int
  public let height: Int
  public let channels: Int
  public let pixels: [UInt8]

  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws(GridError) {
    guard width > 0, height > 0, channels == 1 || channels == 3, pixels.count == width * height * channels
    else {
      throw .runtime("scene: \(width)x\(height)x\(channels) with \(pixels.count) bytes is not a valid image")
    }
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }
}
