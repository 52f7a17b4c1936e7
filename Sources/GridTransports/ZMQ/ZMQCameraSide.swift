import GridCore
import GridImage
import GridPosix
import GridZMQ

/// How a camera knows its hub is still there: a local camera asks whether its parent is the
/// consumer that started it; a remote one, whether it heard the hub within `timeoutNanos`.
public enum HubWatch: Sendable {
  case parent(CameraSideWatch)
  case remote(hub: String, timeoutNanos: UInt64)

  /// A remote camera whose connection to its hub is down (the hub's process ended, or the hub
  /// broke the link) gives it this long (the hub beats every 200 ms) before it leaves: within the
  /// 2 s the guarantee gives, never a hang.
  public static let remoteTimeoutNanos: UInt64 = 1_500_000_000
  /// While the connection is up, the hub may only be paused (stopped, swapped out, held up): the
  /// camera waits this long for it, so a hub that pauses 1.5 s loses no camera.
  public static let pausedHubNanos: UInt64 = 3_000_000_000
}

/// A camera's end of the link: its own context (created in the camera's process, after any
/// fork) and a DEALER connected to the hub's ROUTER. Every message from the hub is checked
/// before it is used; the hub is trusted no more than a camera is.
public final class ZMQCameraLink {
  let context: ZMQContext
  let socket: ZMQSocket
  let watch: HubWatch
  /// A descriptor the endpoint's path goes through (a local camera's folder), kept while linked.
  let anchor = DescriptorSet(count: 1)
  private(set) var lastHeard: UInt64
  /// Frames sent so far; every beat carries the count, so the hub can tell frames were lost.
  var framesSent: UInt64 = 0
  private var lastBeat: UInt64 = 0
  /// Only remote cameras beat: a local camera's liveness is its process.
  private let beats: Bool
  /// Until the hub has answered, its silence is not a loss (it may not be up yet).
  var answered = false
  /// Handshake failures (a CURVE key the hub refused; a hub that requires CURVE of a camera
  /// without keys), and the connection going down and up, for a remote camera.
  let handshakes: ZMQMonitor?
  /// Whether the connection to the hub is down (libzmq saw it close and has not re-made it).
  private var linkDown = false
  /// Whether this camera speaks CURVE.
  let hasKeys: Bool

  /// Connects to `endpoint` with `routingID`; with `curve`, as a CURVE client of the hub whose
  /// public key is `serverKey`. ZMTP heartbeats close a link whose peer went silent.
  public init(
    endpoint: String, routingID: [UInt8], curve: (keys: ZMQCurveKeyPair, serverKey: String)? = nil,
    watch: HubWatch
  ) throws(ZMQError) {
    context = try ZMQContext()
    socket = try ZMQSocket(context, .dealer)
    try socket.setRoutingID(routingID)
    try socket.setReconnectInterval(millis: 10)
    try socket.setReceiveHighWaterMark(0)  // credits bound the queues
    try socket.setSendHighWaterMark(0)
    // The hub's largest message is its welcome (the orders' text).
    try socket.setMaxMessageSize(Int64(ZMQWire.Kind.welcome.firstPartSize.upperBound + 256))
    if case .remote = watch {
      // ZMTP closes a connection only after the hub's silence has outlasted a pause.
      try socket.setHeartbeat(intervalMillis: 100, timeoutMillis: Int32(HubWatch.pausedHubNanos / 1_000_000))
      beats = true
    } else {
      beats = false
    }
    if let curve { try socket.setCurveClient(keys: curve.keys, serverKey: curve.serverKey) }
    hasKeys = curve != nil
    if case .remote = watch {
      handshakes = try socket.monitor(
        events: [.handshakeFailed, .handshakeSucceeded, .disconnected], name: "camera")
    } else {
      handshakes = nil
    }
    self.watch = watch
    lastHeard = MonotonicClock.nanos()
    try socket.connect(endpoint)
  }

  /// A beat or a pong: never waits. When libzmq has no connection to queue it on (a hub that
  /// broke the link), it is left out, and the 1.5 s rule decides whether the hub is gone.
  func send(_ kind: ZMQWire.Kind, body: [UInt8] = []) throws(ZMQError) {
    try socket.send(ZMQWire.message(kind, body: body), dontWait: true)
  }

  /// Sends one part without ever blocking in libzmq: while it cannot be queued, the camera
  /// keeps watching its hub (beats, the 1.5 s rule, the parent) and stop signals, so a hub that
  /// broke the link cannot hold it.
  func sendWatching(_ send: () throws(ZMQError) -> Bool) throws {
    while try !send() {
      if let signal = StopSignals.pending { throw GridError.interrupted(signal: signal) }
      try keepAlive()
      _ = try socket.waitWritable(timeoutMillis: Int(WatchdogTick.millis))
    }
  }

