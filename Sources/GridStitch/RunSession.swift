import GridCore
import GridPosix
import GridTransports

/// One run: it owns every resource the run holds (cameras, the start line, the receiver and the
/// transport's ends behind it, the snapshot writer) and its phase, and tears them down in one
/// place, in one order: cameras stop first (so none sees a broken pipe before it is told to
/// stop), then the receiver and the transport's ends go, then snapshots in flight land or are
/// cleaned up.
final class RunSession {
  enum Phase: Equatable {
    case starting
    case streaming
    case stopping(StopReason)
    case finished(StopReason)
  }

  enum StopReason: Equatable {
    /// Every grid was stitched.
    case completed
    /// SIGINT or SIGTERM, during set-up or while streaming.
    case interrupted(signal: Int32)
    /// An error ended the run; it is on its way to the caller.
    case failed
  }

  let config: RunConfiguration
  let supervisor: Supervisor
  let canvas: GridCanvas
  private(set) var phase = Phase.starting
  private let consumer: GridConsumer
  private var receiver: FrameReceiver?
  private var barrier: StartBarrier?
  /// The start line of in-process cameras (serial, threads); processes get theirs from `barrier`.
  private let startLine = StartLine()
  private var snapshots: SnapshotWriter?
  /// `--record`: nil without it.
  private var recording: RecordingWriter?
  private var recordingTally: RecordingWriter.Tally?
  /// A stop signal that came while the last snapshots were being written.
  private var lateSignal: Int32?
  /// live view (issue 10): nil without --serve.
  private var live: LiveSession?
  private let webViews: WebViews?
  private let started: UInt64
  private var go: UInt64 = 0
  private var stopped: UInt64 = 0

  /// Loads the scene and starts the cameras; returns with every camera at the start line (or
  /// with the phase at `stopping(.interrupted)` if a stop signal came first).
  init(_ config: RunConfiguration, webViews: WebViews?) throws {
    self.config = config
    self.webViews = webViews
    started = MonotonicClock.nanos()
    try DescriptorBudget.ensure(for: config)
    try Self.probeSources(config)
    if let record = config.record { try Pipeline.checkRecording(record) }
    try Pipeline.prepareOutput(config.outputDirectory)
    // A hub's cameras are started elsewhere: it films no scene.
    let scene = config.transport.traits.cameras == .senders ? nil : try Self.loadScene(config)
    let renderer = try scene.map {
      try CameraRenderer(scene: $0, geometry: config.geometry, cameras: config.cameras)
    }
    let cameras =
      renderer.map { renderer in
        (0..<config.cameras).map {
          Camera(
            orders: config.cameraOrders(camera: $0), renderer: renderer, source: config.source(for: $0),
            sourceSettings: config.sourceSettings)
        }
      } ?? []
    StopSignals.install()
    supervisor = Supervisor(cameras: config.cameras, stopOnLoss: config.onCameraLoss == .stop)
    canvas = GridCanvas(layout: GridLayout(cameras: config.cameras), frame: config.geometry)
    consumer = GridConsumer(config: config, canvas: canvas, supervisor: supervisor)
    do {
      // A hub waits for cameras it does not start: its live view is bound before it waits, so a
      // busy port is said at once. It forks nothing.
      let hub = try Self.hubOrders(config, scene: scene)
      if hub != nil { try startLiveView() }
      let request = ConsumerRequest(
        shape: config.shape, cameras: cameras, frames: config.frames, watchdog: supervisor,
        startLine: startLine, hub: hub)
      // Camera processes are forked here, before any thread of ours exists.
      let side = try config.transport.unit.makeConsumer(request)
      switch consume side {
      case .ready(let ready):
        receiver = ready
      case .launch(let transport):
        guard let storage = scene?.storage as? SharedScene else {
          throw GridError.runtime("the scene is not shared with the cameras")
        }
        barrier = try CameraLaunch.start(
          config, transport: transport, cameras: cameras, scene: storage, supervisor: supervisor)
        receiver = try transport.makeReceiver(watchdog: supervisor)
      }
    } catch GridError.interrupted(let signal) {
      phase = .stopping(.interrupted(signal: signal))
    } catch {
      tearDown()
      throw error
    }
    // The writer's thread starts only now, after every camera has forked.
    do {
      let writer = try SnapshotWriter(
        folder: config.outputDirectory, canvas: canvas, every: config.snapshotEvery,
        slowDiskMicros: config.slowDiskMillis * 1000)
      snapshots = writer
      // FFmpeg's libraries are loaded and the encoder's file made only now, after every fork.
      let recording = try config.record.map {
        try RecordingWriter(path: $0, canvas: canvas, framesPerSecond: config.recordFramesPerSecond)
      }
      self.recording = recording
      // A failed snapshot or recording ends the run within a tick, even while the consumer waits
      // on a camera.
      supervisor.stopCheck = {
        try writer.check()
        try recording?.check()
      }
    } catch {
      tearDown()
      throw error
    }
  }

