import CXXHash

/// XXH3-64 (xxHash 0.8), the checksum of frame pixels, from Debian's libxxhash through its
/// run-time dispatch (`XXH3_64bits_dispatch`: AVX2 where the CPU has it, else SSE2). It is not
/// cryptographic; it catches torn, stale and corrupted frames, including one flipped bit. The
/// hand-written XXH3 this replaced was no faster per byte on this machine (timings/checksum).
public enum Checksum {
  public static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 { xxh3(bytes, seed: 0) }

  /// `XXH3_64bits_withSeed`, dispatched.
  public static func xxh3(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
    XXH3_64bits_withSeed_dispatch(bytes.baseAddress, bytes.count, seed)
  }
}