  public func hello(_ hello: ZMQWire.Hello) throws(ZMQError) {
    try socket.send(ZMQWire.hello(hello))
  }

  /// The next message from the hub, waiting at most `timeoutMillis`; nil if none came. Beats to
  /// the hub when due and throws if the hub is gone.
  public func next(timeoutMillis: Int) throws -> (kind: ZMQWire.Kind, body: [UInt8])? {
    try keepAlive()
    var got = try socket.receiveParts(maxParts: 2)
    if got == nil, timeoutMillis > 0, try socket.waitReadable(timeoutMillis: timeoutMillis) {
      got = try socket.receiveParts(maxParts: 2)
    }
    guard let (parts, overflowed) = got else {
      try keepAlive()
      return nil
    }
    lastHeard = MonotonicClock.nanos()
    answered = true
    let message = parts[0]
    guard !overflowed, parts.count == 1,
      let kind = message.withUnsafeBytes({ ZMQWire.kind(of: $0, parts: 1) }),
      kind.rawValue >= ZMQWire.Kind.welcome.rawValue
    else {
      let why = message.withUnsafeBytes { ZMQWire.refusal(of: $0, parts: parts.count) }
      throw GridError.runtime("the hub sent a malformed message: \(why)")
    }
    return (kind, message.withUnsafeBytes { Array(ZMQWire.body($0)) })
  }

  /// Beats when due; throws if the hub is gone (nothing heard for the timeout) or, for a local
  /// camera, if the consumer is no longer its parent.
  func keepAlive() throws {
    let now = MonotonicClock.nanos()
    switch watch {
    case .parent(let parent):
      if !parent.consumerIsAlive() { throw parent.consumerGone() }
    case .remote(let hub, let timeout):
      while let event = try handshakes?.next() {
        if event.isDisconnect { linkDown = true }
        if event.event == .handshakeSucceeded { linkDown = false }
        guard event.isHandshakeFailure else { continue }
        guard hasKeys else {
          throw GridError.runtime(
            "the hub \(hub) refused this camera: it requires CURVE keys "
              + "(give --curve-secret with this camera's key and --hub-key with the hub's public key)")
        }
        throw GridError.runtime(
          "the hub \(hub) refused this camera: the CURVE handshake failed"
            + (event.event == .handshakeFailedAuth
              ? " (its key is not allowed there)" : " (is --hub-key the hub's public key?)"))
      }
      // A link that is down means the hub is gone; one that is up, that it may be paused.
      let allowed = linkDown ? timeout : max(timeout, HubWatch.pausedHubNanos)
      if answered, now &- lastHeard > allowed {
        throw GridError.runtime(
          "the hub \(hub) is gone: nothing heard for \(SecondsText.of(nanos: allowed)) s"
            + (linkDown ? "" : " (its connection is up, but it says nothing)"))
      }
    }
    if beats, answered, now &- lastBeat >= 100_000_000 {
      lastBeat = now
      try send(.heartbeat, body: ZMQWire.bytes(of: framesSent))
    }
  }

  /// Answers a ping with the camera's clock, for the hub's offset.
  func pong(_ body: [UInt8]) throws(ZMQError) {
    let hubNanos = body.withUnsafeBytes { ZMQWire.uint64($0, at: 0) }
    try send(.pong, body: ZMQWire.bytes(of: hubNanos) + ZMQWire.bytes(of: MonotonicClock.nanos()))
  }
}

/// Frame buffers lent to libzmq: a camera renders into one, libzmq sends straight from it, and
/// its free callback (on libzmq's I/O thread) hands it back. Each message holds a reference to the
/// pool, so buffers outlive every message, whatever order things end in.
final class ZMQBufferPool: @unchecked Sendable {
  private let lock = ConditionLock()
  private var free: [UnsafeMutableRawPointer]
  private let all: [UnsafeMutableRawPointer]
  let bytes: Int

