import GridCore
import GridPosix
import GridTransports

/// `gridstitch run`: load the scene, start the cameras behind the chosen transport, stitch every
/// grid, verify, snapshot, and measure.
public enum Pipeline {
  public static func run(_ config: RunConfiguration) throws -> RunReport {
    try config.validate()
    if let parent = config.parent, !ProcessIdentity.dieWithParent(expectedParent: parent) {
      throw GridError.runtime("the process that started this run (pid \(parent)) is gone")
    }
    let started = MonotonicClock.nanos()
    try DescriptorBudget.ensure(for: config)
    try prepareOutput(config.outputDirectory)
    let scenePath = SceneFile.locate(config.scenePath)
    let scene = try SceneFile.load(path: scenePath, channels: config.geometry.channels)
    let renderer = try CameraRenderer(scene: scene, geometry: config.geometry, cameras: config.cameras)
    let cameras = (0..<config.cameras).map {
      Camera(
        index: $0, renderer: renderer, load: config.load, workMicros: config.workMicros, fault: config.fault)
    }
    StopSignals.install()
    let supervisor = Supervisor(cameras: config.cameras, stopOnLoss: config.onCameraLoss == .stop)
    defer { supervisor.stopAll() }

    // Cameras are forked here, before any thread of ours exists.
    var barrier: StartBarrier?
    var transport: ProcessTransport?
    var receiver: FrameReceiver?
    var interruptedBy: Int32?
    do {
      switch config.transport {
      case .serial:
        receiver = SerialReceiver(cameras: cameras)
      case .threads:
        receiver = try ThreadsTransport(cameras: cameras, frames: config.frames, watchdog: supervisor)
      case .pipe, .shmPipe, .shmMqueue, .shmRing:
        let created = try ProcessTransports.create(config.transport, shape: config.shape)
        transport = created
        barrier = try CameraLaunch.start(
          config, transport: created, cameras: cameras, scenePath: scenePath, supervisor: supervisor)
        receiver = try created.makeReceiver(watchdog: supervisor)
      }
    } catch GridError.interrupted(let signal) {
      interruptedBy = signal
    }
    // Cameras stop before their transport's ends close, so none of them sees a broken pipe first.
    defer {
      supervisor.stopAll()
      withExtendedLifetime((receiver, transport)) {}
    }

    let canvas = GridCanvas(layout: GridLayout(cameras: config.cameras), frame: config.geometry)
    let snapshots = try SnapshotWriter(
      folder: config.outputDirectory, canvas: canvas, every: config.snapshotEvery,
      slowDiskMicros: config.slowDiskMillis * 1000)
    // An ending by error abandons what is in flight, in bounded time whatever the disk does.
    defer { snapshots.abandon(latest: nil) }
    // A failed snapshot ends the run within a tick, even while the consumer waits on a camera.
    supervisor.stopCheck = { try snapshots.check() }
    var consumer = GridConsumer(config: config, canvas: canvas, supervisor: supervisor)
    var progress = ProgressBar(total: config.frames, enabled: config.progress)

    let go = MonotonicClock.nanos()
    barrier?.release()
    if let receiver, interruptedBy == nil {
      do {
        for grid in 0..<config.frames {
          try consumer.stitch(grid: grid, from: receiver)
          snapshots.gridDone(canvas, grid: grid + 1)
          try snapshots.check()
          progress.update(done: grid + 1)
          if let signal = StopSignals.pending { throw GridError.interrupted(signal: signal) }
        }
      } catch GridError.interrupted(let signal) {
        interruptedBy = signal
      }
    }
    let stopped = MonotonicClock.nanos()
    progress.finish()
    receiver?.finish()
    if interruptedBy == nil {
      _ = supervisor.reapAll(timeoutNanos: 5_000_000_000)
    } else {
      supervisor.stopAll()
    }
    // The last grid lands as grid-latest.png; after a stop signal only while the disk keeps up.
    let last = consumer.grids > 0 ? canvas : nil
    let tally = interruptedBy == nil ? snapshots.finish(latest: last) : snapshots.abandon(latest: last)
    try snapshots.check()
    interruptedBy = interruptedBy ?? tally.interruptedBy
    return RunReport(
      transport: config.transport, launch: config.launch, policy: config.policy, load: config.load,
      cameras: config.cameras, geometry: config.geometry, grids: consumer.grids, frames: consumer.framesMoved,
      seconds: Double(stopped - go) / 1e9, setupSeconds: Double(go - started) / 1e9,
      latencyP50Micros: consumer.latency.percentileMicros(50),
      latencyP99Micros: consumer.latency.percentileMicros(99),
      latencyMaxMicros: consumer.latency.maxMicros,
      captureSpreadP50Micros: consumer.captureSpread.percentileMicros(50),
      captureSpreadP99Micros: consumer.captureSpread.percentileMicros(99),
      verifiedFrames: consumer.verifiedFrames,
      snapshotsWritten: tally.written, snapshotsLost: tally.lost, wakeups: receiver?.wakeups ?? 0,
      droppedFrames: receiver?.droppedFrames ?? 0,
      lostCameras: consumer.lostCameras, consumerCPUSeconds: ResourceUsage.cpuSeconds(children: false),
      camerasCPUSeconds: ResourceUsage.cpuSeconds(children: true), latestSnapshot: tally.latest,
      interruptedBy: interruptedBy)
  }

