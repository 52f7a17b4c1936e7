import GridCore
import GridPosix
import GridTransports
import Testing

@testable import GridStitch

/// The consumer's counts are its own and read as one value: after a small in-process run the
/// snapshot holds every figure, and the supervisor's loss message asks the consumer for its count.
@Suite struct ConsumerCountsTests {
  @Test(.timeLimit(.minutes(1)))
  func snapshotAfterASerialRun() throws {
    var config = RunConfiguration()
    config.transport = .serial
    config.cameras = 3
    config.frames = 4
    config.geometry = FrameGeometry(width: 64, height: 48, channels: 1)
    config.load = .none
    config.workMicros = 0
    config.sync = .free
    config.verify = true
    var pixels = [UInt8](repeating: 0, count: 256 * 192)
    for index in pixels.indices { pixels[index] = UInt8(truncatingIfNeeded: index &* 40503 >> 7) }
    let scene = try Scene(width: 256, height: 192, channels: 1, pixels: pixels)
    let renderer = try CameraRenderer(scene: scene, geometry: config.geometry, cameras: config.cameras)
    let cameras = (0..<config.cameras).map {
      Camera(orders: config.cameraOrders(camera: $0), renderer: renderer)
    }
    let startLine = StartLine()
    let receiver = SerialReceiver(cameras: cameras, startLine: startLine)
    let supervisor = Supervisor(cameras: config.cameras, stopOnLoss: true)
    let canvas = GridCanvas(layout: GridLayout(cameras: config.cameras), frame: config.geometry)
    let consumer = GridConsumer(config: config, canvas: canvas, supervisor: supervisor)
    let before = consumer.counts
    startLine.release(start: MonotonicClock.nanos())
    for grid in 0..<config.frames { try consumer.stitch(grid: grid, from: receiver) }

    let counts = consumer.counts
    #expect(counts.grids == 4)
    #expect(counts.framesMoved == 12)
    #expect(counts.verifiedFrames == 12)
    #expect(counts.framesTaken == [4, 4, 4])
    #expect(counts.lastSequence == [3, 3, 3])
    #expect(counts.live == [true, true, true])
    #expect(counts.lostCameras.isEmpty)
    #expect(counts.latency.count == 12)
    #expect(counts.captureSpread.count == 4)
    // A snapshot is a value: the one taken before the run still shows nothing.
    #expect(before.grids == 0 && before.framesTaken == [0, 0, 0] && before.lastSequence == [-1, -1, -1])
    // The supervisor holds no count of its own: it asks the consumer.
    #expect((0..<3).map { supervisor.framesTaken($0) } == [4, 4, 4])

    let report = RunReport.of(config, counts: counts, seconds: 1, setupSeconds: 0)
    #expect(report.grids == 4)
    #expect(report.frames == 12)
    #expect(report.verifiedFrames == 12)
  }
}