  init(count: Int, bytes: Int) {
    self.bytes = bytes
    all = (0..<count).map { _ in UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64) }
    free = all
  }

  deinit { for buffer in all { buffer.deallocate() } }

  /// A free buffer, waiting for libzmq to return one for at most `timeoutNanos`; nil if none did.
  /// The buffer has one owner, which gives it back (or lends it to libzmq) exactly once.
  func take(timeoutNanos: Int64) -> PooledBuffer? {
    let start: UnsafeMutableRawPointer? = lock.withLock {
      if free.isEmpty { lock.wait(timeoutNanos: timeoutNanos) }
      return free.popLast()
    }
    guard let start else { return nil }
    return PooledBuffer(start: start, count: bytes, pool: self)
  }

  fileprivate func give(_ buffer: UnsafeMutableRawPointer) {
    lock.withLock {
      free.append(buffer)
      lock.broadcast()
    }
  }
}

/// One buffer taken from a `ZMQBufferPool`: lent to a renderer only inside a closure, then either
/// lent to libzmq as a message (`message()`, whose free callback returns it) or, dropped, given
/// back to the pool. Being `~Copyable`, it cannot be returned twice or used after it went.
struct PooledBuffer: ~Copyable {
  private let start: UnsafeMutableRawPointer
  private let count: Int
  /// The pool, retained once by this owner; the retain passes to libzmq's callback with the bytes.
  private let pool: Unmanaged<ZMQBufferPool>

  fileprivate init(start: UnsafeMutableRawPointer, count: Int, pool: ZMQBufferPool) {
    self.start = start
    self.count = count
    self.pool = .passRetained(pool)
  }

  deinit { pool.takeRetainedValue().give(start) }

  func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
    try body(UnsafeMutableRawBufferPointer(start: start, count: count))
  }

  /// A zero-copy message over the buffer; libzmq's free callback gives it back to the pool.
  consuming func message() throws(ZMQError) -> ZMQMessage {
    let (start, count, pool) = (self.start, self.count, self.pool)
    discard self
    do {
      return try ZMQMessage(
        lending: UnsafeMutableRawBufferPointer(start: start, count: count),
        free: { data, hint in
          Unmanaged<ZMQBufferPool>.fromOpaque(hint!).takeRetainedValue().give(data!)
        }, hint: pool.toOpaque())
    } catch {
      pool.takeRetainedValue().give(start)
      throw error
    }
  }
}

/// A frame rendered while the camera had no credit (`latest`): sent when credit comes, or
/// replaced by a newer one.
struct PendingFrame: ~Copyable {
  let header: FrameHeader
  let buffer: PooledBuffer
}

/// `zmq`'s camera side. A frame is rendered into a pooled buffer and sent without a copy.
/// `lockstep`: a camera sends only with credit (the hub grants `slots` and returns one per frame
/// it takes), so it waits when the hub is behind; after its last frame it waits until the hub has
/// taken every frame, then leaves. `latest`: without credit the frame becomes the one pending
/// frame, replacing (and dropping) the one before; it goes out as soon as credit comes. It never
/// blocks, and runs until the hub says stop.
final class ZMQPublisher: FramePublisher {
  private let link: ZMQCameraLink
  private let pool: ZMQBufferPool
  private let lockstep: Bool
  private let slots: Int
  private var credits: Int
  private var pending: PendingFrame?
  private let head = UnsafeMutableRawBufferPointer.allocate(
    byteCount: ZMQWire.prefixSize + FrameHeader.wireSize, alignment: 8)
  private var lastService: UInt64 = 0
  /// Frames dropped under `latest` (the hub counts them too, from sequence gaps).
  private(set) var dropped = 0
  private let geometry: FrameGeometry
  /// `--encode jpeg:QUALITY`: frames go out as JPEG, encoded here (nil: raw pixels, zero copy).
  private let jpeg: (encoder: JPEGEncoder, quality: Int)?

  init(link: ZMQCameraLink, shape: TransportShape, credits: Int = 0, jpegQuality: Int? = nil) throws {
    self.link = link
    geometry = shape.geometry
    jpeg = try jpegQuality.map { (try JPEGEncoder(), $0) }
    lockstep = shape.policy == .lockstep
    slots = shape.slots
    self.credits = credits
    pool = ZMQBufferPool(count: shape.slots + 2, bytes: shape.geometry.bytesPerFrame)
  }

  deinit { head.deallocate() }

