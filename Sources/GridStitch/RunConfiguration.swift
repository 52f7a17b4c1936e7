import GridCore
import GridTransports

/// How camera processes are started.
public enum LaunchMode: String, CaseIterable, Sendable {
  /// Forked before the consumer starts any thread; the camera inherits the transport.
  case fork
  /// Fresh processes of the same executable (`gridstitch produce …`), attached by inherited descriptors.
  case spawn
}

/// What the consumer does when a camera dies.
public enum CameraLossPolicy: String, CaseIterable, Sendable {
  /// Stop everything, name the camera, exit 1.
  case stop
  /// Keep stitching; the camera's tile becomes a NO SIGNAL card.
  case `continue`
}

/// Everything `gridstitch run` is asked to do. `validate()` is the one place the limits live.
public struct RunConfiguration: Sendable {
  public var transport: TransportKind = .shmRing
  public var launch: LaunchMode = .fork
  public var cameras = 16
  public var frames = 1000
  public var geometry = FrameGeometry(width: 320, height: 240, channels: 1)
  public var load: CameraLoad = .io
  public var workMicros = 1000
  /// `genlock` by default: the demo's grids then show one instant, and latency stays under a
  /// period. `bench` runs `free` unless asked, to stay comparable with the seed.
  public var sync: CameraSync = .genlock
  /// Microseconds between `genlock` triggers; nil means `workMicros`.
  public var period: Int?
  public var verify = false
  public var snapshotEvery = 0
  public var outputDirectory = "output"
  public var scenePath: String?
  /// shm-ring slots per camera; nil means `defaultSlots`.
  public var slots: Int?
  public var policy: DeliveryPolicy = .lockstep
  public var onCameraLoss: CameraLossPolicy = .stop
  public var fault: Fault?
  /// Draw a progress bar on stderr (only honoured when stderr is a terminal).
  public var progress = true
  /// Set by `bench` for the runs it starts: die with that process, as cameras die with us.
  public var parent: Int32?
  /// Test only (`--slow-disk-ms`, hidden): the snapshot writer sleeps this long before each
  /// `fsync`, as a slow disk would make it wait.
  public var slowDiskMillis = 0
  /// `--serve`: the live view's address; nil = no live view.
  public var serve: ServeAddress?
  /// `--view-fps`: the most grids per second the live view copies and encodes.
  public var viewFPS = 15
  /// `--linger`: keep the live view up after the run until Ctrl-C.
  public var linger = false
  /// `--listen`: where a hub waits for cameras it does not start (`zmq` cameras on other hosts,
  /// imagezmq senders); nil = the run starts its own cameras.
  public var listen: ServeAddress?
  /// `--wait-seconds`: how long a hub waits for its cameras to join.
  public var waitSeconds = 30.0
  /// `--camera-timeout`: seconds without a frame or heartbeat before a remote camera is lost;
  /// nil = the transport's default.
  public var cameraTimeout: Double?
  /// `--insecure`: listen beyond loopback without CURVE.
  public var insecure = false
  /// `--curve-secret`: the hub's CURVE secret key file (`gridstitch keygen`).
  public var curveSecret: String?
  /// `--allow`: the folder of public keys (`*.pub`) whose cameras may join.
  public var allowFolder: String?
  /// `--subscribe`: imagezmq PUB senders (they bind) for a SUB to connect to, as "tcp://HOST:PORT".
  public var subscribe: [String] = []
  /// `--source`: what the cameras film, camera i the (i mod count)th; `testcard` (or none given)
  /// is the scene, anything else a video file or stream opened through FFmpeg's libraries.
  public var sources: [String] = []
  /// `--record`: the fragmented MP4 the stitched grid is recorded into; nil = no recording.
  public var record: String?
  /// `--record-fps`: the most grids per second recorded; nil = `defaultRecordFPS`.
  public var recordFPS: Int?

  public init() {}

  /// The most grids a second a recording takes: `--record-fps`, or the grid rate where it is
  /// known (a genlock period, an io load's sleep) and at most 30, or 30.
  public var recordFramesPerSecond: Double {
    if let recordFPS { return Double(recordFPS) }
    let micros = sync == .genlock ? periodMicros : (load == .io ? workMicros : 0)
    guard micros > 0 else { return 30 }
    return min(30, 1e6 / Double(micros))
  }

