import GridCore
import GridPosix
import GridZMQ

/// The hub of cameras on other hosts (`run --transport zmq --listen …`). It waits for `cameras`
/// cameras to say hello, checks that each films the hub's scene, gives each a tile and its
/// orders, measures each one's clock offset (the best of five pings), and releases them
/// together with a start time in each camera's own clock.
public final class ZMQRemoteHub: ZMQHub {
  /// What guards the door: CURVE with the hub's secret key and the cameras' public keys, or
  /// nothing (loopback, or `--insecure`).
  public struct Security: Sendable {
    public var secretKey: String
    public var allowed: Set<[UInt8]>

    public init(secretKey: String, allowed: Set<[UInt8]>) {
      self.secretKey = secretKey
      self.allowed = allowed
    }
  }

  public static let pings = 5

  private let orders: CameraOrders
  private let sceneChecksum: UInt64
  private let endpoint: String
  private var samples: [Int]
  private var pingSent: [UInt64]
  private var bestRoundTrip: [UInt64]

  /// Binds `endpoint` (after the CURVE gate is up, so no handshake passes unchecked).
  public init(
    endpoint: String, orders: CameraOrders, sceneChecksum: UInt64, security: Security?,
    timeoutNanos: UInt64, stopOnLoss: Bool, watchdog: Watchdog, log: @escaping @Sendable (String) -> Void
  ) throws {
    if security != nil, !ZMQContext.has("curve") {
      throw GridError.runtime(
        "this libzmq (\(ZMQContext.version)) was built without CURVE: it cannot guard a hub")
    }
    self.orders = orders
    self.sceneChecksum = sceneChecksum
    self.endpoint = endpoint
    let count = orders.cameras
    samples = Array(repeating: 0, count: count)
    pingSent = Array(repeating: 0, count: count)
    bestRoundTrip = Array(repeating: .max, count: count)
    let context = try ZMQContext(ioThreads: ZMQHub.ioThreads)
    try super.init(
      shape: orders.shape, watchdog: watchdog,
      cameras: .remote(timeoutNanos: timeoutNanos, stopOnLoss: stopOnLoss),
      context: context, log: log)
    if let security {
      gate = try ZMQGate(context: context, allowed: security.allowed, log: log)
      try socket.setCurveServer(secretKey: security.secretKey)
      try socket.setZAPDomain("gridstitch")
    }
    do {
      try socket.bind(endpoint)
    } catch {
      throw GridError.runtime("cannot listen at \(endpoint): \(error)")
    }
  }

  /// Waits up to `waitNanos` for every camera to join, with a line as each does. If the run
  /// cannot start, the cameras that joined are told to stop.
  public func gather(waitNanos: UInt64) throws {
    do {
      try gatherAll(waitNanos: waitNanos)
    } catch {
      finish()
      throw error
    }
  }

  private func gatherAll(waitNanos: UInt64) throws {
    let deadline = MonotonicClock.nanos() &+ waitNanos
    try gather(until: { peers.joinedCount == orders.cameras || MonotonicClock.nanos() >= deadline }) {
      _ = try watchdog.isAlive(camera: 0)  // stop signals
      try dropLeavers()
      beat()
    }
    guard peers.joinedCount == orders.cameras else {
      let count = peers.joinedCount
      throw GridError.runtime(
        "\(count) of \(orders.cameras) cameras joined within \(SecondsText.of(nanos: waitNanos)) s at \(endpoint)"
      )
    }
  }

  /// Cameras that left before the start give their tile back.
  private func dropLeavers() throws {
    guard case .remote(let timeout, _) = cameras else { return }
    let now = MonotonicClock.nanos()
    try peers.readEvents(of: monitor, now: now)
    if peers.forgiveAbsence(now: now) { return }
    for camera in 0..<orders.cameras where ids[camera] != nil {
      guard silence(of: camera, now: now, timeout: timeout) != nil else { continue }
      log(
        "gridstitch: camera \(camera) (\(peers[camera].name)) left before the start; its tile is free again")
      freeTile(camera)
    }
  }

