import GridCore
import Testing

/// The checksum is XXH3-64, bit-exact: xxHash's own sanity vectors (`XSUM_XXH3_testdata` in
/// xxHash's cli/xsum_sanity_check.c), over its pseudorandom test buffer, cover every length class.
@Suite struct ChecksumTests {
  static let prime32: UInt64 = 2_654_435_761
  static let prime64: UInt64 = 11_400_714_785_074_694_797

  /// `XSUM_fillTestBuffer`: byte i is the top byte of PRIME32 × PRIME64^i.
  static let sanityBuffer: [UInt8] = {
    var generator = prime32
    return (0..<(4096 + 64 + 1)).map { _ in
      defer { generator = generator &* prime64 }
      return UInt8(generator >> 56)
    }
  }()

  static let vectors: [(length: Int, seed: UInt64, hash: UInt64)] = [
    (0, 0, 0x2D06_8005_38D3_94C2), (0, prime64, 0xA8A6_B918_B2F0_364A),
    (1, 0, 0xC44B_DFF4_074E_ECDB), (1, prime64, 0x032B_E332_DD76_6EF8),
    (6, 0, 0x27B5_6A84_CD2D_7325), (6, prime64, 0x8458_9C11_6AB5_9AB9),
    (12, 0, 0xA713_DAF0_DFBB_77E7), (12, prime64, 0xE730_3E1B_2336_DE0E),
    (24, 0, 0xA3FE_70BF_9D35_10EB), (24, prime64, 0x850E_80FC_35BD_D690),
    (48, 0, 0x397D_A259_ECBA_1F11), (48, prime64, 0xADC2_CBAA_44AC_C616),
    (80, 0, 0xBCDE_FBBB_2C47_C90A), (80, prime64, 0xC6DD_0CB6_9953_2E73),
    (195, 0, 0xCD94_217E_E362_EC3A), (195, prime64, 0xBA68_003D_370C_B3D9),
    (403, 0, 0xCDEB_804D_65C6_DEA4), (403, prime64, 0x6259_F6EC_FD64_43FD),
    (512, 0, 0x617E_4959_9013_CB6B), (512, prime64, 0x3CE4_57DE_14C2_7708),
    (2048, 0, 0xDD59_E2C3_A5F0_38E0), (2048, prime64, 0x66F8_1670_669A_BABC),
    (2240, 0, 0x6E73_A905_39CF_2948), (2240, prime64, 0x757B_A848_7D1B_5247),
    (2367, 0, 0xCB37_AEB9_E5D3_61ED), (2367, prime64, 0xD2DB_3415_B942_B42A),
  ]

  @Test func referenceVectors() {
    Self.sanityBuffer.withUnsafeBytes { buffer in
      for vector in Self.vectors {
        let input = UnsafeRawBufferPointer(rebasing: buffer[0..<vector.length])
        let hash = Checksum.xxh3(input, seed: vector.seed)
        #expect(hash == vector.hash, "length \(vector.length) seed \(vector.seed)")
        if vector.seed == 0 { #expect(Checksum.of(input) == vector.hash, "length \(vector.length)") }
      }
    }
  }

  /// A frame-sized input through the long path: libxxhash 0.8.1's `XXH3_64bits` of the sanity
  /// generator's first 76 800 bytes (one 320×240 grey frame).
  @Test func frameSizedInput() {
    var generator = Self.prime32
    let frame = (0..<76_800).map { _ in
      defer { generator = generator &* Self.prime64 }
      return UInt8(generator >> 56)
    }
    #expect(frame.withUnsafeBytes { Checksum.of($0) } == 0x70C6_F2E6_F680_DF7F)
  }
}

/// The header says whether a checksum is present, and a verifying run rejects a frame without one.
@Suite struct ChecksumFlagTests {
  @Test func absentChecksumRoundTrips() {
    for checksum in [nil, 0, 0xDEAD_BEEF] as [UInt64?] {
      let header = FrameHeader(camera: 3, byteCount: 64, sequence: 9, captureNanos: 1, checksum: checksum)
      var wire = [UInt8](repeating: 0xFF, count: FrameHeader.wireSize)
      wire.withUnsafeMutableBytes { header.encode(into: $0.baseAddress!) }
      #expect(wire.withUnsafeBytes { FrameHeader(decoding: $0.baseAddress!) } == header)
      #expect(wire[32] == (checksum == nil ? 0 : 1))
    }
  }

  @Test func verifierRejectsAFrameWithoutChecksum() {
    let geometry = FrameGeometry(width: 16, height: 4, channels: 1)
    let pixels = [UInt8](repeating: 9, count: geometry.bytesPerFrame)
    let header = FrameHeader(camera: 2, byteCount: 64, sequence: 5, captureNanos: 0, checksum: nil)
    let error = pixels.withUnsafeBytes { bytes in
      #expect(throws: GridError.self) {
        try FrameVerifier.check(header, pixels: bytes, camera: 2, sequence: 5, geometry: geometry)
      }
    }
    #expect(error?.description.contains("camera 2 frame 5") == true)
    #expect(error?.description.contains("no checksum") == true)
    #expect(error?.exitCode == 3)
  }
}
