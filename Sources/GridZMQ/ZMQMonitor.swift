import CZMQ

/// The reading end of `zmq_socket_monitor`: one event per two-part message (16-bit event and
/// 32-bit value, then the endpoint).
public final class ZMQMonitor {
  public struct Event: Sendable, Equatable {
    /// A ZMQ_EVENT_* bit.
    public let event: Int32
    /// For connection events, the connection's descriptor; for others, an error number or a count.
    public let value: UInt32
    public let endpoint: String

    public var isDisconnect: Bool { event == ZMQ_EVENT_DISCONNECTED }
    public var isHandshakeFailure: Bool {
      event
        & (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
          | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0
    }
  }

  public let socket: ZMQSocket

  init(socket: ZMQSocket) { self.socket = socket }

  /// The next event, without waiting; nil if none is queued.
  public func next() throws(ZMQError) -> Event? {
    guard let (parts, _) = try socket.receiveParts(maxParts: 2) else { return nil }
    guard parts.count == 2, parts[0].count == 6 else { return nil }
    let (event, value) = parts[0].withUnsafeBytes { head in
      (
        Int32(head.loadUnaligned(fromByteOffset: 0, as: UInt16.self)),
        head.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
      )
    }
    return Event(event: event, value: value, endpoint: parts[1].text)
  }
}
