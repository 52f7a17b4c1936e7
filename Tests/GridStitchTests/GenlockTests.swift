import GridCore
import GridPosix
import GridTransports
import Testing

@testable import GridStitch

/// `genlock`: frame n of every camera is captured at T0 + n × period, never before, and a late
/// camera catches up instead of carrying its lateness on. Camera threads of the `threads`
/// transport, at `--load none`, so nothing but the trigger paces them.
@Suite(.serialized) struct GenlockTests {
  static func cameras(_ count: Int, periodMicros: Int) throws -> [Camera] {
    let geometry = FrameGeometry(width: 64, height: 48, channels: 1)
    var pixels = [UInt8](repeating: 0, count: 256 * 192)
    for index in pixels.indices { pixels[index] = UInt8(truncatingIfNeeded: index &* 40503 >> 7) }
    let scene = try Scene(width: 256, height: 192, channels: 1, pixels: pixels)
    let renderer = try CameraRenderer(scene: scene, geometry: geometry, cameras: count)
    return (0..<count).map {
      Camera(
        orders: CameraOrders(
          camera: $0, cameras: count, geometry: geometry, frames: 1, load: .none, workMicros: 0,
          sync: .genlock,
          periodMicros: periodMicros, checksums: false),
        renderer: renderer)
    }
  }

  /// Capture times per camera, frame by frame; `pause(seq)` runs before grid `seq` is taken.
  static func captures(
    cameras: Int, frames: Int, periodMicros: Int, start: UInt64, pause: (Int) -> Void = { _ in }
  ) throws -> [[UInt64]] {
    let startLine = StartLine()
    let transport = try ThreadsTransport(
      cameras: Self.cameras(cameras, periodMicros: periodMicros), frames: frames,
      watchdog: StopSignalWatchdog(), startLine: startLine)
    startLine.release(start: start)
    var times = Array(repeating: [UInt64](), count: cameras)
    for seq in 0..<frames {
      pause(seq)
      for camera in 0..<cameras {
        let header = try transport.withNextFrame(from: camera) { header, _ in header }
        #expect(header.sequence == UInt64(seq))
        #expect(header.checksum == nil)
        times[camera].append(header.captureNanos)
      }
    }
    return times
  }

  @Test(.timeLimit(.minutes(1)))
  func capturesAdvanceByThePeriod() throws {
    let period: UInt64 = 4_000_000
    let frames = 40
    let start = MonotonicClock.nanos() + 5_000_000
    let times = try Self.captures(cameras: 3, frames: frames, periodMicros: Int(period / 1000), start: start)
    for (camera, captures) in times.enumerated() {
      for (seq, capture) in captures.enumerated() {
        // clock_nanosleep to an absolute deadline never returns before it.
        #expect(capture >= start + UInt64(seq) * period, "camera \(camera) frame \(seq) early")
      }
      // Frame to frame the capture advances by the period: the median step within a factor of 4
      // (a loaded machine delays single frames, not most of them); the whole run within 0.5 s.
      let steps = zip(captures.dropFirst(), captures).map { $0 - $1 }.sorted()
      let median = steps[steps.count / 2]
      #expect(median >= period / 4 && median <= period * 4, "camera \(camera): median step \(median) ns")
      let span = captures[frames - 1] - captures[0]
      #expect(span <= UInt64(frames - 1) * period + 500_000_000, "camera \(camera): \(span) ns")
    }
  }

