/// The metadata that travels with every frame. Its wire form is 40 bytes, little-endian:
/// camera u32, byteCount u32, sequence u64, captureNanos u64, checksum u64, flags u32, source
/// counter u32. Flag bit 0 says the checksum is present: cameras compute it only when the run
/// verifies. Flag bits 1–5 and the last four bytes are the camera's word on its source
/// (`SourceSignal`): zero for the test card.
public struct FrameHeader: Hashable, Sendable {
  public var camera: UInt32
  /// Pixel bytes that follow the header; a reader checks it against the geometry before reading.
  public var byteCount: UInt32
  public var sequence: UInt64
  /// CLOCK_MONOTONIC nanoseconds when the camera started rendering the frame.
  public var captureNanos: UInt64
  /// XXH3-64 of the pixels (`Checksum.of`), or nil when the camera was not asked for one.
  public var checksum: UInt64?
  /// What a camera filming a file or stream says of its source; `.none` for the test card.
  public var source: SourceSignal

  public static let wireSize = 40
  private static let checksumPresent: UInt32 = 1

  public init(
    camera: UInt32, byteCount: UInt32, sequence: UInt64, captureNanos: UInt64, checksum: UInt64?,
    source: SourceSignal = .none
  ) {
    self.camera = camera
    self.source = source
    self.byteCount = byteCount
    self.sequence = sequence
    self.captureNanos = captureNanos
    self.checksum = checksum
  }

  public static let zero = FrameHeader(camera: 0, byteCount: 0, sequence: 0, captureNanos: 0, checksum: nil)

  public func encode(into buffer: UnsafeMutableRawPointer) {
    buffer.storeBytes(of: camera.littleEndian, toByteOffset: 0, as: UInt32.self)
    buffer.storeBytes(of: byteCount.littleEndian, toByteOffset: 4, as: UInt32.self)
    buffer.storeBytes(of: sequence.littleEndian, toByteOffset: 8, as: UInt64.self)
    buffer.storeBytes(of: captureNanos.littleEndian, toByteOffset: 16, as: UInt64.self)
    buffer.storeBytes(of: (checksum ?? 0).littleEndian, toByteOffset: 24, as: UInt64.self)
    let flags = (checksum == nil ? 0 : Self.checksumPresent) | source.flags
    buffer.storeBytes(of: flags.littleEndian, toByteOffset: 32, as: UInt32.self)
    buffer.storeBytes(of: source.word.littleEndian, toByteOffset: 36, as: UInt32.self)
  }

  public init(decoding buffer: UnsafeRawPointer) {
    self.camera = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
    self.byteCount = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    self.sequence = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    self.captureNanos = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
    let sum = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    let flags = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 32, as: UInt32.self))
    self.checksum = flags & Self.checksumPresent != 0 ? sum : nil
    let value = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 36, as: UInt32.self))
    self.source = SourceSignal(flags: flags, value: value)
  }
}
