import CChecksum

/// XXH3-64 (xxHash 0.8, Yann Collet), the checksum of frame pixels: 64-byte stripes folded into
/// eight 64-bit accumulators with 32×32→64-bit multiplies, four lanes at a time with AVX2 (a C
/// loop, chosen at run time), else two (Swift SIMD: SSE2's `pmuludq` on x86-64, NEON on arm64),
/// then the published merge and avalanche. Bit-exact with the reference `XXH3_64bits_withSeed`,
/// which its published test vectors check. It is not cryptographic; it catches torn, stale and
/// corrupted frames, including one flipped bit.
public enum Checksum {
  public static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 { xxh3(bytes, seed: 0) }

  static let prime32_1: UInt64 = 0x9E37_79B1
  static let prime32_2: UInt64 = 0x85EB_CA77
  static let prime32_3: UInt64 = 0xC2B2_AE3D
  static let prime64_1: UInt64 = 0x9E37_79B1_85EB_CA87
  static let prime64_2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
  static let prime64_3: UInt64 = 0x1656_67B1_9E37_79F9
  static let prime64_4: UInt64 = 0x85EB_CA77_C2B2_AE63
  static let prime64_5: UInt64 = 0x27D4_EB2F_1656_67C5
  static let primeMX1: UInt64 = 0x1656_6791_9E37_79F9
  static let primeMX2: UInt64 = 0x9FB2_1C65_1E98_DF25

  /// The reference's default secret (`XXH3_kSecret`), 192 bytes.
  static let secret: [UInt8] = [
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
    0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
    0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
    0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
  ]

  /// `XXH3_64bits_withSeed`; `wide: false` keeps long inputs on the portable two-lane loop.
  public static func xxh3(_ bytes: UnsafeRawBufferPointer, seed: UInt64, wide: Bool = true) -> UInt64 {
    let length = bytes.count
    return secret.withUnsafeBytes { key in
      let k = key.baseAddress!
      guard let input = bytes.baseAddress, length > 0 else {
        return xxh64Avalanche(seed ^ (read64(k, 56) ^ read64(k, 64)))
      }
      if length <= 16 { return short(input, length, k, seed) }
      if length <= 128 { return upTo128(input, length, k, seed) }
      if length <= 240 { return upTo240(input, length, k, seed) }
      if seed == 0 { return long(input, length, k, wide: wide) }
      // A seeded long input hashes with the secret derived from the seed (`XXH3_initCustomSecret`).
      var derived = [UInt8](repeating: 0, count: 192)
      derived.withUnsafeMutableBytes { out in
        for index in 0..<12 {
          out.storeBytes(
            of: (read64(k, 16 * index) &+ seed).littleEndian, toByteOffset: 16 * index, as: UInt64.self)
          out.storeBytes(
            of: (read64(k, 16 * index + 8) &- seed).littleEndian, toByteOffset: 16 * index + 8,
            as: UInt64.self)
        }
      }
      return derived.withUnsafeBytes { long(input, length, $0.baseAddress!, wide: wide) }
    }
  }

  @inline(__always)
  static func read64(_ pointer: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
  }