  /// `--record` and `--record-fps`, as given (the folder is looked at by the run, before any
  /// camera starts: `Pipeline.checkRecording`).
  func validateRecording() throws(GridError) {
    if let recordFPS, !(1...60).contains(recordFPS) {
      throw .usage("--record-fps \(recordFPS) is out of range: use 1 to 60")
    }
    guard let record else {
      if recordFPS != nil {
        throw .usage("--record-fps is not accepted without --record: it paces a recording")
      }
      return
    }
    let name = record.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
    guard name.lowercased().hasSuffix(".mp4"), name.count > 4, record.utf8.count <= 4096 else {
      throw .usage(
        "--record '\(TerminalText.escaped(String(record.prefix(256))))' is not accepted: name an .mp4 file "
          + "(the recording is H.264 in fragmented MP4)")
    }
  }

  /// The video file or stream camera `camera` films; nil for the test card.
  /// `--no-loop`: a file's camera ends at the file's end instead of starting it again.
  public var noLoop = false
  /// `--rtsp-transport`: RTSP interleaved in its TCP connection (the default), or RTP over UDP.
  public var rtspTransport = SourceSettings.RTSPTransport.tcp

  /// How every camera treats its source: `--no-loop`, `--rtsp-transport`, and `--camera-timeout`
  /// as the silence after which a live source shows NO SIGNAL.
  public var sourceSettings: SourceSettings {
    SourceSettings(
      loop: !noLoop, rtspTransport: rtspTransport,
      silenceNanos: cameraTimeout.map { UInt64($0 * 1e9) } ?? SourceSettings.defaultSilenceNanos)
  }

  public func source(for camera: Int) -> String? {
    guard !sources.isEmpty else { return nil }
    let source = sources[camera % sources.count]
    return source == "testcard" ? nil : source
  }

  /// `--source`: each a path or URL of at most 4096 bytes; only cameras of our own (threads or
  /// camera processes this run starts) film them.
  func validateSources() throws(GridError) {
    for source in sources {
      guard !source.isEmpty, source.utf8.count <= 4096 else {
        throw .usage(
          "--source '\(TerminalText.escaped(String(source.prefix(64))))' is not accepted: name a file or URL of 1 to 4096 bytes"
        )
      }
    }
    guard (0..<cameras).contains(where: { source(for: $0) != nil }) else { return }
    let ours = transport.traits.cameras == .threads || transport.traits.cameras == .processes && listen == nil
    guard ours else {
      throw .usage(
        "--source is not accepted with --transport \(transport.rawValue)"
          + (listen != nil ? " --listen" : "")
          + ": only cameras this run starts film a source (threads and camera processes)")
    }
  }

  /// What camera `camera` of this run is told: the one value every camera is made from.
  public func cameraOrders(camera: Int) -> CameraOrders {
    CameraOrders(
      camera: camera, cameras: cameras, geometry: geometry, frames: frames, load: load,
      workMicros: workMicros,
      sync: sync, periodMicros: periodMicros, policy: policy, slots: ringSlots, checksums: verify,
      fault: fault)
  }

  /// What a camera was told (by a spawning consumer, or by a hub) as the run it belongs to, so it
  /// is held to `run`'s own limits before anything is sized from it.
  static func camera(transport: TransportKind, orders: CameraOrders) -> RunConfiguration {
    var config = RunConfiguration()
    config.transport = transport
    config.cameras = orders.cameras
    config.frames = orders.frames
    config.geometry = orders.geometry
    config.load = orders.load
    config.workMicros = orders.workMicros
    config.sync = orders.sync
    config.period = orders.periodMicros
    config.slots = orders.slots
    config.policy = orders.policy
    config.verify = orders.checksums
    config.fault = orders.fault
    return config
  }

  public static let maxCameras = 64
  /// A remote camera unheard for this long is lost (`--camera-timeout`): it beats every 100 ms,
  /// and the hub names it on its next 100 ms tick, within a second of its going.
  public static let defaultRemoteTimeout = 0.5
  public static let maxGridBytes = 1 << 30
  public static let maxSide = 16384
  /// Grids in one run. Each camera stamps its frame number in six digits ("F000123") and
  /// snapshots are named `grid-NNNNNN.png`, so past a million grids stamps repeat and names stop
  /// sorting. A million is also long enough for a soak: 16 M frames, about 18 minutes at the
  /// default `io` load.
  public static let maxFrames = 1_000_000

