/// A fast 64-bit checksum of frame pixels in the style of xxHash64: four independent lanes over
/// 32-byte stripes (so the multiplies pipeline), then a tail and an avalanche. It is not
/// cryptographic; it catches torn, stale and corrupted frames, including one flipped bit.
public enum Checksum {
  private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
  private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
  private static let p3: UInt64 = 0x1656_67B1_9E37_79F9
  private static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
  private static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

  @inline(__always)
  private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
    var acc = acc &+ input &* p2
    acc = (acc << 31) | (acc >> 33)
    return acc &* p1
  }

  @inline(__always)
  private static func merge(_ acc: UInt64, _ lane: UInt64) -> UInt64 {
    (acc ^ round(0, lane)) &* p1 &+ p4
  }

  public static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    let count = bytes.count
    guard let base = bytes.baseAddress else { return p5 }
    var offset = 0
    var hash: UInt64
    if count >= 32 {
      var v1 = p1 &+ p2
      var v2 = p2
      var v3: UInt64 = 0
      var v4 = 0 &- p1
      let stripes = count / 32
      for _ in 0..<stripes {
        v1 = round(v1, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        v2 = round(v2, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
        v3 = round(v3, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)))
        v4 = round(v4, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)))
        offset += 32
      }
      hash = ((v1 << 1) | (v1 >> 63)) &+ ((v2 << 7) | (v2 >> 57))
      hash = hash &+ ((v3 << 12) | (v3 >> 52)) &+ ((v4 << 18) | (v4 >> 46))
      hash = merge(merge(merge(merge(hash, v1), v2), v3), v4)
    } else {
      hash = p5
    }
    hash = hash &+ UInt64(count)
    while offset + 8 <= count {
      let k = round(0, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
      hash ^= k
      hash = ((hash << 27) | (hash >> 37)) &* p1 &+ p4
      offset += 8
    }
    while offset < count {
      hash ^= UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) &* p5
      hash = ((hash << 11) | (hash >> 53)) &* p1
      offset += 1
    }
    hash ^= hash >> 33
    hash = hash &* p2
    hash ^= hash >> 29
    hash = hash &* p3
    hash ^= hash >> 32
    return hash
  }
}
