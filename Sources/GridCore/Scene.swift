/// Where a scene's pixels live: an array in this process, or a sealed shared mapping that every
/// camera maps (GridPosix's `SealedMemory`). The storage outlives every scene that points into it.
public protocol SceneStorage: AnyObject, Sendable {
  /// The pixels' byte count.
  var byteCount: Int { get }
  /// Lends the pixels to `body`, and only to it (the storage lives for the call).
  func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

/// The picture the cameras film: an image at least as large as a frame, greyscale or RGB.
public struct Scene: Sendable {
  public let width: Int
  public let height: Int
  public let channels: Int
  public let storage: any SceneStorage

  /// Lends the pixels (row-major, `channels` bytes each) to `body`, and only to it.
  public func withUnsafePixels<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try storage.withUnsafeBytes(body)
  }

  /// The pixels' byte count.
  public var byteCount: Int { storage.byteCount }

  public init(width: Int, height: Int, channels: Int, storage: any SceneStorage) throws(GridError) {
    let (area, tooWide) = width.multipliedReportingOverflow(by: height)
    let (count, tooDeep) = area.multipliedReportingOverflow(by: channels)
    guard width > 0, height > 0, channels == 1 || channels == 3, !tooWide, !tooDeep,
      count == storage.byteCount
    else {
      throw .runtime(
        "scene: \(width)x\(height)x\(channels) with \(storage.byteCount) bytes is not a valid image")
    }
    self.width = width
    self.height = height
    self.channels = channels
    self.storage = storage
  }

  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws(GridError) {
    try self.init(width: width, height: height, channels: channels, storage: ArrayStorage(pixels))
  }
}

/// Scene pixels held in this process's memory (immutable once made, so safe to share).
final class ArrayStorage: SceneStorage, @unchecked Sendable {
  private let buffer: UnsafeMutableRawBufferPointer

  init(_ pixels: [UInt8]) {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(pixels.count, 1), alignment: 64)
    pixels.withUnsafeBytes { buffer.copyMemory(from: $0) }
    self.buffer = buffer
    byteCount = pixels.count
  }

  let byteCount: Int

  func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try body(UnsafeRawBufferPointer(rebasing: buffer[0..<byteCount]))
  }

  deinit { buffer.deallocate() }
}