  @inline(__always)
  static func read32(_ pointer: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    UInt64(UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
  }

  @inline(__always)
  static func rotl(_ value: UInt64, _ count: UInt64) -> UInt64 { (value << count) | (value >> (64 - count)) }

  @inline(__always)
  static func fold(_ lhs: UInt64, _ rhs: UInt64) -> UInt64 {
    let product = lhs.multipliedFullWidth(by: rhs)
    return product.low ^ product.high
  }

  static func xxh64Avalanche(_ value: UInt64) -> UInt64 {
    var hash = value
    hash ^= hash >> 33
    hash = hash &* prime64_2
    hash ^= hash >> 29
    hash = hash &* prime64_3
    return hash ^ (hash >> 32)
  }

  static func avalanche(_ value: UInt64) -> UInt64 {
    var hash = value ^ (value >> 37)
    hash = hash &* primeMX1
    return hash ^ (hash >> 32)
  }

  @inline(__always)
  static func mix16(
    _ input: UnsafeRawPointer, _ offset: Int, _ key: UnsafeRawPointer, _ keyOffset: Int, _ seed: UInt64
  )
    -> UInt64
  {
    fold(
      read64(input, offset) ^ (read64(key, keyOffset) &+ seed),
      read64(input, offset + 8) ^ (read64(key, keyOffset + 8) &- seed))
  }

  static func short(_ input: UnsafeRawPointer, _ length: Int, _ key: UnsafeRawPointer, _ seed: UInt64)
    -> UInt64
  {
    let count = UInt64(length)
    if length > 8 {
      let low = read64(input, 0) ^ ((read64(key, 24) ^ read64(key, 32)) &+ seed)
      let high = read64(input, length - 8) ^ ((read64(key, 40) ^ read64(key, 48)) &- seed)
      return avalanche(count &+ low.byteSwapped &+ high &+ fold(low, high))
    }
    if length >= 4 {
      let seed = seed ^ (UInt64(UInt32(truncatingIfNeeded: seed).byteSwapped) << 32)
      let first = read32(input, 0)
      let last = read32(input, length - 4)
      var hash = (last &+ (first << 32)) ^ ((read64(key, 8) ^ read64(key, 16)) &- seed)
      hash ^= rotl(hash, 49) ^ rotl(hash, 24)
      hash = hash &* primeMX2
      hash ^= (hash >> 35) &+ count
      hash = hash &* primeMX2
      return hash ^ (hash >> 28)
    }
    let bytes = input.assumingMemoryBound(to: UInt8.self)
    let combined =
      (UInt64(bytes[0]) << 16) | (UInt64(bytes[length >> 1]) << 24) | UInt64(bytes[length - 1]) | (count << 8)
    return xxh64Avalanche(combined ^ ((read32(key, 0) ^ read32(key, 4)) &+ seed))
  }

  static func upTo128(_ input: UnsafeRawPointer, _ length: Int, _ key: UnsafeRawPointer, _ seed: UInt64)
    -> UInt64
  {
    var acc = UInt64(length) &* prime64_1
    if length > 32 {
      if length > 64 {
        if length > 96 {
          acc &+= mix16(input, 48, key, 96, seed)
          acc &+= mix16(input, length - 64, key, 112, seed)
        }
        acc &+= mix16(input, 32, key, 64, seed)
        acc &+= mix16(input, length - 48, key, 80, seed)
      }
      acc &+= mix16(input, 16, key, 32, seed)
      acc &+= mix16(input, length - 32, key, 48, seed)
    }
    acc &+= mix16(input, 0, key, 0, seed)
    acc &+= mix16(input, length - 16, key, 16, seed)
    return avalanche(acc)
  }

  static func upTo240(_ input: UnsafeRawPointer, _ length: Int, _ key: UnsafeRawPointer, _ seed: UInt64)
    -> UInt64
  {
    var acc = UInt64(length) &* prime64_1
    for round in 0..<8 { acc &+= mix16(input, 16 * round, key, 16 * round, seed) }
    acc = avalanche(acc)
    for round in 8..<(length / 16) { acc &+= mix16(input, 16 * round, key, 16 * (round - 8) + 3, seed) }
    acc &+= mix16(input, length - 16, key, 136 - 17, seed)
    return avalanche(acc)
  }

  /// Eight accumulators as four lane pairs.
  struct Accumulators {
    var lanes: (SIMD2<UInt64>, SIMD2<UInt64>, SIMD2<UInt64>, SIMD2<UInt64>)

    @inline(__always)
    static func step(_ acc: inout SIMD2<UInt64>, _ input: UnsafeRawPointer, _ key: UnsafeRawPointer) {
      let data = input.loadUnaligned(as: SIMD2<UInt64>.self)
      let keyed = data ^ key.loadUnaligned(as: SIMD2<UInt64>.self)
      acc &+= SIMD2(data[1], data[0])
      acc &+= (keyed & 0xFFFF_FFFF) &* (keyed &>> 32)
    }

    /// `XXH3_accumulate_512`: one 64-byte stripe.
    @inline(__always)
    mutating func stripe(_ input: UnsafeRawPointer, _ key: UnsafeRawPointer) {
      Self.step(&lanes.0, input, key)
      Self.step(&lanes.1, input + 16, key + 16)
      Self.step(&lanes.2, input + 32, key + 32)
      Self.step(&lanes.3, input + 48, key + 48)
    }

    @inline(__always)
    static func scramble(_ acc: inout SIMD2<UInt64>, _ key: UnsafeRawPointer) {
      var value = acc ^ (acc &>> 47)
      value ^= key.loadUnaligned(as: SIMD2<UInt64>.self)
      acc = value &* Checksum.prime32_1
    }

    /// `XXH3_scrambleAcc`.
    @inline(__always)
    mutating func scramble(_ key: UnsafeRawPointer) {
      Self.scramble(&lanes.0, key)
      Self.scramble(&lanes.1, key + 16)
      Self.scramble(&lanes.2, key + 32)
      Self.scramble(&lanes.3, key + 48)
    }
  }

  /// `XXH3_hashLong_64b` with a 192-byte secret.
  static func long(_ input: UnsafeRawPointer, _ length: Int, _ key: UnsafeRawPointer, wide: Bool) -> UInt64 {
    var acc = Accumulators(
      lanes: (
        SIMD2(prime32_3, prime64_1), SIMD2(prime64_2, prime64_3), SIMD2(prime64_4, prime32_2),
        SIMD2(prime64_5, prime32_1)
      ))
    let done =
      wide
      && withUnsafeMutableBytes(of: &acc.lanes) { lanes in
        gs_xxh3_accumulate_avx2(
          lanes.baseAddress!.assumingMemoryBound(to: UInt64.self), input.assumingMemoryBound(to: UInt8.self),
          length, key.assumingMemoryBound(to: UInt8.self)) == 1
      }
    if !done { accumulate(&acc, input, length, key) }
    var hash = UInt64(length) &* prime64_1
    // `XXH3_mergeAccs`, from secret byte 11.
    hash &+= fold(acc.lanes.0[0] ^ read64(key, 11), acc.lanes.0[1] ^ read64(key, 19))
    hash &+= fold(acc.lanes.1[0] ^ read64(key, 27), acc.lanes.1[1] ^ read64(key, 35))
    hash &+= fold(acc.lanes.2[0] ^ read64(key, 43), acc.lanes.2[1] ^ read64(key, 51))
    hash &+= fold(acc.lanes.3[0] ^ read64(key, 59), acc.lanes.3[1] ^ read64(key, 67))
    return avalanche(hash)
  }

  /// The portable loop: every stripe, a scramble after each 1 KiB block, the last stripe.
  static func accumulate(
    _ acc: inout Accumulators, _ input: UnsafeRawPointer, _ length: Int, _ key: UnsafeRawPointer
  ) {
    let stripesPerBlock = (192 - 64) / 8
    let blockBytes = 64 * stripesPerBlock
    let blocks = (length - 1) / blockBytes
    for block in 0..<blocks {
      let start = input + block * blockBytes
      for stripe in 0..<stripesPerBlock { acc.stripe(start + 64 * stripe, key + 8 * stripe) }
      acc.scramble(key + 192 - 64)
    }
    let start = input + blocks * blockBytes
    let stripes = ((length - 1) - blocks * blockBytes) / 64
    for stripe in 0..<stripes { acc.stripe(start + 64 * stripe, key + 8 * stripe) }
    acc.stripe(input + length - 64, key + 192 - 64 - 7)
  }
}
