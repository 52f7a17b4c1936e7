import ArgumentParser
import GridCore
import GridStitch
import GridTransports

/// Flags shared by `run` and `bench`: the cameras and how they start.
///
/// Numbers are parsed `.unconditional`ly: the word after the flag is its value even when it
/// starts with "-", so `--cameras -1` reaches validation and gets the range message instead of
/// ArgumentParser's "Missing value" (it would take `-1` for a flag).
struct CameraOptions: ParsableArguments {
  @Option(parsing: .unconditional, help: "Cameras, 1 to 64.") var cameras = 16
  @Option(parsing: .unconditional, help: "Frame width in pixels.") var width = 320
  @Option(parsing: .unconditional, help: "Frame height in pixels.") var height = 240
  @Option(parsing: .unconditional, help: "1 (grey) or 3 (RGB).") var channels = 1
  @Option(name: .customLong("work-us"), parsing: .unconditional, help: "Microseconds of load per frame.")
  var workMicros = 1000
  @Option(help: "How camera processes start: fork or spawn.") var launch: LaunchMode = .fork
  @Option(
    name: .customLong("period-us"), parsing: .unconditional,
    help: "Microseconds between genlock triggers (default: --work-us).")
  var periodMicros: Int?
  @Option(
    parsing: .unconditional,
    help:
      "Slots per camera: shm-ring's ring, threads' queue, zmq's credits; a power of two (default: 4, 8 for shm-ring and threads at --load none; fewer when they would not fit in cache)."
  )
  var slots: Int?
  @Option(help: "Scene the cameras film (default: assets/scene.png).") var scene: String?
}

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run the demo: cameras → transport → stitched grid.")

  @Option(help: "Transport: \(TransportKind.allCases.map(\.rawValue).joined(separator: ", ")).")
  var transport: TransportKind = .shmRing
  @Option(help: "Camera load before each frame: io (sleep), cpu (spin) or none.") var load: CameraLoad = .io
  @Option(help: "When cameras capture: genlock (frame n of every camera at T0 + n × period) or free.")
  var sync: CameraSync = .genlock
  @OptionGroup var camera: CameraOptions
  @Option(parsing: .unconditional, help: "Grids to stitch, 1 to \(RunConfiguration.maxFrames).")
  var frames = 1000
  @Flag(help: "Recompute every tile's checksum and check camera and sequence.") var verify = false
  @Option(
    name: .customLong("snapshot-every"), parsing: .unconditional,
    help: "Write every Nth grid as a PNG (0 = none); skipped (and counted lost) while the disk is behind.")
  var snapshotEvery = 0
  @Option(help: "Folder for snapshots and grid-latest.png.") var output = "output"
  @Option(
    help:
      "shm-ring and imagezmq delivery: lockstep (every frame) or latest (newest frame, cameras never block).")
  var policy: DeliveryPolicy = .lockstep
  @Option(
    name: .customLong("on-camera-loss"), help: "When a camera dies: stop, or continue with a NO SIGNAL tile.")
  var onCameraLoss: CameraLossPolicy = .stop
  @Flag(help: "Print one JSON object on stdout instead of the summary.") var json = false
  @Flag(help: "No progress bar and no summary.") var quiet = false
  @Option(help: "Serve a live view at [ADDR:]PORT while running (bare --serve: 127.0.0.1:8080).")
  var serve: String?
  @Option(name: .customLong("view-fps"), help: "Most grids per second the live view encodes.")
  var viewFPS = 15
  @Flag(help: "With --serve: keep the live view up after the run until Ctrl-C.") var linger = false
  @Option(
    help:
      "A hub: wait for cameras at tcp://[ADDR:]PORT instead of starting them (loopback unless ADDR is given)."
  )
  var listen: String?
  @Option(
    name: .customLong("wait-seconds"), parsing: .unconditional,
    help: "With --listen: how long to wait for cameras.")
  var waitSeconds = 30.0
  @Option(
    name: .customLong("camera-timeout"), parsing: .unconditional,
    help:
      "With --listen: seconds without a frame or heartbeat before a camera is lost. With --source: seconds a live source may be silent before its tile says NO SIGNAL (default 2)."
  )
  var cameraTimeout: Double?
  @Option(name: .customLong("curve-secret"), help: "With --listen: the hub's CURVE secret key file.")
  var curveSecret: String?
  @Option(help: "With --listen: a folder of camera public keys (*.pub); only they may join.") var allow:
    String?
  @Flag(help: "With --listen beyond loopback: admit cameras without CURVE.") var insecure = false
  @Option(
    help:
      "imagezmq PUB senders (REQ_REP=False) to read: tcp://HOST:PORT,… (with --policy latest)."
  )
  var subscribe: String?
  @Option(
    help: ArgumentHelp(
      "What the cameras film: a video file or stream URL (through FFmpeg), or testcard. Repeat it: camera i films the (i mod count)th.",
      valueName: "source"))
  var source: [String] = []
  @Option(
    help: ArgumentHelp(
      "Record the stitched grid as H.264 in a fragmented MP4 (a fragment a second; it plays while it grows).",
      valueName: "path.mp4"))
  var record: String?
  @Option(
    name: .customLong("record-fps"), parsing: .unconditional,
    help: "Most grids per second recorded, 1 to 60 (default: the grid rate, at most 30).")
  var recordFPS: Int?
  @Flag(
    name: .customLong("no-loop"),
    help: "With --source: a file plays once; the run ends when every such file has.")
  var noLoop = false
  @Option(name: .customLong("rtsp-transport"), help: "With an rtsp:// source: tcp (interleaved) or udp.")
  var rtspTransport: SourceSettings.RTSPTransport = .tcp
  @Option(help: .hidden) var fault: String?
  @Option(help: .hidden) var parent: Int32?
  /// Test only: a slow disk, made by the snapshot writer sleeping before each fsync.
  @Option(name: .customLong("slow-disk-ms"), parsing: .unconditional, help: .hidden) var slowDiskMillis = 0

  func configuration() throws -> RunConfiguration {
    var config = RunConfiguration()
    config.transport = transport
    config.launch = camera.launch
    config.cameras = camera.cameras
    config.frames = frames
    config.geometry = .init(width: camera.width, height: camera.height, channels: camera.channels)
    config.load = load
    config.workMicros = camera.workMicros
    config.sync = sync
    config.period = camera.periodMicros
    config.verify = verify
    config.snapshotEvery = snapshotEvery
    config.outputDirectory = output
    config.scenePath = camera.scene
    config.slots = camera.slots
    config.policy = policy
    config.onCameraLoss = onCameraLoss
    config.progress = !quiet && !json
    config.parent = parent
    config.slowDiskMillis = slowDiskMillis
    config.serve = try serve.map { try ServeAddress(parsing: $0) }
    config.viewFPS = viewFPS
    config.linger = linger
    config.fault = try fault.map(Self.parseFault)
    config.listen = try listen.map { try ServeAddress(parsing: $0, flag: "--listen", scheme: "tcp://") }
    config.waitSeconds = waitSeconds
    config.cameraTimeout = cameraTimeout
    config.curveSecret = curveSecret
    config.allowFolder = allow
    config.insecure = insecure
    config.sources = source
    config.record = record
    config.recordFPS = recordFPS
    config.noLoop = noLoop
    config.rtspTransport = rtspTransport
    config.subscribe =
      subscribe.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
      ?? []
    return config
  }

  static func parseFault(_ text: String) throws(GridError) -> Fault {
    guard let parsed = Fault(parsing: text) else {
      throw .usage("--fault \(text) is not accepted: use KIND:CAMERA:SEQUENCE")
    }
    return parsed
  }

  func run() throws {
    let config = try configuration()
    try config.validate()
    let report = try Pipeline.run(config, webViews: GridstitchMain.webViews)
    if json {
      try Console.out(report.json.rendered())
    } else if !quiet {
      try Console.out(report.summary)
    }
    if let signal = report.interruptedBy ?? report.viewEndedBy { throw ExitCode(128 + signal) }
  }
}

