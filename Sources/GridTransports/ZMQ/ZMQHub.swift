import GridCore
import GridPosix
import GridZMQ

/// `zmq`'s consumer side: one ROUTER that every camera's DEALER connects to. Frames wait in a
/// queue per camera as the messages libzmq received (no copy: the grid is stitched straight from
/// `zmq_msg_data`). A camera may have at most `slots` frames in flight: the hub grants that many
/// credits and returns one per frame it takes; a joined camera that sends past its credit, or
/// sends anything malformed, ends the run (exit 3, naming it). A peer that has not joined and
/// sends something malformed is dropped and counted (`rejected_messages`).
public class ZMQHub: HubReceiver {
  /// Where the hub's cameras come from.
  public enum Cameras {
    /// Camera processes of this run, supervised through their process table (`watchdog`).
    case local
    /// Cameras on other hosts: alive while heard within `timeoutNanos`.
    case remote(timeoutNanos: UInt64, stopOnLoss: Bool)
  }

  /// libzmq I/O threads in the hub: two receive from the cameras' connections side by side
  /// (16 local cameras at `none`: about 1.4 k grids/s against 1.3 k with one, on 2 cores).
  static let ioThreads: Int32 = 2

  /// A peer that has not greeted (ZMTP, CURVE) within this is disconnected: idle connections
  /// cannot hold the hub's descriptors for libzmq's default 30 s.
  static let handshakeMillis: Int32 = 3000

  struct Queued {
    var header: FrameHeader
    /// The pixels, or the JPEG they were sent as (`jpeg`), as libzmq received them.
    var pixels: ZMQMessage
    var jpeg = false
  }

  let context: ZMQContext
  let socket: ZMQSocket
  let monitor: ZMQMonitor
  let shape: TransportShape
  let watchdog: Watchdog
  let cameras: Cameras
  let log: @Sendable (String) -> Void

  /// Who holds each tile, when each was heard, their connections, what is said of them. Cameras
  /// given up on (lost under `--on-camera-loss continue`) are `.lost`: nothing of theirs is used.
  var peers: HubPeers
  /// Per camera: routing id, clock offset (camera − hub, ns), queued frames, last sequence taken.
  var ids: [[UInt8]?]
  var byID: [[UInt8]: Int] = [:]
  var offsets: [Int64]
  var uncertainties: [UInt64]
  var queues: [[Queued]]
  var lastSequence: [Int64]
  public var rejectedMessages: Int { peers.rejected }
  private(set) public var droppedFrames = 0
  private var lastBeat: UInt64 = 0
  private var nextTick: UInt64 = 0
  /// The CURVE gatekeeper, on a thread of its own (libzmq waits for its answers).
  var gate: ZMQGate?
  /// JPEG frames (`camera --encode jpeg`) are decoded into this one buffer, and lent from it.
  private lazy var decoded = JPEGTile(geometry: shape.geometry)

  init(
    shape: TransportShape, watchdog: Watchdog, cameras: Cameras, context: ZMQContext,
    log: @escaping @Sendable (String) -> Void
  ) throws {
    self.shape = shape
    self.watchdog = watchdog
    self.cameras = cameras
    self.log = log
    self.context = context
    socket = try ZMQSocket(context, .router)
    try socket.setRouterMandatory()
    try socket.setReceiveHighWaterMark(0)  // credits bound the queues
    try socket.setSendHighWaterMark(0)
    try socket.setHandshakeTimeout(millis: Self.handshakeMillis)
    // No part of any message is larger than a frame's pixels (plus, under CURVE, its box's
    // overhead, which libzmq counts too): anything larger is refused by libzmq before it
    // allocates, and the peer's connection is closed.
    try socket.setMaxMessageSize(
      Int64(max(ZMQWire.maxFrameBytes(shape.geometry), CameraOrders.maxTextBytes) + 256))
    let count = shape.cameras
    if case .remote = cameras {
      // ZMTP closes a connection only after a silence that outlasts a pause of either side; a
      // camera's own beats (every 100 ms, `--camera-timeout`) say sooner that it is gone.
      try socket.setHeartbeat(intervalMillis: 100, timeoutMillis: Int32(HubWatch.pausedHubNanos / 1_000_000))
      monitor = try socket.monitor(events: [.disconnected, .accepted], name: "hub")
      // Remote hubs weigh their peers' connections (local cameras are this run's own processes).
      peers = HubPeers(
        tiles: count, slots: shape.slots, ledger: ConnectionLedger(), voice: "gridstitch: ", log: log)
    } else {
      monitor = try socket.monitor(events: .disconnected, name: "hub")
      peers = HubPeers(tiles: count, slots: shape.slots, ledger: nil, voice: "gridstitch: ", log: log)
    }
    ids = Array(repeating: nil, count: count)
    offsets = Array(repeating: 0, count: count)
    uncertainties = Array(repeating: 0, count: count)
    queues = Array(repeating: [], count: count)
    lastSequence = Array(repeating: -1, count: count)
  }

