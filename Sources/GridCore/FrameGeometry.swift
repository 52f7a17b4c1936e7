/// The shape of one camera frame: `height` rows of `width` pixels of `channels` bytes, tightly packed.
public struct FrameGeometry: Hashable, Sendable, CustomStringConvertible {
  public var width: Int
  public var height: Int
  public var channels: Int

  public init(width: Int = 320, height: Int = 240, channels: Int = 1) {
    self.width = width
    self.height = height
    self.channels = channels
  }

  public var bytesPerRow: Int { width * channels }
  public var bytesPerFrame: Int { width * height * channels }
  public var description: String { "\(width)x\(height)x\(channels)" }
}
