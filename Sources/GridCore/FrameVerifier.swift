/// Checks a delivered frame is the one expected: right camera, right sequence, right size, and
/// pixels whose checksum is present and matches the header's.
public enum FrameVerifier {
  public static func check(
    _ header: FrameHeader, pixels: UnsafeRawBufferPointer, camera: Int, sequence: UInt64,
    geometry: FrameGeometry
  ) throws(GridError) {
    guard header.camera == UInt32(camera) else {
      throw .verification(
        camera: camera, sequence: sequence, reason: "frame comes from camera \(header.camera)")
    }
    guard header.sequence == sequence else {
      throw .verification(
        camera: camera, sequence: sequence, reason: "received frame \(header.sequence) out of order")
    }
    guard header.byteCount == UInt32(geometry.bytesPerFrame), pixels.count >= geometry.bytesPerFrame else {
      throw .verification(
        camera: camera, sequence: sequence,
        reason: "frame has \(header.byteCount) bytes, expected \(geometry.bytesPerFrame)")
    }
    guard let expected = header.checksum else {
      throw .verification(
        camera: camera, sequence: sequence, reason: "frame carries no checksum, and the run verifies")
    }
    let sum = Checksum.of(UnsafeRawBufferPointer(rebasing: pixels[0..<geometry.bytesPerFrame]))
    guard sum == expected else {
      throw .verification(
        camera: camera, sequence: sequence,
        reason: "checksum mismatch (header \(hex(expected)), pixels \(hex(sum))): torn or corrupted")
    }
  }

  private static func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}