struct View: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Serve a gallery of the snapshots in a folder, newest first, until Ctrl-C.")

  @Argument(help: "The folder of snapshots.") var folder = "output"
  @Option(help: "Where to listen: [ADDR:]PORT (default 127.0.0.1:8080).") var serve: String?

  func run() throws {
    let address = try serve.map { try ServeAddress(parsing: $0) } ?? .loopbackDefault
    guard let webViews = GridstitchMain.webViews else {
      throw GridError.runtime("view: this program was built without the web view")
    }
    throw ExitCode(128 + (try Gallery.serve(folder: folder, address: address, webViews: webViews)))
  }
}

/// `--serve` may stand alone: it then means 127.0.0.1:8080. ArgumentParser has no option with an
/// optional value, so a bare one gets its default here, before parsing. A value is one that looks
/// like an address (digits, or a colon); anything else is left for the parser.
enum ServeFlag {
  static func withDefaults(_ arguments: [String]) -> [String] {
    var result: [String] = []
    for (index, argument) in arguments.enumerated() {
      result.append(argument)
      guard argument == "--serve" else { continue }
      let next = index + 1 < arguments.count ? arguments[index + 1] : nil
      if let next, next.contains(":") || (!next.isEmpty && next.allSatisfy(\.isNumber)) { continue }
      result.append(ServeAddress.loopbackDefault.description)
    }
    return result
  }
}

struct Transports: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List every transport with a one-line description.")

  func run() throws {
    let width = TransportKind.allCases.map(\.rawValue.count).max() ?? 0
    for kind in TransportKind.allCases {
      try Console.out(
        kind.rawValue + String(repeating: " ", count: width - kind.rawValue.count + 2) + kind.summary)
    }
  }
}