  /// A consumer that stalls for 30 periods makes every camera late; afterwards the cameras
  /// capture back to back until they are on the trigger again, so the last frame is on time
  /// (a camera that slept one period from each capture would end 30 periods late).
  @Test(.timeLimit(.minutes(1)))
  func latenessDoesNotAccumulate() throws {
    let period: UInt64 = 5_000_000
    let frames = 100
    let start = MonotonicClock.nanos() + 5_000_000
    let times = try Self.captures(
      cameras: 2, frames: frames, periodMicros: Int(period / 1000), start: start,
      pause: { seq in if seq == 10 { MonotonicClock.sleep(micros: 150_000) } })
    for (camera, captures) in times.enumerated() {
      let lastDeadline = start + UInt64(frames - 1) * period
      #expect(captures[frames - 1] >= lastDeadline)
      #expect(
        captures[frames - 1] - lastDeadline < 100_000_000,
        "camera \(camera) ended \(captures[frames - 1] - lastDeadline) ns late")
      // The stall really made it late: frames after it were captured back to back.
      #expect(captures[20] - (start + 20 * period) > 50_000_000, "camera \(camera) was never late")
    }
  }

  @Test func boundIsTheTriggerRate() {
    #expect(Bound.genlock(periodMicros: 1000) == 1000)
    #expect(Bound.genlock(periodMicros: 250) == 4000)
    var meter = BoundMeter(cores: 2, workMicros: 1000, periodMicros: 500)
    let io = meter.bound(load: .io, cameras: 16, geometry: FrameGeometry(), sync: .genlock)
    #expect(io.fps == 2000 && io.basis.contains("genlock"))
    // At cpu the spin follows each trigger: 16 cameras × 1000 µs on 2 cores allow 125 grids/s.
    let cpu = meter.bound(load: .cpu, cameras: 16, geometry: FrameGeometry(), sync: .genlock)
    #expect(cpu.fps == 125)
    #expect(meter.bound(load: .cpu, cameras: 1, geometry: FrameGeometry(), sync: .genlock).fps == 1000)
  }

  @Test func periodLimits() throws {
    var config = RunConfiguration()
    #expect(config.sync == .genlock && config.periodMicros == 1000)
    config.workMicros = 0
    #expect(throws: GridError.self) { try config.validate() }
    config.period = 500
    try config.validate()
    config.period = 0
    #expect(throws: GridError.self) { try config.validate() }
    config.sync = .free
    #expect(throws: GridError.self) { try config.validate() }
    config.period = nil
    try config.validate()
  }

  /// 4 slots while every ring fits half of L3 (16 MiB), else 2; 8 for unpaced cameras on a
  /// transport that deepens them, while they fit; `latest` keeps 4; `--slots` wins.
  @Test func defaultSlotsFollowTheCacheBudget() throws {
    let small = FrameGeometry(width: 320, height: 240, channels: 1)
    let large = FrameGeometry(width: 640, height: 480, channels: 1)
    func slots(
      _ cameras: Int, _ geometry: FrameGeometry, _ policy: DeliveryPolicy = .lockstep, unpaced: Bool = false
    )
      -> Int
    { RunConfiguration.defaultSlots(cameras: cameras, geometry: geometry, policy: policy, unpaced: unpaced) }
    #expect(slots(16, small) == 4)
    #expect(slots(16, small, unpaced: true) == 8)
    #expect(slots(1, large) == 4)
    #expect(slots(1, large, unpaced: true) == 8)
    #expect(slots(64, small) == 2)
    // 64 rings of 8 would not fit; of 4 they would not either.
    #expect(slots(64, small, unpaced: true) == 2)
    // 8 rings of 640×480 fit at 4 but not at 8.
    #expect(slots(8, large, unpaced: true) == 4)
    #expect(slots(16, large) == 2)
    #expect(slots(64, small, .latest) == 4)
    #expect(slots(64, small, .latest, unpaced: true) == 4)
    // Which transports deepen at `--load none`: the ring and the threads queue, not zmq's credits.
    var unpaced = RunConfiguration()
    unpaced.load = .none
    for (transport, expected) in [(TransportKind.shmRing, 8), (.threads, 8), (.zmq, 4)] {
      unpaced.transport = transport
      #expect(unpaced.shape.slots == expected, "\(transport.rawValue)")
    }
    unpaced.load = .io
    unpaced.transport = .shmRing
    #expect(unpaced.shape.slots == 4)
    var config = RunConfiguration()
    config.cameras = 64
    #expect(config.shape.slots == 2)
    config.slots = 8
    #expect(config.shape.slots == 8)
    try config.validate()
  }
}
