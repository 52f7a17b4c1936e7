import CZMQ

/// One `zmq_msg_t`, owned: closed exactly once, in `deinit`. It lives at a fixed heap address
/// (libzmq keeps small messages inside the struct, so it must not move while in use).
public final class ZMQMessage {
  /// Internal to GridZMQ: `ZMQSocket` hands it to `zmq_msg_send`/`zmq_msg_recv` only while the
  /// message is a parameter of the call, which keeps it alive.
  let raw: UnsafeMutablePointer<zmq_msg_t>

  /// An empty message, to receive into (`zmq_msg_init`).
  public init() {
    raw = .allocate(capacity: 1)
    zmq_msg_init(raw)
  }

  /// A message of `count` bytes that libzmq allocates (`zmq_msg_init_size`), to fill and send.
  public init(count: Int) throws(ZMQError) {
    raw = .allocate(capacity: 1)
    guard zmq_msg_init_size(raw, count) == 0 else {
      let error = ZMQError("zmq_msg_init_size(\(count))")
      raw.deallocate()
      throw error
    }
  }

  /// A zero-copy message over `buffer` (`zmq_msg_init_data`): libzmq sends straight from it and
  /// calls `free(buffer, hint)` — on its I/O thread — once it no longer needs the bytes.
  public init(
    lending buffer: UnsafeMutableRawBufferPointer, free: CZMQ_free_fn, hint: UnsafeMutableRawPointer?
  ) throws(ZMQError) {
    raw = .allocate(capacity: 1)
    guard zmq_msg_init_data(raw, buffer.baseAddress, buffer.count, free, hint) == 0 else {
      let error = ZMQError("zmq_msg_init_data(\(buffer.count))")
      raw.deallocate()
      throw error
    }
  }

  /// A message holding a copy of `bytes`.
  public convenience init(copying bytes: UnsafeRawBufferPointer) throws(ZMQError) {
    try self.init(count: bytes.count)
    if bytes.count > 0 { withUnsafeMutableBytes { $0.copyMemory(from: bytes) } }
  }

  deinit {
    zmq_msg_close(raw)
    raw.deallocate()
  }

  /// Lends the message's bytes to `body`, and only to it: the message lives (a method's `self`
  /// is kept alive for the call) until `body` returns. A pointer that escaped `body` would read
  /// freed memory as soon as the optimizer released the message after its last use.
  public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try body(UnsafeRawBufferPointer(start: zmq_msg_data(raw), count: count))
  }

  /// Lends the message's bytes to `body` to fill, before it is sent.
  public func withUnsafeMutableBytes<R, E: Error>(
    _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
  ) throws(E) -> R {
    try body(UnsafeMutableRawBufferPointer(start: zmq_msg_data(raw), count: count))
  }

  /// A copy of the message's bytes.
  public var array: [UInt8] { withUnsafeBytes { Array($0) } }

  /// The message's bytes as text, ill-formed UTF-8 repaired (a copy).
  public var text: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }

  public var count: Int { zmq_msg_size(raw) }

  /// Whether more parts of the same multipart message follow (`zmq_msg_more`).
  public var hasMore: Bool { zmq_msg_more(raw) != 0 }

  /// The connection's descriptor this message arrived on (`ZMQ_SRCFD`), or nil for inproc.
  public var sourceDescriptor: Int32? {
    let fd = zmq_msg_get(raw, ZMQ_SRCFD)
    return fd >= 0 ? fd : nil
  }

  /// A metadata property of the connection the message came by (`zmq_msg_gets`):
  /// "Peer-Address", "User-Id" (the ZAP handler's answer), "Routing-Id", …
  public func property(_ name: String) -> String? {
    guard let value = zmq_msg_gets(raw, name) else { return nil }
    return String(cString: value)
  }

  /// Empties the message for reuse, releasing what it held.
  public func reset() {
    zmq_msg_close(raw)
    zmq_msg_init(raw)
  }
}