  public var shape: TransportShape {
    TransportShape(cameras: cameras, geometry: geometry, slots: ringSlots, policy: policy)
  }

  /// Microseconds between `genlock` triggers.
  public var periodMicros: Int { period ?? workMicros }

  /// The slots each camera's ring (or queue, or credits) gets: `--slots`, or `defaultSlots`.
  public var ringSlots: Int {
    slots
      ?? Self.defaultSlots(
        cameras: cameras, geometry: geometry, policy: policy,
        unpaced: load == .none && transport.traits.deepensUnpaced)
  }

  /// The pixel bytes every ring together may hold before the default drops to fewer slots: half
  /// the 32 MiB L3 of the machine the bench runs on (AMD EPYC, 2 cores, 1 MiB L2 each), leaving
  /// the other half for the grid canvas and the scene the cameras crop. Past it, frames a camera
  /// wrote several slots ago are evicted before the consumer reads them.
  public static let ringCacheBudget = 16 << 20

  /// How deep each camera's ring is unless `--slots` says: 8 slots for cameras that nothing paces
  /// (`--load none`) on a transport whose hand-over gains by it (`deepensUnpaced`: the ring and
  /// the threads queue), else 4; fewer while every ring would not fit `ringCacheBudget` (down to
  /// 2, double buffering: the camera renders one slot while the consumer stitches the other);
  /// `latest` always gets 4.
  ///
  /// Depth buys throughput and costs latency. A camera whose ring is full sleeps until three
  /// quarters of it are free, so a deeper ring means longer runs of frames per wake-up: at `none`
  /// (16 cameras, 2 cores) 8 slots made 0.19 context switches a frame against 0.40 and 15% more
  /// grids a second than 4. But under `lockstep` a free-running camera may lead the slowest by a
  /// whole ring, and its frames wait there: at `--load io --sync free` 8 slots doubled latency
  /// p99 (9.5 against 5.3 ms). Unpaced cameras have no latency worth keeping (their frames queue
  /// by construction), paced ones do. zmq's credits stay 4: its hand-over is a message each frame
  /// whatever the depth, and over a 1 Gbit/s link 8 credits gave the same 97 grids/s with twice
  /// the latency (p50 90 against 50 ms), the frames only queueing on the wire.
  public static func defaultSlots(
    cameras: Int, geometry: FrameGeometry, policy: DeliveryPolicy, unpaced: Bool
  ) -> Int {
    if policy == .latest { return 4 }
    let (perSlot, overflow) = cameras.multipliedReportingOverflow(by: geometry.bytesPerFrame)
    guard !overflow else { return 2 }
    let wanted = unpaced ? 8 : 4
    return [wanted, 4].first { perSlot <= ringCacheBudget / $0 } ?? 2
  }

  /// The limits of a hub's flags. Where a listening hub is accepted at all is for its transport
  /// to say; these hold for every one.
  func validateHub() throws(GridError) {
    guard waitSeconds > 0, waitSeconds <= 3600 else {
      throw .usage("--wait-seconds \(waitSeconds) is out of range: use more than 0, up to 3600")
    }
    if let cameraTimeout, !(cameraTimeout >= 0.05 && cameraTimeout <= 3600) {
      throw .usage("--camera-timeout \(cameraTimeout) is out of range: use 0.05 to 3600 seconds")
    }
    if listen != nil && !transport.traits.listens {
      throw .usage(
        "--listen is not accepted with --transport \(transport.rawValue): only "
          + "\(TransportKind.names { $0.listens }) listen for cameras")
    }
    if listen != nil && fault != nil {
      throw .usage("--fault is not accepted with --listen: the cameras are not this run's to break")
    }
    guard let listen else {
      for (flag, given) in [
        ("--curve-secret", curveSecret != nil), ("--allow", allowFolder != nil), ("--insecure", insecure),
      ] where given {
        throw .usage("\(flag) is not accepted without --listen: it guards a listening hub")
      }
      return
    }
    guard listen.port != 0 else {
      throw .usage("--listen \(listen) is not accepted: name a port (cameras must know where to connect)")
    }
    guard (curveSecret == nil) == (allowFolder == nil) else {
      throw .usage("--curve-secret and --allow go together: the hub's key, and the cameras it admits")
    }
    if !listen.isLoopback && curveSecret == nil && !insecure {
      throw .usage(
        "--listen \(listen) is beyond loopback: give --curve-secret KEY --allow DIR (see gridstitch keygen), "
          + "or --insecure to admit anyone who can reach it")
    }
    if insecure && curveSecret != nil {
      throw .usage("--insecure is not accepted with --curve-secret: the hub is either guarded or not")
    }
  }

