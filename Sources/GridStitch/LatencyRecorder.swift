import Histogram

/// Capture → stitched latency of every frame, in an HDR histogram (3 significant digits).
struct LatencyRecorder {
  private var histogram = Histogram<UInt64>(
    highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)

  mutating func record(nanos: UInt64) { _ = histogram.record(max(1, nanos)) }

  var count: UInt64 { histogram.totalCount }

  func percentileMicros(_ percentile: Double) -> Double {
    histogram.totalCount == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1000
  }

  var maxMicros: Double { histogram.totalCount == 0 ? 0 : Double(histogram.max) / 1000 }
}