  private func freeTile(_ camera: Int) {
    if let id = ids[camera] { byID[id] = nil }
    ids[camera] = nil
    peers.free(camera)
    samples[camera] = 0
    bestRoundTrip[camera] = .max
  }

  /// A joiner that broke the protocol before it was ready loses its tile; the run goes on.
  override func dismiss(_ camera: Int, because reason: String) {
    let name = peers[camera].name
    peers.complain(about: name, now: MonotonicClock.nanos()) {
      "camera \(camera) (\(name)) dismissed while joining: \(reason)"
    }
    freeTile(camera)
  }

  /// Lets every camera go: T0 in its own clock, and its credit.
  public override func release(start: UInt64) {
    for camera in 0..<orders.cameras {
      send(
        camera, .go, body: ZMQWire.bytes(of: UInt64(bitPattern: Int64(bitPattern: start) &+ offsets[camera])))
      grant(camera, orders.slots)
    }
  }

  /// The peers' names, for the report: camera → "tcp://ADDR:PORT".
  override func arrived(id: [UInt8], hello: ZMQWire.Hello, from part: ZMQMessage, fd: Int32) throws {
    let peer = (fd >= 0 ? FileDescriptors.peerAddress(fd) : nil) ?? part.property("Peer-Address") ?? "?"
    let name = "tcp://\(peer)"
    func refuse(_ reason: String) {
      peers.reject(key: peer, now: MonotonicClock.nanos()) { _ in "refused a camera from \(name): \(reason)" }
      _ = try? socket.send(id, more: true, dontWait: true)
      _ = try? socket.send(ZMQWire.message(.refuse, body: Array(reason.utf8.prefix(200))), dontWait: true)
    }
    let theirs = orders.geometry.channels == 1 ? hello.sceneGrey : hello.sceneRGB
    guard theirs == sceneChecksum else {
      refuse(
        "it films another scene (checksum \(hex(theirs)), the hub's is \(hex(sceneChecksum))): give both the same --scene"
      )
      return
    }
    let camera: Int
    switch peers.tile(for: hello.requestedCamera >= 0 ? Int(hello.requestedCamera) : nil) {
    case .success(let tile): camera = tile
    case .failure(let refusal):
      refuse(refusal.reason)
      return
    }
    register(camera, id: id, name: name, peer: peer, fd: fd >= 0 ? fd : nil, joining: true)
    send(camera, .welcome, body: ZMQWire.welcome(orders.forCamera(camera)))
    ping(camera)
  }

  private func ping(_ camera: Int) {
    pingSent[camera] = MonotonicClock.nanos()
    send(camera, .ping, body: ZMQWire.bytes(of: pingSent[camera]))
  }

  override func joined(_ camera: Int, pong body: UnsafeRawBufferPointer) throws {
    let now = MonotonicClock.nanos()
    let sent = ZMQWire.uint64(body, at: 0)
    // Only the answer to the ping in flight counts; anything else is late or made up.
    guard peers[camera].state == .joining, sent == pingSent[camera], sent != 0 else { return }
    let theirs = ZMQWire.uint64(body, at: 8)
    let roundTrip = now &- sent
    if roundTrip < bestRoundTrip[camera] {
      bestRoundTrip[camera] = roundTrip
      offsets[camera] = Int64(bitPattern: theirs) &- Int64(bitPattern: sent &+ roundTrip / 2)
      uncertainties[camera] = roundTrip / 2
    }
    samples[camera] += 1
    guard samples[camera] >= Self.pings else {
      ping(camera)
      return
    }
    peers.joined(camera)
    let left = orders.cameras - peers.joinedCount
    log(
      "gridstitch: camera \(camera) joined from \(peers[camera].name) (clock offset ±\(uncertainties[camera] / 1000) µs)"
        + (left > 0 ? "; waiting for \(left) more" : "; all \(orders.cameras) here"))
  }

  private func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
  }
}