  /// Binds the live view (`--serve`), once; never before a camera is forked.
  private func startLiveView() throws {
    guard live == nil else { return }
    live = try LiveSession.start(
      config, webViews: webViews, canvas: canvas, supervisor: supervisor, startedAt: started)
  }

  /// Every source opens and gives a frame before any camera starts; one line naming the camera
  /// and the source otherwise (a usage error: exit 2). Each source is tried once.
  private static func probeSources(_ config: RunConfiguration) throws(GridError) {
    var tried: Set<String> = []
    for camera in 0..<config.cameras {
      guard let source = config.source(for: camera), tried.insert(source).inserted else { continue }
      if let problem = SourceProbe.problem(with: source, settings: config.sourceSettings) {
        throw .usage("camera \(camera): --source \(TerminalText.escaped(source)): \(problem)")
      }
    }
  }

  /// What a hub is told to wait for: remote cameras (`--listen`) or imagezmq senders; nil when
  /// the run starts its own cameras.
  private static func hubOrders(_ config: RunConfiguration, scene: Scene?) throws -> HubOrders? {
    if config.transport.traits.cameras == .senders { return .senders(config.imageZMQSettings) }
    guard let listen = config.listen else { return nil }
    guard let scene else { throw GridError.runtime("the hub has no scene to check cameras against") }
    let security = try config.curveSecret.map { path in
      let loaded = try ZMQRemoteHub.Security.load(secret: path, allow: config.allowFolder ?? "")
      if !loaded.skipped.isEmpty {
        Console.error("gridstitch: --allow: skipped \(loaded.skipped.joined(separator: ", "))")
      }
      return loaded.security
    }
    let timeout = config.cameraTimeout ?? RunConfiguration.defaultRemoteTimeout
    return .cameras(
      RemoteCameraOrders(
        endpoint: listen.tcpEndpoint, orders: config.cameraOrders(camera: 0),
        sceneChecksum: scene.withUnsafePixels(Checksum.of), security: security,
        timeoutNanos: UInt64(timeout * 1e9), stopOnLoss: config.onCameraLoss == .stop,
        waitNanos: UInt64(config.waitSeconds * 1e9), log: { Console.error($0) }))
  }

  /// The scene in its sealed memfd. A function of its own so that the decoded image is freed when
  /// it returns, before any camera forks: cameras inherit only the sealed copy.
  private static func loadScene(_ config: RunConfiguration) throws -> Scene {
    let decoded = try SceneFile.load(
      path: SceneFile.locate(config.scenePath), channels: config.geometry.channels)
    return try SharedScene.share(decoded)
  }

  /// Releases the cameras and stitches every grid; returns at the end, or at a stop signal.
  func stream() throws {
    // live view (issue 10): started after the cameras are forked, within set-up time (a hub's
    // before it waits for its cameras).
    if phase == .starting { try startLiveView() }
    go = MonotonicClock.nanos()
    defer { stopped = MonotonicClock.nanos() }
    guard phase == .starting, let receiver else { return }
    phase = .streaming
    let start = go &+ Pipeline.startLeadNanos
    barrier?.release(start: start, cameras: config.cameras)
    (receiver as? HubReceiver)?.release(start: start)
    startLine.release(start: start)
    var progress = ProgressBar(total: config.frames, enabled: config.progress)
    defer { progress.finish() }
    let copies = GridCopies(canvas: canvas, snapshots: snapshots, live: live?.feed, recording: recording)
    do {
      for grid in 0..<config.frames {
        try consumer.stitch(grid: grid, from: receiver)
        // Snapshots, the live view's pictures and the recording.
        copies.gridStitched(canvas, grid: grid + 1, captureNanos: consumer.lastGridCaptureNanos)
        try snapshots?.check()
        try recording?.check()
        progress.update(done: grid + 1)
        live?.gridStitched(consumer.counts, receiver: receiver, go: go)  // the live view's figures
        if let signal = StopSignals.pending { throw GridError.interrupted(signal: signal) }
        // --no-loop: the run ends with its files, as at its last grid.
        if consumer.everyFileEnded { break }
      }
      phase = .stopping(.completed)
    } catch GridError.interrupted(let signal) {
      phase = .stopping(.interrupted(signal: signal))
    } catch {
      phase = .stopping(.failed)
      throw error
    }
  }

  /// After `stream`: lets cameras leave by themselves (a completed run) or stops them, lands the
  /// last grid as `grid-latest.png` (after a stop signal only while the disk keeps up), and
  /// reports.
  func finish() throws -> RunReport {
    receiver?.finish()
    let completed = phase == .stopping(.completed)
    if completed {
      _ = supervisor.reapAll(timeoutNanos: 5_000_000_000)
      // A stop signal while the cameras were leaving is answered too (exit 128 + n).
      lateSignal = StopSignals.pending
    }
    supervisor.stopAll()
    let last = consumer.counts.grids > 0 ? canvas : nil
    let tally = snapshots.map { completed ? $0.finish(latest: last) : $0.abandon(latest: last) }
    try snapshots?.check()
    // The recording is finished whether the run completed or a signal stopped it.
    recordingTally = recording?.finish()
    try recording?.check()
    lateSignal = lateSignal ?? tally?.interruptedBy
    tearDown()
    var report = report(tally: tally)
    // The live view's final figures; --linger waits here for a stop signal, the run's exit status.
    report.viewEndedBy = live?.finish(report, counts: consumer.counts)
    return report
  }

