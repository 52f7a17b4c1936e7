import Testing

@testable import GridStitch

/// Statistics and number formatting against values worked out by hand.
@Suite struct BenchStatisticsTests {
  @Test func meanAndSampleStandardDeviation() {
    // Deviations from 5: −3 −1 −1 −1 0 0 2 4 → squares sum to 32; 32 / (8 − 1) = 4.571428…
    let values: [Double] = [2, 4, 4, 4, 5, 5, 7, 9]
    #expect(Statistics.mean(values) == 5)
    #expect(abs(Statistics.sampleStandardDeviation(values) - 2.138_089_935_299_395) < 1e-12)
    // Two values: (1 − 2)² + (3 − 2)² = 2, over n − 1 = 1 → √2.
    #expect(abs(Statistics.sampleStandardDeviation([1, 3]) - 2.0.squareRoot()) < 1e-12)
  }

  @Test func oneOrNoValues() {
    #expect(Statistics.sampleStandardDeviation([3.5]) == 0)
    #expect(Statistics.sampleStandardDeviation([]) == 0)
    #expect(Statistics.mean([]) == 0)
    #expect(Statistics.percentile([], 50) == 0)
    #expect(Statistics.percentile([7], 99) == 7)
  }

  @Test func percentilesInterpolateBetweenClosestRanks() {
    // rank = p/100 × (n − 1) over the sorted values 15 20 35 40 50.
    let values: [Double] = [50, 15, 40, 20, 35]
    #expect(Statistics.percentile(values, 0) == 15)
    #expect(abs(Statistics.percentile(values, 40) - 29) < 1e-12)  // rank 1.6: 20 + 0.6 × 15
    #expect(Statistics.percentile(values, 50) == 35)  // rank 2
    #expect(abs(Statistics.percentile(values, 90) - 46) < 1e-12)  // rank 3.6: 40 + 0.6 × 10
    #expect(Statistics.percentile(values, 100) == 50)
    #expect(Statistics.median([4, 1, 3, 2]) == 2.5)
    #expect(abs(Statistics.percentile(Array(1...100).map(Double.init), 99) - 99.01) < 1e-9)
  }

  @Test func rowSummarisesItsRepeats() {
    let samples = [
      sample(seconds: 1.0, grids: 100, p50: 100, max: 900),
      sample(seconds: 2.0, grids: 100, p50: 200, max: 500),
      sample(seconds: 3.0, grids: 100, p50: 300, max: 700),
    ]
    let row = BenchRow(
      transport: .threads, load: .io, launch: .fork, point: .init(cameras: 4, geometry: .init()),
      bound: Bound(load: .io, fps: 100, basis: "test"), samples: samples)
    #expect(row.secondsForAllGrids == 2)
    #expect(row.secondsStandardDeviation == 1)
    #expect(row.secondsPerGrid == 0.02)
    #expect(row.fps == 50)
    #expect(row.efficiency == 0.5)
    #expect(row.latencyP50Micros == 200)  // the mean of the repeats' p50s
    #expect(row.latencyMaxMicros == 900)  // the largest of any repeat
    // 10 MB/s for 1, 2 and 3 s → 60 MB in 6 s.
    #expect(abs(row.megabytesPerSecond - 10) < 1e-12)
    #expect(row.framesPerSecond == 200)
    // 200 switches for 400 frames in each repeat.
    #expect(row.switchesPerFrame == 0.5)
  }

  @Test func numbersForFiles() {
    #expect(Format.number(0.000_512_345_678_9) == "0.000512345679")
    #expect(Format.number(943.2) == "943.2")
    #expect(Format.number(125) == "125")
    #expect(Format.number(-2.5) == "-2.5")
    #expect(Format.number(.infinity) == "")
    #expect(Format.fixed(12.345, 2) == "12.35")
    #expect(Format.fixed(-0.5, 0) == "-1")
    #expect(Format.fixed(0.05, 3) == "0.050")
  }
}

func sample(seconds: Double, grids: Int, p50: Double = 100, max: Double = 1000) -> RunSample {
  RunSample(
    seconds: seconds, setupSeconds: 0.05, grids: grids, frames: grids * 4, megabytesPerSecond: 10,
    latencyP50Micros: p50, latencyP99Micros: p50 * 2, latencyMaxMicros: max, consumerCPUSeconds: 0.5,
    camerasCPUSeconds: 0.25, contextSwitches: grids * 2)
}
