import GridCore
import GridTransports
import Testing

@testable import GridStitch

/// Parsing and checking what `gridstitch bench` is asked.
@Suite struct BenchConfigurationTests {
  @Test func transportListsKeepTransportOrder() throws {
    #expect(try BenchConfiguration.parseTransports("all") == TransportKind.selfContained)
    #expect(!TransportKind.selfContained.contains(.imagezmq))
    #expect(throws: GridError.self) { try BenchConfiguration.parseTransports("imagezmq") }
    #expect(
      try BenchConfiguration.parseTransports("shm-ring,serial,threads,serial") == [
        .serial, .threads, .shmRing,
      ])
    #expect(throws: GridError.self) { try BenchConfiguration.parseTransports("serial,carrier-pigeon") }
    #expect(throws: GridError.self) { try BenchConfiguration.parseTransports("") }
    #expect(try BenchConfiguration.parseLoads("none,io") == [.io, .none])
  }

  /// A decode bench (`--source`): every run films it, and a transport whose cameras cannot film
  /// (serial) is refused before the first run.
  @Test func sourcesGoToEveryRunAndSerialIsRefused() throws {
    var config = BenchConfiguration()
    config.sources = ["clip.mp4", "other.mkv"]
    config.transports = [.threads, .shmRing]
    config.loads = [.none]
    try config.validate()
    let run = config.runConfiguration(
      transport: .shmRing, load: .none, point: Sweep.Point(cameras: 16, geometry: config.geometry))
    #expect(run.sources == ["clip.mp4", "other.mkv"])
    config.transports = [.serial, .threads]
    #expect(throws: GridError.self) { try config.validate() }
  }

  @Test func sweepSizesAreHeightByWidth() throws {
    let sweep = try Sweep(parsing: "size=480x640,240x320")
    let points = sweep.points(cameras: 16, geometry: FrameGeometry(width: 320, height: 240, channels: 1))
    #expect(points.map(\.geometry.height) == [240, 480])
    #expect(points.map(\.geometry.width) == [320, 640])
    #expect(points.allSatisfy { $0.cameras == 16 })
    #expect(sweep.label(of: points[1]) == "480x640")
    #expect(try Sweep(parsing: "cameras=16,1,4") == .cameras([1, 4, 16]))
  }

  @Test(arguments: ["cameras=0", "cameras=65", "cameras=", "size=240", "size=240x0", "fps=1,2", "cameras"])
  func badSweepsAreUsageErrors(text: String) {
    #expect {
      try Sweep(parsing: text)
    } throws: { error in
      guard case GridError.usage(let message) = error else { return false }
      return message.contains("--sweep")
    }
  }

  @Test func oversizedSweepPointsAreSkippedNotFatal() throws {
    var config = BenchConfiguration()
    config.loads = [.io]
    config.cameras = 64
    config.sweep = try Sweep(parsing: "size=240x320,4320x7680")
    try config.validate()
    #expect(config.runnablePoints.count == 1)
    #expect(config.skippedPoints.first?.reason.contains("1 GiB") == true)
  }

  @Test func sweepsRunOneLoad() throws {
    var config = BenchConfiguration()
    config.sweep = try Sweep(parsing: "cameras=1,4")
    config.loads = [.io, .cpu]
    #expect(throws: GridError.self) { try config.validate() }
    config.loads = [.cpu]
    try config.validate()
  }

  @Test func everyRunIsCheckedUpFront() {
    var config = BenchConfiguration()
    config.repeats = 0
    #expect(throws: GridError.usage("--repeats 0 is out of range: use 1 to 1000")) { try config.validate() }
    config.repeats = 1
    config.cameras = 65
    #expect(throws: GridError.self) { try config.validate() }
  }
}