  deinit {
    gate?.stop()
  }

  // MARK: FrameReceiver

  public func hasFrame(from camera: Int) -> Bool { !queues[camera].isEmpty }

  public func withNextFrame<R>(from camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R)
    throws -> R
  {
    // Lockstep takes the oldest frame, so what is queued will do; latest wants the newest.
    if shape.policy == .latest { try pump() }
    while queues[camera].isEmpty {
      try wait(for: camera)
    }
    let item: Queued
    var taken = 1
    if shape.policy == .latest {
      // The newest frame; the older ones are dropped, and their credit comes back too. Frames
      // the camera itself dropped for want of credit show as gaps in the sequence.
      taken = queues[camera].count
      item = queues[camera].removeLast()
      queues[camera].removeAll(keepingCapacity: true)
      droppedFrames += max(0, Int(Int64(item.header.sequence) - lastSequence[camera]) - 1)
    } else {
      item = queues[camera].removeFirst()
    }
    lastSequence[camera] = Int64(item.header.sequence)
    defer { giveBack(camera, taken) }
    guard item.jpeg else { return try item.pixels.withUnsafeBytes { try body(item.header, $0) } }
    let header = try item.pixels.withUnsafeBytes {
      try decoded.decode($0, header: item.header, camera: camera)
    }
    return try decoded.withPixels { try body(header, $0) }
  }

  public func finish() {
    for camera in 0..<shape.cameras where ids[camera] != nil { send(camera, .stop) }
    // Let the stops go out before the socket closes, a little while at most.
    try? socket.setLinger(millis: 500)
  }

  // MARK: receiving

  /// Takes every message queued now, without waiting, and weighs the peers' connections.
  func pump() throws {
    while let (parts, overflowed) = try socket.receiveParts(maxParts: 3) {
      // A joined camera's connection (a re-made one too: libzmq reconnects) may carry its frames.
      peers.weigh(parts, from: byID[parts[0].array], inFlight: inFlight, now: MonotonicClock.nanos())
      try take(parts, overflowed: overflowed)
    }
    try peers.audit([monitor], now: MonotonicClock.nanos())
  }

  /// The set-up loop both hubs wait in until `done`: it pumps whatever arrives (hellos, pongs)
  /// and runs `tick` once every watchdog tick, on the first pass too.
  func gather(until done: () -> Bool, tick: () throws -> Void) throws {
    var nextTick: UInt64 = 0
    while !done() {
      let now = MonotonicClock.nanos()
      if now >= nextTick {
        nextTick = now &+ UInt64(WatchdogTick.nanos)
        try tick()
        if done() { return }
      }
      if try socket.waitReadable(timeoutMillis: Int(WatchdogTick.millis)) { try pump() }
    }
  }

  /// Waits a bounded while for anything, then pumps; every tick, asks about the camera waited
  /// on (and, under the stop policy, every remote camera) and beats to remote cameras.
  private func wait(for camera: Int) throws {
    for other in 0..<shape.cameras { flushCredit(other) }
    let now = MonotonicClock.nanos()
    if now >= nextTick {
      nextTick = now &+ UInt64(WatchdogTick.nanos)
      try tick(waitingOn: camera)
    }
    var items = [
      ZMQPollItem(socket: socket, events: .readable), ZMQPollItem(socket: monitor.socket, events: .readable),
    ]
    // A remote hub weighs its connections every `auditNanos`, waiting or not.
    let untilTick = Int((nextTick &- min(nextTick, MonotonicClock.nanos())) / 1_000_000)
    let millis = max(
      1, peers.weighsConnections ? min(untilTick, Int(ConnectionLedger.auditNanos / 1_000_000)) : untilTick)
    _ = try ZMQPoll.poll(&items, timeoutMillis: millis)
    // Connection events are read as they come, so a pending one never keeps the poll awake.
    try peers.readEvents(of: monitor, now: MonotonicClock.nanos())
    try pump()
  }

