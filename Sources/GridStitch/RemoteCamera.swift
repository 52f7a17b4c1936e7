import GridCore
import GridImage
import GridPosix
import GridTransports

/// What `gridstitch camera` is told.
public struct RemoteCameraOptions: Sendable {
  public var connect: ServeAddress
  /// The tile asked for; nil lets the hub choose.
  public var camera: Int?
  /// A scene file; nil draws the test card in memory (the same picture `make-scene` writes).
  public var scenePath: String?
  /// A video file or stream to film through FFmpeg's libraries (`--source`); nil: the scene.
  public var source: String?
  /// How it treats its source (`--no-loop`, `--rtsp-transport`, `--camera-timeout`).
  public var sourceSettings = SourceSettings()
  public var curveSecret: String?
  public var hubKey: String?
  public var waitSeconds = 30.0
  public var fault: Fault?
  /// `--encode jpeg[:QUALITY]`: the JPEG quality frames are sent at; nil sends raw pixels.
  public var jpegQuality: Int?

  public init(connect: ServeAddress) { self.connect = connect }

  /// `--encode`: `raw`, `jpeg` (quality 80) or `jpeg:QUALITY` (1 to 100).
  public static func parseEncoding(_ text: String) throws(GridError) -> Int? {
    if text == "raw" { return nil }
    if text == "jpeg" { return JPEG.defaultQuality }
    guard text.hasPrefix("jpeg:"), let quality = Int(text.dropFirst(5)), (1...100).contains(quality) else {
      throw .usage(
        "--encode \(TerminalText.escaped(text)) is not accepted: use raw, jpeg or jpeg:QUALITY (1 to 100)")
    }
    return quality
  }

  public func validate() throws(GridError) {
    guard connect.port != 0 else { throw .usage("--connect \(connect) is not accepted: name the hub's port") }
    if let camera, !(0..<RunConfiguration.maxCameras).contains(camera) {
      throw .usage("--camera \(camera) is out of range: use 0 to \(RunConfiguration.maxCameras - 1)")
    }
    guard (curveSecret == nil) == (hubKey == nil) else {
      throw .usage("--curve-secret and --hub-key go together: this camera's key, and the hub's public key")
    }
    guard waitSeconds > 0, waitSeconds <= 3600 else {
      throw .usage("--wait-seconds \(waitSeconds) is out of range: use more than 0, up to 3600")
    }
    if let source, source.isEmpty || source.utf8.count > 4096 {
      throw .usage("--source is not accepted: name a file or URL of 1 to 4096 bytes")
    }
  }
}

/// `gridstitch camera --connect tcp://HOST:PORT`: one camera on any host, for a hub started with
/// `run --transport zmq --listen`. It needs no files: the hub sends the run's settings, and the
/// scene is drawn in memory unless one is given; the hub checks at join that both film the same.
public enum RemoteCamera {
  /// Runs the camera to its end; the process's exit status.
  public static func run(_ options: RemoteCameraOptions) throws -> Int32 {
    try options.validate()
    // A source that cannot be filmed is said before the hub is asked for a tile.
    if let source = options.source,
      let problem = SourceProbe.problem(with: source, settings: options.sourceSettings)
    {
      throw GridError.usage("--source \(TerminalText.escaped(source)): \(problem)")
    }
    StopSignals.install()
    let hub = options.connect.tcpEndpoint
    let scenes = try SceneBytes.both(path: options.scenePath)
    let curve = try options.curveSecret.map { secret in
      (keys: try CurveKeys.secret(at: secret), serverKey: try CurveKeys.publicKey(at: options.hubKey!))
    }
    let link = try ZMQCameraLink(
      endpoint: hub, routingID: ZMQRemoteCamera.routingID(), curve: curve,
      watch: .remote(hub: hub, timeoutNanos: HubWatch.remoteTimeoutNanos))
    let hello = ZMQWire.Hello(
      requestedCamera: Int32(options.camera ?? -1), sceneGrey: scenes.grey.withUnsafePixels(Checksum.of),
      sceneRGB: scenes.rgb.withUnsafePixels(Checksum.of))
    var orders = try ZMQRemoteCamera.join(
      link: link, hello: hello, waitNanos: UInt64(options.waitSeconds * 1e9), hub: hub)
    try check(orders)
    orders.fault = options.fault.map { Fault(kind: $0.kind, camera: orders.camera, sequence: $0.sequence) }
    let scene = orders.geometry.channels == 1 ? scenes.grey : scenes.rgb
    let renderer = try CameraRenderer(scene: scene, geometry: orders.geometry, cameras: orders.cameras)
    let camera = Camera(
      orders: orders, renderer: renderer, source: options.source, sourceSettings: options.sourceSettings)
    Console.error("gridstitch: camera \(orders.camera) joined \(hub); waiting for the start")
    do {
      let (start, publisher) = try ZMQRemoteCamera.awaitStart(
        link: link, orders: orders, jpegQuality: options.jpegQuality)
      let frames = orders.policy == .latest ? Int.max : orders.frames
      try camera.run(frames: frames, publisher: publisher, start: start)
    } catch is TransportStopped {
      return 0
    }
    return 0
  }

  /// The hub's orders, held to `run`'s own limits before anything is sized from them. A hub
  /// gives no faults: those are a camera's own flag.
  static func check(_ orders: CameraOrders) throws(GridError) {
    if let fault = orders.fault { throw .runtime("the hub sent a fault to inject: \(fault)") }
    do {
      try RunConfiguration.camera(transport: .zmq, orders: orders).validate()
    } catch {
      throw .runtime("the hub's orders are not acceptable: \(error)")
    }
    guard orders.camera < orders.cameras else {
      throw .runtime("the hub gave this camera tile \(orders.camera) of \(orders.cameras)")
    }
  }
}

/// The scene as a remote camera films it, decoded as the hub decodes it (libpng's conversion), in
/// grey and RGB: the hub's channels are known only once it answers.
enum SceneBytes {
  static func both(path: String?) throws(GridError) -> (grey: Scene, rgb: Scene) {
    let name = path ?? "the test card"
    let png: [UInt8]
    do {
      if let path {
        png = try FileSystem.readRegularFile(path, limit: PNG.maximumDecodedBytes)
      } else {
        let pixels = SceneCard.render(width: SceneCard.defaultWidth, height: SceneCard.defaultHeight)
        png = try pixels.withUnsafeBytes { (raw) throws(ImageError) in
          try PNG.encode(
            width: SceneCard.defaultWidth, height: SceneCard.defaultHeight, channels: 3, pixels: raw,
            path: name)
        }
      }
    } catch {
      throw .runtime("scene \(error)")
    }
    func decode(_ channels: Int) throws(GridError) -> Scene {
      do {
        let image = try PNG.decode(png, channels: channels, path: name)
        return try Scene(width: image.width, height: image.height, channels: channels, pixels: image.pixels)
      } catch let error as GridError {
        throw error
      } catch {
        throw .runtime("scene \(error)")
      }
    }
    return (try decode(1), try decode(3))
  }
}
