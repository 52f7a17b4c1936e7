import CZMQ

/// One libzmq socket, owned: closed with linger 0 exactly once, in `deinit` (or `close()`).
/// Not thread-safe, as libzmq's sockets are not: one thread uses it at a time.
public final class ZMQSocket {
  public enum Kind: Int32, Sendable {
    case pair = 0
    case pub = 1
    case sub = 2
    case req = 3
    case rep = 4
    case dealer = 5
    case router = 6
    case pull = 7
    case push = 8
  }

  public let kind: Kind
  /// Kept alive while the socket is open: a context is terminated after its sockets.
  public let context: ZMQContext
  private(set) var handle: UnsafeMutableRawPointer?

  /// `zmq_socket`, then linger 0: closing never waits for unsent messages.
  public init(_ context: ZMQContext, _ kind: Kind) throws(ZMQError) {
    guard let handle = zmq_socket(context.handle, kind.rawValue) else {
      throw ZMQError("zmq_socket(\(kind))")
    }
    self.context = context
    self.kind = kind
    self.handle = handle
    try set(ZMQ_LINGER, 0)
  }

  deinit { close() }

  /// `zmq_close`; later calls are no-ops.
  public func close() {
    guard let handle else { return }
    zmq_close(handle)
    self.handle = nil
  }

  private var open: UnsafeMutableRawPointer {
    get throws(ZMQError) {
      guard let handle else { throw ZMQError("socket", code: ENOTSOCK) }
      return handle
    }
  }

  // MARK: endpoints

  /// `zmq_bind`.
  public func bind(_ endpoint: String) throws(ZMQError) {
    let handle = try open
    _ = try check("zmq_bind(\(endpoint))") { zmq_bind(handle, endpoint) }
  }

  /// `zmq_connect` (asynchronous: it succeeds before any peer answers).
  public func connect(_ endpoint: String) throws(ZMQError) {
    let handle = try open
    _ = try check("zmq_connect(\(endpoint))") { zmq_connect(handle, endpoint) }
  }

  /// The endpoint actually bound (`ZMQ_LAST_ENDPOINT`): a "tcp://127.0.0.1:0" bind's real port.
  public var lastEndpoint: String {
    get throws(ZMQError) { try string(ZMQ_LAST_ENDPOINT, capacity: 1024) }
  }

  // MARK: options