  /// What the supervisor's tick asks of the hub.
  func tick(waitingOn camera: Int?) throws {
    try watchCameras(waitingOn: camera)
    beat()
  }

  func watchCameras(waitingOn camera: Int?) throws {
    if let camera, try !watchdog.isAlive(camera: camera) {
      try pump()
      if queues[camera].isEmpty { throw watchdog.lost(camera: camera) }
    }
    guard case .remote(let timeout, let stopOnLoss) = cameras else { return }
    let now = MonotonicClock.nanos()
    // A connection libzmq saw close (or drop on a missed ZMTP heartbeat) makes its camera a
    // suspect.
    try peers.readEvents(of: monitor, now: now)
    if peers.forgiveAbsence(now: now) { return }
    for other in 0..<shape.cameras
    where peers.isHeld(other) && (other == camera || stopOnLoss) {
      if let why = silence(of: other, now: now, timeout: timeout) { throw gone(other, why) }
    }
  }

  /// Why camera `camera` counts as gone, or nil while it is heard often enough.
  func silence(of camera: Int, now: UInt64, timeout: UInt64) -> String? {
    peers.silence(
      of: camera, now: now, timeout: timeout,
      silent: "no frame or heartbeat for \(SecondsText.of(nanos: timeout)) s")
  }

  func gone(_ camera: Int, _ reason: String) -> GridError {
    peers.lose(camera)
    return .remoteCameraLost(camera: camera, peer: peers[camera].name, reason: reason)
  }

  /// The handshakes the CURVE gate refused since the last tick: counted as rejected and said
  /// within the peer table's limits, like every other refusal.
  private func takeRefusals() {
    guard let refusals = gate?.takeRefusals(), let last = refusals.last else { return }
    let now = MonotonicClock.nanos()
    for _ in 0..<refusals.count {
      peers.reject(key: last.address, now: now) { _ in "refused a camera from \(last.address): \(last.reason)"
      }
    }
  }

  /// Remote cameras hear from the hub at least every 200 ms, so each knows it is there.
  func beat() {
    guard case .remote = cameras else { return }
    takeRefusals()
    let now = MonotonicClock.nanos()
    guard now &- lastBeat >= 200_000_000 else { return }
    lastBeat = now
    for camera in 0..<shape.cameras where peers.isHeld(camera) {
      send(camera, .hubHeartbeat)
    }
  }

  /// One message from the ROUTER: [routing id, first part, (pixels)].
  func take(_ parts: [ZMQMessage], overflowed: Bool) throws {
    guard parts.count > 1 else {
      return try take(parts, body: UnsafeRawBufferPointer(start: nil, count: 0), overflowed: overflowed)
    }
    try parts[1].withUnsafeBytes { try take(parts, body: $0, overflowed: overflowed) }
  }

  /// `body` is the first part's bytes, lent for this call only.
  private func take(_ parts: [ZMQMessage], body: UnsafeRawBufferPointer, overflowed: Bool) throws {
    let id = parts[0].array
    let camera = byID[id]
    let kind = overflowed ? nil : ZMQWire.kind(of: body, parts: parts.count - 1)
    guard let camera, peers.isHeld(camera) else {
      try stranger(id: id, kind: kind, parts: parts)
      return
    }
    guard onProbation(camera) else {
      return try take(parts, body: body, kind: kind, from: camera, overflowed: overflowed)
    }
    // A joiner that has not finished joining is no camera of the run yet: what it breaks costs it
    // its place, not the run (anyone who can reach a loopback port can say hello).
    do {
      try take(parts, body: body, kind: kind, from: camera, overflowed: overflowed)
    } catch GridError.protocolViolation(_, let reason) {
      dismiss(camera, because: reason)
      reject(parts.count > 1 ? parts[1] : parts[0], why: reason + " (from a camera still joining)")
    }
  }