struct MakeScene: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "make-scene", abstract: "Generate the test card the cameras film (assets/scene.png).")

  @Option(help: "Where to write it.") var output = "assets/scene.png"
  @Option(parsing: .unconditional, help: "Width in pixels.") var width = 2048
  @Option(parsing: .unconditional, help: "Height in pixels.") var height = 1536

  func run() throws {
    try SceneMaker.write(path: output, width: width, height: height)
    try Console.out("wrote \(output) (\(width)x\(height) RGB)")
  }
}

/// A spawned camera process (`--launch spawn`); not for people.
struct Produce: ParsableCommand {
  static let configuration = CommandConfiguration(shouldDisplay: false)

  @Option var transport: TransportKind
  /// `CameraOrders.text`: key=value pairs, comma-separated.
  @Option var orders: String
  @Option(parsing: .unconditional) var parent: Int32
  @Option(parsing: .unconditional) var descriptors: Int
  @Option var source: String?
  @Flag(name: .customLong("no-loop")) var noLoop = false
  @Option(name: .customLong("rtsp-transport")) var rtspTransport: SourceSettings.RTSPTransport = .tcp
  @Option(name: .customLong("source-timeout"), parsing: .unconditional) var sourceTimeout = 2.0

  func run() throws {
    throw ExitCode(try CameraProcess.main(try spec()))
  }

  /// What the arguments describe; `CameraProcess.main` validates it before using any of it.
  func spec() throws(GridError) -> CameraProcessSpec {
    CameraProcessSpec(
      transport: transport, orders: try CameraOrders(text: orders), parent: parent,
      descriptorCount: descriptors, source: source,
      sourceSettings: try SourceSettings.given(
        loop: !noLoop, rtspTransport: rtspTransport, timeout: sourceTimeout))
  }
}

/// `gridstitch camera`: one camera for a hub on this or another host.
struct CameraCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "camera",
    abstract: "Run one camera for a hub (run --transport zmq --listen) on this or another host.")

  @Option(help: "The hub: tcp://HOST:PORT.") var connect: String
  @Option(parsing: .unconditional, help: "The tile to ask for (default: the hub chooses).") var camera: Int?
  @Option(help: "Scene to film (default: the test card, drawn in memory).") var scene: String?
  @Option(help: "A video file or stream URL to film instead, through FFmpeg.") var source: String?
  @Flag(name: .customLong("no-loop"), help: "With --source: a file plays once, then the camera ends.")
  var noLoop = false
  @Option(name: .customLong("rtsp-transport"), help: "With an rtsp:// source: tcp (interleaved) or udp.")
  var rtspTransport: SourceSettings.RTSPTransport = .tcp
  @Option(
    name: .customLong("camera-timeout"), parsing: .unconditional,
    help: "With a live --source: seconds it may be silent before the tile says NO SIGNAL.")
  var cameraTimeout = 2.0
  @Option(name: .customLong("curve-secret"), help: "This camera's CURVE secret key file (gridstitch keygen).")
  var curveSecret: String?
  @Option(name: .customLong("hub-key"), help: "The hub's CURVE public key file.") var hubKey: String?
  @Option(
    name: .customLong("wait-seconds"), parsing: .unconditional,
    help: "How long to wait for the hub to answer.")
  var waitSeconds = 30.0
  @Option(help: "How frames travel: raw (zero copy), jpeg or jpeg:QUALITY (1 to 100; default 80).")
  var encode = "raw"
  @Option(help: .hidden) var fault: String?

  func run() throws {
    var options = RemoteCameraOptions(
      connect: try ServeAddress(parsing: connect, flag: "--connect", scheme: "tcp://"))
    options.camera = camera
    options.scenePath = scene
    options.source = source
    options.sourceSettings = try SourceSettings.given(
      loop: !noLoop, rtspTransport: rtspTransport, timeout: cameraTimeout)
    options.curveSecret = curveSecret
    options.hubKey = hubKey
    options.waitSeconds = waitSeconds
    options.fault = try fault.map(Run.parseFault)
    options.jpegQuality = try RemoteCameraOptions.parseEncoding(encode)
    let status = try RemoteCamera.run(options)
    if status != 0 { throw ExitCode(status) }
  }
}

/// `gridstitch keygen NAME`: a CURVE key pair for a hub or a camera.
struct Keygen: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a CURVE key pair: NAME.key (secret, mode 0600) and NAME.pub.")

  @Argument(help: "The key's name.") var name: String
  @Option(help: "The folder to write them in.") var output = "."

  func run() throws {
    let written = try CurveKeys.generate(name: name, folder: output)
    try Console.out("wrote \(written.secret) (secret, keep it) and \(written.public) (public, share it)")
  }
}
