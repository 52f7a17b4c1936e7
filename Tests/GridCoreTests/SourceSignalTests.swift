import GridCore
import Testing

/// The source's word in a frame header: state in flag bits 1–3, a counter named by bits 4–5 in
/// the last four bytes; zeros (the test card, an older peer) read as no source.
@Suite struct SourceSignalTests {
  static func roundTrip(_ header: FrameHeader) -> (FrameHeader, [UInt8]) {
    var bytes = [UInt8](repeating: 0xEE, count: FrameHeader.wireSize)
    bytes.withUnsafeMutableBytes { header.encode(into: $0.baseAddress!) }
    return (bytes.withUnsafeBytes { FrameHeader(decoding: $0.baseAddress!) }, bytes)
  }

  @Test(arguments: SourceSignal.State.allCases)
  func everyStateAndCounterTravels(state: SourceSignal.State) {
    for counter in SourceSignal.Counter.allCases {
      let signal = SourceSignal(state: state, counter: counter, value: state == .none ? 0 : 4_000_000_001)
      let header = FrameHeader(
        camera: 3, byteCount: 76_800, sequence: 9, captureNanos: 12, checksum: 0xABCD, source: signal)
      let (decoded, bytes) = Self.roundTrip(header)
      if state == .none {
        // No source says nothing more: whatever else it held is not written.
        #expect(decoded.source == .none && bytes[36..<40].allSatisfy { $0 == 0 })
      } else {
        #expect(decoded == header)
      }
      #expect(decoded.checksum == 0xABCD)
    }
  }

  @Test func theTestCardSendsZeros() {
    let (decoded, bytes) = Self.roundTrip(
      FrameHeader(camera: 1, byteCount: 4, sequence: 2, captureNanos: 3, checksum: nil))
    #expect(bytes[32..<40].allSatisfy { $0 == 0 })
    #expect(decoded.source == .none)
  }

  /// A peer's flags that name no state or no counter are heard as no source at all.
  @Test func unknownBitsReadAsNoSource() {
    for flags: UInt32 in [0b111 << 1, 0b101 << 1, 0b11 << 4 | 1 << 1] {
      var bytes = [UInt8](repeating: 0, count: FrameHeader.wireSize)
      bytes.withUnsafeMutableBytes {
        $0.storeBytes(of: flags.littleEndian, toByteOffset: 32, as: UInt32.self)
        $0.storeBytes(of: UInt32(77).littleEndian, toByteOffset: 36, as: UInt32.self)
      }
      let decoded = bytes.withUnsafeBytes { FrameHeader(decoding: $0.baseAddress!) }
      #expect(decoded.source == .none, "flags \(flags)")
    }
  }

  /// The consumer keeps each counter's newest value and the newest state; frames saying nothing
  /// of a source change nothing.
  @Test func figuresKeepEachCounter() {
    var figures = SourceFigures()
    figures.hear(SourceSignal(state: .playing, counter: .decodedFrames, value: 10))
    figures.hear(SourceSignal(state: .playing, counter: .decodeErrors, value: 2))
    figures.hear(SourceSignal(state: .noSignal, counter: .reconnects, value: 1))
    figures.hear(.none)
    #expect(figures.state == .noSignal)
    #expect(figures.decodedFrames == 10 && figures.decodeErrors == 2 && figures.reconnects == 1)
    #expect(SourceSignal.saturated(Int(UInt32.max) + 5) == UInt32.max)
  }
}