  /// The one teardown, in the documented order; safe to call more than once.
  func tearDown() {
    let reason: StopReason
    switch phase {
    case .finished: return
    case .starting, .streaming: reason = .failed
    case .stopping(let why): reason = why
    }
    supervisor.stopAll()
    if let receiver {
      receiver.finish()
      wakeups = receiver.wakeups
      droppedFrames = receiver.droppedFrames
      let hub = receiver as? HubReceiver
      rejectedMessages = hub?.rejectedMessages ?? 0
      clockUncertaintyNanos = hub?.clockUncertaintyNanos ?? 0
      roster = hub?.roster
    }
    receiver = nil
    barrier = nil
    _ = snapshots?.abandon(latest: nil)
    // After an error too: what was recorded stays a finished file.
    if let recording { recordingTally = recording.finish() }
    phase = .finished(reason)
  }

  /// The stop signal that ended the run, if one did.
  var interruptedBy: Int32? {
    switch phase {
    case .stopping(.interrupted(let signal)), .finished(.interrupted(let signal)): signal
    default: lateSignal
    }
  }

  private func report(tally: SnapshotWriter.Tally?) -> RunReport {
    RunReport.of(
      config, counts: consumer.counts, seconds: Double(stopped &- go) / 1e9,
      setupSeconds: Double(go &- started) / 1e9,
      snapshotsWritten: tally?.written ?? 0, snapshotsLost: tally?.lost ?? 0, wakeups: wakeups,
      droppedFrames: droppedFrames, rejectedMessages: rejectedMessages,
      clockUncertaintyMicros: Double(clockUncertaintyNanos) / 1000, latestSnapshot: tally?.latest,
      interruptedBy: interruptedBy, roster: roster, recording: recordingTally)
  }

  private var wakeups = 0
  private var droppedFrames = 0
  private var rejectedMessages = 0
  private var clockUncertaintyNanos: UInt64 = 0
  private var roster: HubRoster?

  deinit { tearDown() }
}

extension RunReport {
  /// The figures of a run from its consumer's counts: the final ones (`RunSession`), or those so
  /// far (the live view; with no counts yet, every figure is zero).
  static func of(
    _ config: RunConfiguration, counts: ConsumerCounts?, seconds: Double, setupSeconds: Double,
    snapshotsWritten: Int = 0, snapshotsLost: Int = 0, wakeups: Int = 0, droppedFrames: Int = 0,
    rejectedMessages: Int = 0, clockUncertaintyMicros: Double = 0, latestSnapshot: String? = nil,
    interruptedBy: Int32? = nil, roster: HubRoster? = nil, recording: RecordingWriter.Tally? = nil
  ) -> RunReport {
    var report = RunReport(
      transport: config.transport, launch: config.launch, policy: config.policy, load: config.load,
      cameras: config.cameras, geometry: config.geometry, grids: counts?.grids ?? 0,
      frames: counts?.framesMoved ?? 0, seconds: seconds, setupSeconds: setupSeconds,
      latencyP50Micros: counts?.latency.percentileMicros(50) ?? 0,
      latencyP99Micros: counts?.latency.percentileMicros(99) ?? 0,
      latencyMaxMicros: counts?.latency.maxMicros ?? 0,
      captureSpreadP50Micros: counts?.captureSpread.percentileMicros(50) ?? 0,
      captureSpreadP99Micros: counts?.captureSpread.percentileMicros(99) ?? 0,
      verifiedFrames: counts?.verifiedFrames ?? 0, snapshotsWritten: snapshotsWritten,
      snapshotsLost: snapshotsLost, wakeups: wakeups, droppedFrames: droppedFrames,
      lostCameras: counts?.lostCameras ?? [], consumerCPUSeconds: ResourceUsage.cpuSeconds(children: false),
      camerasCPUSeconds: counts == nil ? 0 : ResourceUsage.cpuSeconds(children: true),
      latestSnapshot: latestSnapshot, interruptedBy: interruptedBy, sync: config.sync,
      periodMicros: config.sync == .genlock ? config.periodMicros : 0,
      slots: config.transport.traits.slots ? config.ringSlots : 0,
      rejectedMessages: rejectedMessages, clockUncertaintyMicros: clockUncertaintyMicros,
      remote: config.listen != nil && config.transport.traits.cameras == .processes, roster: roster)
    report.recording = recording?.path
    report.recordedFrames = recording?.recorded ?? 0
    report.recordingDropped = recording?.dropped ?? 0
    report.recordingCPUSeconds = recording?.cpuSeconds ?? 0
    report.sources = CameraSourceReport.of(config, figures: counts?.sources, seconds: seconds)
    report.contextSwitches =
      ResourceUsage.contextSwitches(children: false)
      + (counts == nil ? 0 : ResourceUsage.contextSwitches(children: true))
    return report
  }
}
