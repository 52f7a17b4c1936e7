import GridCore
import GridImage
import GridPosix
import GridTransports
import GridZMQ

/// What `gridstitch camera` is told.
public struct RemoteCameraOptions: Sendable {
  public var connect: ServeAddress
  /// The tile asked for; nil lets the hub choose.
  public var camera: Int?
  /// A scene file; nil draws the test card in memory (the same picture `make-scene` writes).
  public var scenePath: String?
  public var curveSecret: String?
  public var hubKey: String?
  public var waitSeconds = 30.0
  public var fault: Fault?

  public init(connect: ServeAddress) { self.connect = connect }

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
  }
}

/// `gridstitch camera --connect tcp://HOST:PORT`: one camera on any host, for a hub started with
/// `run --transport zmq --listen`. It needs no files: the hub sends the run's settings, and the
/// scene is drawn in memory unless one is given; the hub checks at join that both film the same.
public enum RemoteCamera {
  /// Runs the camera to its end; the process's exit status.
  public static func run(_ options: RemoteCameraOptions) throws -> Int32 {
    try options.validate()
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
    let camera = Camera(orders: orders, renderer: renderer)
    Console.error("gridstitch: camera \(orders.camera) joined \(hub); waiting for the start")
    do {
      let (start, publisher) = try ZMQRemoteCamera.awaitStart(link: link, orders: orders)
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

/// CURVE key files (`gridstitch keygen`): NAME.key holds the secret key (mode 0600), NAME.pub the
/// public key, each 40 characters of Z85 and a newline.
public enum CurveKeys {
  /// Writes NAME.key and NAME.pub in `folder`, refusing to replace either.
  public static func generate(name: String, folder: String) throws(GridError) -> (
    secret: String, public: String
  ) {
    // A name becomes two file names and appears in lines: letters, digits, '.', '-' and '_'
    // only, never a hidden file.
    let allowed = name.unicodeScalars.allSatisfy {
      $0.isASCII
        && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0))
    }
    guard !name.isEmpty, name.utf8.count <= 64, allowed, !name.hasPrefix(".") else {
      throw .usage(
        "keygen '\(name)' is not accepted: name the key with 1 to 64 letters, digits, '.', '-' or '_', "
          + "not starting with '.'")
    }
    guard ZMQContext.has("curve") else {
      throw .runtime("this libzmq (\(ZMQContext.version)) was built without CURVE: it cannot make keys")
    }
    let pair: ZMQCurveKeyPair
    do { pair = try ZMQCurveKeyPair.generate() } catch { throw .runtime("\(error)") }
    let secretPath = folder + "/" + name + ".key"
    let publicPath = folder + "/" + name + ".pub"
    do {
      try FileSystem.makeDirectories(folder)
    } catch {
      throw .runtime("cannot make \(folder): \(error)")
    }
    do {
      try FileSystem.createExclusive(secretPath, mode: 0o600, bytes: Array((pair.secretKey + "\n").utf8))
      do {
        try FileSystem.createExclusive(publicPath, mode: 0o644, bytes: Array((pair.publicKey + "\n").utf8))
      } catch {
        FileSystem.remove(secretPath)
        throw error
      }
    } catch {
      throw .runtime("\(error)")
    }
    return (secretPath, publicPath)
  }

  /// The key pair of the secret key in `path`; the file must not be readable by others, and it
  /// must not be a public key: not a `*.pub`, not the text of a `*.pub` beside it, and where
  /// keygen's `NAME.pub` sits beside `NAME.key`, its public key must be that one.
  static func secret(at path: String) throws(GridError) -> ZMQCurveKeyPair {
    guard !path.hasSuffix(".pub") else {
      throw .usage("\(path) is a public key (*.pub): give the secret key, NAME.key (gridstitch keygen)")
    }
    if let mode = FileSystem.permissions(path), mode & 0o077 != 0 {
      throw .usage(
        "\(path) is readable by others (mode \(String(mode, radix: 8))): a secret key must be 0600 (chmod 600)"
      )
    }
    let text = try keyText(at: path)
    guard let pair = ZMQCurveKeyPair(secretKey: text) else {
      throw .usage("\(path) is not a CURVE secret key: expected 40 characters of Z85 (gridstitch keygen)")
    }
    let (folder, file) = split(path)
    for name in FileSystem.list(folder) where name.hasSuffix(".pub") {
      if (try? keyText(at: folder + "/" + name)) == text {
        throw .usage(
          "\(path) holds the public key \(name): give the secret key, NAME.key (gridstitch keygen)")
      }
    }
    if file.hasSuffix(".key"), let own = try? publicKey(at: folder + "/" + file.dropLast(4) + ".pub"),
      own != pair.publicKey
    {
      throw .usage("\(path) is not the secret key of \(file.dropLast(4)).pub beside it")
    }
    return pair
  }

  /// The folder and the file name of `path`.
  private static func split(_ path: String) -> (folder: String, file: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    return (
      slash == path.startIndex ? "/" : String(path[..<slash]), String(path[path.index(after: slash)...])
    )
  }

  static func publicKey(at path: String) throws(GridError) -> String {
    let text = try keyText(at: path)
    guard ZMQCurveKeyPair.isKey(text) else {
      throw .usage("\(path) is not a CURVE public key: expected 40 characters of Z85 (gridstitch keygen)")
    }
    return text
  }

  /// Every `*.pub` in `folder` that holds a public key, as key bytes (at least one), and what
  /// was skipped, with why: hidden files, and a `NAME.pub` that is not the public key of the
  /// `NAME.key` beside it (a secret key saved under a public name).
  static func allowed(in folder: String) throws(GridError) -> (keys: Set<[UInt8]>, skipped: [String]) {
    guard FileSystem.isDirectory(folder) else {
      throw .usage("--allow \(folder) is not a folder: give the folder of the cameras' *.pub keys")
    }
    var keys: Set<[UInt8]> = []
    var skipped: [String] = []
    let names = FileSystem.list(folder)
    for name in names.sorted() where name.hasSuffix(".pub") {
      guard !name.hasPrefix(".") else {
        skipped.append("\(name) (hidden)")
        continue
      }
      let text = try publicKey(at: folder + "/" + name)
      let stem = name.dropLast(4)
      if names.contains(stem + ".key"), let secret = try? keyText(at: folder + "/" + stem + ".key"),
        let pair = ZMQCurveKeyPair(secretKey: secret), pair.publicKey != text
      {
        skipped.append("\(name) (not the public key of \(stem).key: a secret key?)")
        continue
      }
      if let bytes = ZMQCurveKeyPair.decode(text) { keys.insert(bytes) }
    }
    guard !keys.isEmpty else {
      throw .usage(
        "--allow \(folder) holds no *.pub key: no camera could join"
          + (skipped.isEmpty ? "" : " (skipped: \(skipped.joined(separator: ", ")))"))
    }
    return (keys, skipped)
  }

  private static func keyText(at path: String) throws(GridError) -> String {
    do {
      let bytes = try FileSystem.readRegularFile(path, limit: 4096)
      return String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
    } catch {
      throw .usage("cannot read key \(error)")
    }
  }
}

extension String {
  fileprivate func trimmingWhitespace() -> String {
    var text = Substring(self)
    while let last = text.last, last.isWhitespace { text = text.dropLast() }
    while let first = text.first, first.isWhitespace { text = text.dropFirst() }
    return String(text)
  }
}