  func publish(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws {
    // With credit in hand the hub is not asked (each look is a system call); it is asked when the
    // credit runs out, and at least every 20 ms for its beats and its stop.
    if credits == 0 || MonotonicClock.nanos() &- lastService > 20_000_000 { try service(timeoutMillis: 0) }
    if lockstep {
      while credits == 0 { try service(timeoutMillis: Int(WatchdogTick.millis)) }
    }
    let buffer = try takeBuffer()
    // A throw from here on drops `buffer`, which gives it back to the pool.
    var header = FrameHeader.zero
    try buffer.withUnsafeMutableBytes { try fill(&header, $0) }
    if credits > 0 {
      try send(header, buffer)
    } else {
      if pending != nil { dropped += 1 }  // replaced: its buffer goes back to the pool
      pending = PendingFrame(header: header, buffer: buffer)
    }
  }

  /// A free buffer, answering the hub while libzmq still holds every one.
  private func takeBuffer() throws -> PooledBuffer {
    while true {
      if let buffer = pool.take(timeoutNanos: WatchdogTick.nanos) { return buffer }
      try service(timeoutMillis: 0)
    }
  }

  /// Lockstep: waits until the hub has taken every frame sent (all credit back), so closing the
  /// socket loses nothing. Latest: runs until stopped, so this is never reached.
  func finishPublishing() throws {
    guard lockstep else { return }
    while credits < slots { try service(timeoutMillis: Int(WatchdogTick.millis)) }
  }

  /// While the camera waits out its load: the hub is asked at most every 20 ms (its beats, its
  /// stop, credit for a pending frame), as `publish` asks it.
  func keepAlive() throws {
    if MonotonicClock.nanos() &- lastService > 20_000_000 { try service(timeoutMillis: 0) }
  }

  var needsKeepAlive: Bool { true }

  private func send(_ header: FrameHeader, _ buffer: consuming PooledBuffer) throws {
    if let jpeg { return try sendEncoded(header, buffer, jpeg.encoder, quality: jpeg.quality) }
    ZMQWire.writeFramePrefix(header, into: head)
    let pixels = try buffer.message()
    try send(pixels)
  }

  /// The frame as JPEG: its header carries the JPEG's byte count and, when the run verifies, the
  /// checksum of the compressed bytes, which the hub checks before it decodes them.
  private func sendEncoded(
    _ header: FrameHeader, _ buffer: consuming PooledBuffer, _ encoder: JPEGEncoder, quality: Int
  ) throws {
    let geometry = geometry
    let (copy, sum) = try buffer.withUnsafeMutableBytes { pixels in
      try encoder.withEncoding(
        width: geometry.width, height: geometry.height, channels: geometry.channels,
        pixels: UnsafeRawBufferPointer(pixels), quality: quality
      ) { bytes in
        (
          Result { () throws(ZMQError) in try ZMQMessage(copying: bytes) },
          header.checksum == nil ? nil : Checksum.of(bytes)
        )
      }
    }
    let compressed = try copy.get()
    _ = consume buffer  // back to the pool: the JPEG is a copy
    var sent = header
    // A header that claims another size than the frame's (an injected fault) keeps its claim.
    if header.byteCount == UInt32(geometry.bytesPerFrame) { sent.byteCount = UInt32(compressed.count) }
    sent.checksum = sum
    ZMQWire.writeFramePrefix(sent, kind: .jpegFrame, into: head)
    try send(compressed)
  }

  /// Sends the first part (`head`) and `pixels`, watching the hub while libzmq cannot take them.
  private func send(_ pixels: ZMQMessage) throws {
    let socket = link.socket
    try link.sendWatching { () throws(ZMQError) in
      try socket.send(bytes: UnsafeRawBufferPointer(head), more: true, dontWait: true)
    }
    // The rest of a message whose first part was queued is queued too.
    try link.sendWatching { () throws(ZMQError) in try socket.send(pixels, dontWait: true) }
    link.framesSent += 1
    credits -= 1
  }

  /// Takes what the hub sent (credit, stop, heartbeats) and beats when due.
  private func service(timeoutMillis: Int) throws {
    lastService = MonotonicClock.nanos()
    var wait = timeoutMillis
    while let (kind, body) = try link.next(timeoutMillis: wait) {
      wait = 0
      switch kind {
      case .credit:
        let granted = body.withUnsafeBytes { Int(ZMQWire.uint32($0, at: 0)) }
        guard granted >= 1, credits + granted <= slots else {
          throw GridError.runtime("the hub granted \(granted) credits past the \(slots) it may")
        }
        credits += granted
        if credits > 0, let frame = pending.take() {
          try send(frame.header, frame.buffer)
        }
      case .stop: throw TransportStopped()
      case .ping: try link.pong(body)
      case .hubHeartbeat: break
      case .welcome, .refuse, .go:
        throw GridError.runtime("the hub sent \(kind) in the middle of a run")
      case .hello, .frame, .jpegFrame, .heartbeat, .pong:
        throw GridError.runtime("the hub sent a camera's message (\(kind))")
      }
    }
  }
}
