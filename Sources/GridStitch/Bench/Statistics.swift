/// The summary statistics the bench reports over repeats and samples.
public enum Statistics {
  /// Arithmetic mean; 0 for no values.
  public static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
  }

  /// Sample standard deviation (divides by n − 1); 0 for fewer than two values, where it is undefined.
  public static func sampleStandardDeviation(_ values: [Double]) -> Double {
    guard values.count > 1 else { return 0 }
    let center = mean(values)
    let squares = values.reduce(0) { $0 + ($1 - center) * ($1 - center) }
    return (squares / Double(values.count - 1)).squareRoot()
  }

  /// The `p`-th percentile (0...100), interpolating linearly between the closest ranks
  /// (numpy's default, Hyndman & Fan type 7): rank = p/100 × (n − 1). 0 for no values.
  public static func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = min(max(p, 0), 100) / 100 * Double(sorted.count - 1)
    let lower = Int(rank.rounded(.down))
    let upper = min(lower + 1, sorted.count - 1)
    let fraction = rank - Double(lower)
    return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
  }

  public static func median(_ values: [Double]) -> Double { percentile(values, 50) }
}
