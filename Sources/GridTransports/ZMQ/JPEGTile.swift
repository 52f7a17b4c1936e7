import GridCore
import GridImage
import GridZMQ

/// A remote camera's JPEG frames (`gridstitch camera --encode jpeg`), at the hub: each is checked
/// as it arrives (its size against the header and the JPEG worst case; under `--verify`, its
/// checksum, which the camera took of the compressed bytes), then decoded, when the grid takes
/// it, into the one tile-sized buffer the hub lends the stitcher from. A picture of another size,
/// or one libturbojpeg finds corrupt, is the camera's protocol violation.
final class JPEGTile {
  private let geometry: FrameGeometry
  private let pixels: UnsafeMutableRawBufferPointer
  private let decoder: JPEGDecoder?

  init(geometry: FrameGeometry) {
    self.geometry = geometry
    pixels = .allocate(byteCount: geometry.bytesPerFrame, alignment: 64)
    decoder = try? JPEGDecoder()
  }

  deinit { pixels.deallocate() }

  /// A JPEG frame as it arrives, before it is queued: right camera, a byte count the part has
  /// exactly and the JPEG worst case allows, and (when present) the checksum of those bytes.
  static func check(_ header: FrameHeader, bytes: ZMQMessage, camera: Int, geometry: FrameGeometry)
    throws(GridError)
  {
    guard header.camera == UInt32(camera) else {
      throw .protocolViolation(camera: camera, reason: "header names camera \(header.camera)")
    }
    let limit = ZMQWire.maxJPEGBytes(geometry)
    guard Int(header.byteCount) == bytes.count, (1...limit).contains(bytes.count) else {
      throw .protocolViolation(
        camera: camera,
        reason: "a JPEG frame of \(bytes.count) bytes, its header says \(header.byteCount) (at most \(limit))"
      )
    }
    if let expected = header.checksum {
      let sum = bytes.withUnsafeBytes { Checksum.of($0) }
      guard sum == expected else {
        throw .verification(
          camera: camera, sequence: header.sequence,
          reason: "the JPEG's checksum does not match: torn or corrupted")
      }
    }
  }

  /// Decodes `jpeg` into the tile; the header the stitcher is lent with it: the geometry's byte
  /// count, and under `--verify` the checksum of the decoded pixels (the compressed bytes were
  /// checked on arrival), so the stitcher's check covers the rest of their way.
  func decode(_ jpeg: UnsafeRawBufferPointer, header: FrameHeader, camera: Int) throws -> FrameHeader {
    guard let decoder else { throw GridError.runtime("libturbojpeg could not start a decoder") }
    do {
      try decoder.decode(
        jpeg, exactly: geometry.width, geometry.height, channels: geometry.channels, into: pixels)
    } catch {
      throw GridError.protocolViolation(camera: camera, reason: "a JPEG frame that does not decode: \(error)")
    }
    var lent = header
    lent.byteCount = UInt32(geometry.bytesPerFrame)
    lent.checksum = header.checksum.map { _ in Checksum.of(UnsafeRawBufferPointer(pixels)) }
    return lent
  }

  func withPixels<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try body(UnsafeRawBufferPointer(pixels))
  }
}
