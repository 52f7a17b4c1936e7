import CXXHash
import Glibc
import GridCore

// Hashes frames of 320×240 grey, 320×240 RGB and 1280×960 grey with each (libxxhash's plain
// XXH3_64bits, and XXH3_64bits_dispatch, which picks AVX2 at run time), three trials of ~400 MB
// each, after checking all give the same value.
func now() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_MONOTONIC, &time)
  return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func shown(_ value: Double) -> String { String(Double(Int(value * 1000)) / 1000) }

for size in [76_800, 230_400, 1_228_800] {
  let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
  let rounds = max(200, 400_000_000 / size)
  bytes.withUnsafeBytes { buffer in
    precondition(Checksum.of(buffer) == XXH3_64bits(buffer.baseAddress, buffer.count), "the hashes differ")
    precondition(Checksum.of(buffer) == XXH3_64bits_dispatch(buffer.baseAddress, buffer.count))
    var sink: UInt64 = 0
    for trial in 1...3 {
      var start = now()
      for _ in 0..<rounds { sink &+= Checksum.of(buffer) }
      let ours = (now() - start) / Double(rounds * size) * 1e9
      start = now()
      for _ in 0..<rounds { sink &+= XXH3_64bits(buffer.baseAddress, buffer.count) }
      let library = (now() - start) / Double(rounds * size) * 1e9
      start = now()
      for _ in 0..<rounds { sink &+= XXH3_64bits_dispatch(buffer.baseAddress, buffer.count) }
      let dispatched = (now() - start) / Double(rounds * size) * 1e9
      print(
        "\(size) B, trial \(trial): ours \(shown(1 / ours)) GB/s; libxxhash XXH3_64bits \(shown(1 / library)) GB/s"
          + " (ours \(shown(library / ours))×), XXH3_64bits_dispatch \(shown(1 / dispatched)) GB/s"
          + " (ours \(shown(dispatched / ours))×)")
    }
    if sink == 42 { print("") }  // keeps the loops
  }
}