  public func validate() throws(GridError) {
    guard (1...Self.maxCameras).contains(cameras) else {
      throw .usage("--cameras \(cameras) is out of range: use 1 to \(Self.maxCameras)")
    }
    guard (1...Self.maxFrames).contains(frames) else {
      throw .usage("--frames \(frames) is out of range: use 1 to \(Self.maxFrames)")
    }
    guard (1...Self.maxSide).contains(geometry.width) else {
      throw .usage("--width \(geometry.width) is out of range: use 1 to \(Self.maxSide)")
    }
    guard (1...Self.maxSide).contains(geometry.height) else {
      throw .usage("--height \(geometry.height) is out of range: use 1 to \(Self.maxSide)")
    }
    guard geometry.channels == 1 || geometry.channels == 3 else {
      throw .usage("--channels \(geometry.channels) is not accepted: use 1 (grey) or 3 (RGB)")
    }
    let layout = GridLayout(cameras: cameras)
    let gridBytes = layout.gridBytes(geometry)
    guard gridBytes <= Self.maxGridBytes else {
      throw .usage(
        "a \(layout.rows)x\(layout.cols) grid of \(geometry.width)x\(geometry.height)x\(geometry.channels) frames "
          + "is \(gridBytes) bytes: the limit is 1 GiB (\(Self.maxGridBytes) bytes)")
    }
    guard (0...10_000_000).contains(workMicros) else {
      throw .usage("--work-us \(workMicros) is out of range: use 0 to 10000000")
    }
    guard snapshotEvery >= 0 else {
      throw .usage("--snapshot-every \(snapshotEvery) is out of range: use 0 (none) or more")
    }
    if let slots {
      guard slots >= 2, slots <= 256, slots & (slots - 1) == 0 else {
        throw .usage("--slots \(slots) is not accepted: use a power of two from 2 to 256")
      }
    }
    if !transport.traits.policies.contains(policy) {
      throw .usage(
        "--policy \(policy.rawValue) is not accepted with --transport \(transport.rawValue): only "
          + TransportKind.names { $0.policies.contains(policy) })
    }
    if policy == .latest && transport.traits.slots && ringSlots < 4 {
      throw .usage("--slots \(ringSlots) is too few for --policy latest: use 4 or more")
    }
    if let period, !(1...10_000_000).contains(period) {
      throw .usage("--period-us \(period) is out of range: use 1 to 10000000")
    }
    if sync == .genlock {
      guard (1...10_000_000).contains(periodMicros) else {
        throw .usage(
          "--period-us \(periodMicros) is out of range for --sync genlock: use 1 to 10000000 "
            + "(it defaults to --work-us)")
      }
    }
    guard (0...60_000).contains(slowDiskMillis) else {
      throw .usage("--slow-disk-ms \(slowDiskMillis) is out of range: use 0 to 60000")
    }
    if let fault, !(0..<cameras).contains(fault.camera) {
      throw .usage("--fault \(fault) names camera \(fault.camera): use 0 to \(cameras - 1)")
    }
    guard !outputDirectory.isEmpty else { throw .usage("--output '' is not accepted: name a folder") }
    guard (1...60).contains(viewFPS) else {
      throw .usage("--view-fps \(viewFPS) is out of range: use 1 to 60")
    }
    if serve != nil {
      // The live view sends JPEG, whose sides stop at 65535 pixels.
      let layout = GridLayout(cameras: cameras)
      let (width, height) = (layout.gridWidth(geometry), layout.gridHeight(geometry))
      guard width <= 65_535, height <= 65_535 else {
        throw .usage(
          "--serve cannot show a \(width)x\(height) grid: JPEG allows at most 65535 pixels a side")
      }
    }
    try validateSources()
    try validateRecording()
    try validateImageZMQ()  // before validateHub: its refusals are imagezmq's own
    try validateHub()
    if linger && serve == nil {
      throw .usage("--linger is not accepted without --serve: it keeps the live view up")
    }
  }
}