  /// `zmq_setsockopt` of an int option.
  func set(_ option: Int32, _ value: Int32) throws(ZMQError) {
    let handle = try open
    var value = value
    _ = try check("zmq_setsockopt(\(option), \(value))") {
      zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size)
    }
  }

  /// `zmq_setsockopt` of an int64 option (`ZMQ_MAXMSGSIZE`).
  func set(_ option: Int32, int64 value: Int64) throws(ZMQError) {
    let handle = try open
    var value = value
    _ = try check("zmq_setsockopt(\(option), \(value))") {
      zmq_setsockopt(handle, option, &value, MemoryLayout<Int64>.size)
    }
  }

  /// `zmq_setsockopt` of a binary or string option (routing id, keys, subscriptions).
  func set(_ option: Int32, bytes: [UInt8]) throws(ZMQError) {
    let handle = try open
    _ = try check("zmq_setsockopt(\(option), \(bytes.count) bytes)") {
      bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
    }
  }

  func set(_ option: Int32, string: String) throws(ZMQError) {
    try set(option, bytes: Array(string.utf8))
  }

  /// `zmq_getsockopt` of an int option.
  func get(_ option: Int32) throws(ZMQError) -> Int32 {
    let handle = try open
    var value: Int32 = 0
    var size = MemoryLayout<Int32>.size
    _ = try check("zmq_getsockopt(\(option))") { zmq_getsockopt(handle, option, &value, &size) }
    return value
  }

  private func string(_ option: Int32, capacity: Int) throws(ZMQError) -> String {
    let handle = try open
    var buffer = [UInt8](repeating: 0, count: capacity)
    var size = capacity
    _ = try check("zmq_getsockopt(\(option))") {
      buffer.withUnsafeMutableBytes { zmq_getsockopt(handle, option, $0.baseAddress, &size) }
    }
    return String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self)
  }

  /// The descriptor that becomes readable when the socket may have events (`ZMQ_FD`):
  /// edge-triggered, so after it fires, drain with `dontWait` until EAGAIN.
  public var eventDescriptor: Int32 {
    get throws(ZMQError) {
      let handle = try open
      var fd: Int32 = -1
      var size = MemoryLayout<Int32>.size
      _ = try check("zmq_getsockopt(ZMQ_FD)") { zmq_getsockopt(handle, ZMQ_FD, &fd, &size) }
      return fd
    }
  }

  /// Common options, named.
  public func setRoutingID(_ id: [UInt8]) throws(ZMQError) { try set(ZMQ_ROUTING_ID, bytes: id) }
  /// Messages over `bytes` close the connection that sent them (`ZMQ_MAXMSGSIZE`).
  public func setMaxMessageSize(_ bytes: Int64) throws(ZMQError) { try set(ZMQ_MAXMSGSIZE, int64: bytes) }
  /// ZMTP heartbeats (`ZMQ_HEARTBEAT_IVL`, `_TIMEOUT`, `_TTL`): a peer silent for `timeoutMillis`
  /// is disconnected, even one whose host vanished without a FIN.
  public func setHeartbeat(intervalMillis: Int32, timeoutMillis: Int32) throws(ZMQError) {
    try set(ZMQ_HEARTBEAT_IVL, intervalMillis)
    try set(ZMQ_HEARTBEAT_TIMEOUT, timeoutMillis)
    try set(ZMQ_HEARTBEAT_TTL, timeoutMillis)
  }
  /// A ROUTER that cannot route a message fails with EHOSTUNREACH instead of dropping it.
  public func setRouterMandatory() throws(ZMQError) { try set(ZMQ_ROUTER_MANDATORY, 1) }

  // MARK: sending

  /// `zmq_msg_send`: on success the message is emptied (its content now belongs to libzmq).
  /// Returns false if it would block under `dontWait`.
  @discardableResult
  public func send(_ message: ZMQMessage, more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool
  {
    let handle = try open
    let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
    do {
      _ = try check("zmq_msg_send") { zmq_msg_send(message.raw, handle, flags) }
      return true
    } catch  where error.wouldBlock {
      return false
    }
  }

  /// `zmq_send`: a copy of `bytes`. Returns false if it would block under `dontWait`.
  @discardableResult
  public func send(bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false) throws(ZMQError)
    -> Bool
  {
    let handle = try open
    let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
    do {
      _ = try check("zmq_send(\(bytes.count) bytes)") {
        zmq_send(handle, bytes.baseAddress, bytes.count, flags)
      }
      return true
    } catch  where error.wouldBlock {
      return false
    }
  }

  @discardableResult
  public func send(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
    let handle = try open
    let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
    do {
      _ = try check("zmq_send(\(bytes.count) bytes)") {
        bytes.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
      }
      return true
    } catch  where error.wouldBlock {
      return false
    }
  }

  // MARK: receiving

  /// `zmq_msg_recv` into `message` (its old content released first). Returns false if nothing
  /// is there under `dontWait`.
  @discardableResult
  public func receive(into message: ZMQMessage, dontWait: Bool = false) throws(ZMQError) -> Bool {
    let handle = try open
    do {
      _ = try check("zmq_msg_recv") { zmq_msg_recv(message.raw, handle, dontWait ? ZMQ_DONTWAIT : 0) }
      return true
    } catch  where error.wouldBlock {
      return false
    }
  }

  /// Receives one whole multipart message without waiting, every part owned; nil if none is
  /// queued. libzmq delivers the parts of a message together, but a peer's connection may end
  /// inside one (a CURVE box over `ZMQ_MAXMSGSIZE`), so a later part is waited for at most 100 ms:
  /// a message cut short never blocks the caller, it comes back `overflowed`. At most `maxParts`
  /// parts are kept; the rest are read and dropped, and `overflowed` tells the caller.
  public func receiveParts(maxParts: Int, dontWait: Bool = true) throws(ZMQError) -> (
    parts: [ZMQMessage], overflowed: Bool
  )? {
    let first = ZMQMessage()
    guard try receive(into: first, dontWait: dontWait) else { return nil }
    var parts = [first]
    var overflowed = false
    var more = first.hasMore
    let spare = ZMQMessage()
    while more {
      let part = parts.count < maxParts ? ZMQMessage() : spare
      var got = try receive(into: part, dontWait: true)
      if !got, try waitReadable(timeoutMillis: 100) { got = try receive(into: part, dontWait: true) }
      guard got else { return (parts, true) }
      if part === spare {
        overflowed = true
      } else {
        parts.append(part)
      }
      more = part.hasMore
    }
    return (parts, overflowed)
  }

  // MARK: waiting

  /// `zmq_poll` on this socket alone: whether it became readable within `timeoutMillis`
  /// (-1 waits forever, 0 only looks). EINTR returns false, so callers re-check signals.
  public func waitReadable(timeoutMillis: Int) throws(ZMQError) -> Bool {
    var items = [ZMQPollItem(socket: self, events: .readable)]
    return try ZMQPoll.poll(&items, timeoutMillis: timeoutMillis) > 0
  }

  /// Waits at most `timeoutMillis` for room to queue a message; false on timeout.
  /// The corresponding C function is `zmq_poll(ZMQ_POLLOUT)`.
  public func waitWritable(timeoutMillis: Int) throws(ZMQError) -> Bool {
    var items = [ZMQPollItem(socket: self, events: .writable)]
    return try ZMQPoll.poll(&items, timeoutMillis: timeoutMillis) > 0
  }

  /// Whether `ZMQ_EVENTS` has a message ready to read now (no syscall if none is).
  public var hasMessage: Bool {
    ((try? get(ZMQ_EVENTS)) ?? 0) & Int32(ZMQ_POLLIN) != 0
  }

  // MARK: monitoring

  /// Starts a monitor of `events` and returns the PAIR socket that reads them.
  public func monitor(events: ZMQEvents = .all, name: String) throws(ZMQError) -> ZMQMonitor {
    let handle = try open
    let endpoint = "inproc://monitor-\(name)"
    _ = try check("zmq_socket_monitor(\(endpoint))") {
      zmq_socket_monitor(handle, endpoint, events.rawValue)
    }
    let pair = try ZMQSocket(context, .pair)
    try pair.connect(endpoint)
    return ZMQMonitor(socket: pair)
  }
}