  /// The output folder exists and takes files, before any camera starts.
  static func prepareOutput(_ folder: String) throws(GridError) {
    do {
      try FileSystem.makeDirectories(folder)
      try FileSystem.checkWritable(folder)
    } catch {
      throw .runtime("cannot write to output folder '\(folder)': \(error)")
    }
  }
}

/// The consumer's loop body: one grid from every live camera, checked, stitched, timed.
struct GridConsumer {
  let config: RunConfiguration
  let canvas: GridCanvas
  let supervisor: Supervisor
  private(set) var grids = 0
  private(set) var framesMoved = 0
  private(set) var verifiedFrames = 0
  private(set) var lostCameras: [Int] = []
  private(set) var latency = LatencyRecorder()
  /// Per grid, newest capture − oldest capture among its tiles: how far apart the cameras are.
  /// A grid waits for its slowest camera, so this is the part of latency no transport can remove.
  private(set) var captureSpread = LatencyRecorder()
  private var captures: [UInt64]
  private var lastSequence: [Int64]
  private var live: [Bool]
  /// Cameras not yet stitched into the current grid (reused: no allocation per grid).
  private var waiting: [Int]

  init(config: RunConfiguration, canvas: GridCanvas, supervisor: Supervisor) {
    self.config = config
    self.canvas = canvas
    self.supervisor = supervisor
    captures = Array(repeating: 0, count: config.cameras)
    lastSequence = Array(repeating: -1, count: config.cameras)
    live = Array(repeating: true, count: config.cameras)
    waiting = Array(repeating: 0, count: config.cameras)
  }

  mutating func stitch(grid: Int, from receiver: FrameReceiver) throws {
    var delivered = 0
    // Stitch whichever cameras are ready first; wait on a pending one only when none is.
    var pending = 0
    for camera in 0..<config.cameras where live[camera] {
      waiting[pending] = camera
      pending += 1
    }
    while pending > 0 {
      var pick = 0
      for index in 0..<pending where receiver.hasFrame(from: waiting[index]) {
        pick = index
        break
      }
      let camera = waiting[pick]
      waiting[pick] = waiting[pending - 1]
      pending -= 1
      do {
        try take(camera: camera, grid: grid, from: receiver)
        delivered += 1
      } catch let error as GridError {
        guard case .cameraLost = error, config.onCameraLoss == .continue else { throw error }
        live[camera] = false
        lostCameras.append(camera)
        canvas.placeNoSignal(camera: camera)
        let left = live.filter { $0 }.count
        Console.error("gridstitch: \(error); continuing with \(left) cameras")
        if left == 0 { throw GridError.runtime("every camera died: nothing left to stitch") }
      }
    }
    let stitched = MonotonicClock.nanos()
    for camera in 0..<config.cameras where live[camera] {
      latency.record(nanos: stitched &- captures[camera])
    }
    var oldest = UInt64.max
    var newest: UInt64 = 0
    for camera in 0..<config.cameras where live[camera] {
      oldest = min(oldest, captures[camera])
      newest = max(newest, captures[camera])
    }
    if newest >= oldest { captureSpread.record(nanos: newest - oldest) }
    framesMoved += delivered
    grids += 1
  }

  private mutating func take(camera: Int, grid: Int, from receiver: FrameReceiver) throws {
    let lockstep = config.policy == .lockstep
    let verify = config.verify
    let geometry = config.geometry
    let previous = lastSequence[camera]
    let header = try receiver.withNextFrame(from: camera) { header, pixels in
      if lockstep {
        if verify {
          try FrameVerifier.check(
            header, pixels: pixels, camera: camera, sequence: UInt64(grid), geometry: geometry)
        } else if header.sequence != UInt64(grid) {
          throw GridError.verification(
            camera: camera, sequence: UInt64(grid), reason: "received frame \(header.sequence) out of order")
        }
      } else {
        guard Int64(header.sequence) > previous else {
          throw GridError.verification(
            camera: camera, sequence: header.sequence,
            reason: "not newer than frame \(previous) of the last grid")
        }
        if verify {
          try FrameVerifier.check(
            header, pixels: pixels, camera: camera, sequence: header.sequence, geometry: geometry)
        }
      }
      canvas.place(camera: camera, pixels: pixels)
      return header
    }
    if verify { verifiedFrames += 1 }
    lastSequence[camera] = Int64(header.sequence)
    captures[camera] = header.captureNanos
    supervisor.framesTaken[camera] += 1
  }
}