  /// A message from camera `camera` (of the run, or joining): a malformed one is a protocol
  /// violation naming it.
  private func take(
    _ parts: [ZMQMessage], body: UnsafeRawBufferPointer, kind: ZMQWire.Kind?, from camera: Int,
    overflowed: Bool
  ) throws {
    guard let kind else {
      throw GridError.protocolViolation(
        camera: camera,
        reason: overflowed
          ? "a message of more than 2 parts" : ZMQWire.refusal(of: body, parts: parts.count - 1))
    }
    peers.heard(camera, now: MonotonicClock.nanos())
    switch kind {
    case .frame:
      var header = FrameHeader(decoding: body.baseAddress! + ZMQWire.prefixSize)
      try HeaderCheck.validate(header, camera: camera, geometry: shape.geometry)
      guard parts[2].count == shape.geometry.bytesPerFrame else {
        throw GridError.protocolViolation(
          camera: camera,
          reason: "\(parts[2].count) pixel bytes, the geometry has \(shape.geometry.bytesPerFrame)")
      }
      if let why = peers.spendCredit(camera) {
        throw GridError.protocolViolation(camera: camera, reason: why)
      }
      // The camera's clock, mapped onto the hub's.
      header.captureNanos = UInt64(bitPattern: Int64(bitPattern: header.captureNanos) &- offsets[camera])
      queues[camera].append(Queued(header: header, pixels: parts[2]))
    case .jpegFrame:
      var header = FrameHeader(decoding: body.baseAddress! + ZMQWire.prefixSize)
      try JPEGTile.check(header, bytes: parts[2], camera: camera, geometry: shape.geometry)
      if let why = peers.spendCredit(camera) {
        throw GridError.protocolViolation(camera: camera, reason: why)
      }
      header.captureNanos = UInt64(bitPattern: Int64(bitPattern: header.captureNanos) &- offsets[camera])
      queues[camera].append(Queued(header: header, pixels: parts[2], jpeg: true))
    case .heartbeat:
      // A beat says how many frames the camera has sent.
      if let why = peers.lostInTransit(camera, sent: ZMQWire.uint64(ZMQWire.body(body), at: 0)) {
        throw gone(camera, why)
      }
    case .pong: try joined(camera, pong: ZMQWire.body(body))
    case .hello: try joined(camera, hello: ZMQWire.decodeHello(ZMQWire.body(body)))
    default:
      throw GridError.protocolViolation(camera: camera, reason: "a hub's message (\(kind))")
    }
  }

  /// A message from a peer that is not (or no longer) one of the run's cameras.
  func stranger(id: [UInt8], kind: ZMQWire.Kind?, parts: [ZMQMessage]) throws {
    if kind == .hello {
      let hello = parts[1].withUnsafeBytes { ZMQWire.decodeHello(ZMQWire.body($0)) }
      try arrived(id: id, hello: hello, from: parts[1], fd: parts[1].sourceDescriptor ?? -1)
      return
    }
    reject(parts.count > 1 ? parts[1] : parts[0], why: kind.map { "\($0) from a camera that has not joined" })
  }

  /// Whether `camera` is still joining (a remote hub before the camera's pings are done).
  func onProbation(_ camera: Int) -> Bool { peers[camera].state == .joining }

  /// Gives a joining camera's place up (the remote hub frees its tile).
  func dismiss(_ camera: Int, because reason: String) {}

  /// Counts a dropped message; says so within the hub's complaint limits.
  func reject(_ part: ZMQMessage, why: String?) {
    let peer = part.property("Peer-Address") ?? "a local peer"
    peers.reject(key: peer, now: MonotonicClock.nanos()) { count in
      let reason = why ?? part.withUnsafeBytes { ZMQWire.refusal(of: $0, parts: 1) }
      return "dropped a message from \(peer): \(reason) (\(count) so far)"
    }
  }

  /// Hooks the join phases override: a hello from a new peer, a joined camera's hello or pong.
  func arrived(id: [UInt8], hello: ZMQWire.Hello, from part: ZMQMessage, fd: Int32) throws {
    reject(part, why: "a hello after the start")
  }

  func joined(_ camera: Int, hello: ZMQWire.Hello) throws {
    throw GridError.protocolViolation(camera: camera, reason: "a second hello")
  }

  func joined(_ camera: Int, pong: UnsafeRawBufferPointer) throws {}

  /// The largest clock-offset uncertainty among the cameras (half the best round trip).
  public var clockUncertaintyNanos: UInt64 { uncertainties.max() ?? 0 }

  /// Local cameras cross the run's own start line: nothing to send them.
  public func release(start: UInt64) {}
}
