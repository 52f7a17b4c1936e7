import GridCore
import Testing

@testable import GridStitch

/// The bounds each load is compared with.
@Suite struct BenchBoundTests {
  @Test func cpuBoundFromAKnownCoreCount() {
    // cores × 10⁶ / (cameras × work-us)
    #expect(Bound.cpu(cores: 2, cameras: 16, workMicros: 1000) == 125)
    #expect(Bound.cpu(cores: 8, cameras: 16, workMicros: 500) == 1000)
    #expect(Bound.cpu(cores: 1, cameras: 1, workMicros: 1000) == 1000)
    // A camera is one thread: 2 cameras use 2 of 4 cores, so 1000 grids/s, not 2000.
    #expect(Bound.cpu(cores: 4, cameras: 2, workMicros: 1000) == 1000)
  }

  @Test func cpuBoundThroughTheMeter() {
    var meter = BoundMeter(cores: 2, workMicros: 1000)
    let bound = meter.bound(load: .cpu, cameras: 16, geometry: FrameGeometry())
    #expect(bound.fps == 125)
    #expect(bound.load == .cpu)
    #expect(bound.basis.contains("2 cores"))
  }

  @Test func ioAndNoneFormulas() {
    #expect(Bound.io(sleepSeconds: 0.00125) == 800)
    #expect(Bound.none(bytesPerSecond: 12_288_000_000, bytesPerGrid: 1_228_800) == 10_000)
  }

  @Test func measuredBoundsAreFiniteAndPhysical() {
    var meter = BoundMeter(cores: 2, workMicros: 2000)
    // A 2000 µs sleep never takes less than 2000 µs.
    let io = meter.bound(load: .io, cameras: 16, geometry: FrameGeometry())
    #expect(io.fps > 0 && io.fps <= 500)
    let none = meter.bound(
      load: .none, cameras: 4, geometry: FrameGeometry(width: 64, height: 48, channels: 1))
    #expect(none.fps.isFinite && none.fps > 0)
    // No work per frame: cameras only render and hand over, so the copy bound applies to every load.
    var idle = BoundMeter(cores: 2, workMicros: 0)
    let cpu = idle.bound(load: .cpu, cameras: 4, geometry: FrameGeometry(width: 64, height: 48, channels: 1))
    #expect(cpu.fps.isFinite && cpu.fps > 0 && cpu.basis.contains("copy"))
  }
}
