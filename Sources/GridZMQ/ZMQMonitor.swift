import CZMQ

/// The reading end of `zmq_socket_monitor`: one event per two-part message (16-bit event and
/// 32-bit value, then the endpoint).
public final class ZMQMonitor {
  public struct Event: Sendable, Equatable {
    /// One event bit.
    public let event: ZMQEvents
    /// For connection events, the connection's descriptor; for others, an error number or a count.
    public let value: UInt32
    public let endpoint: String

    public var isDisconnect: Bool { event == .disconnected }
    /// A connection opened: accepted by a listening socket, or made by a connecting one.
    public var isConnection: Bool { event == .accepted || event == .connected }
    public var isHandshakeFailure: Bool { !event.isDisjoint(with: .handshakeFailed) }
  }

  public let socket: ZMQSocket

  init(socket: ZMQSocket) { self.socket = socket }

  /// The next event, without waiting; nil if none is queued.
  public func next() throws(ZMQError) -> Event? {
    guard let (parts, _) = try socket.receiveParts(maxParts: 2) else { return nil }
    guard parts.count == 2, parts[0].count == 6 else { return nil }
    let (event, value) = parts[0].withUnsafeBytes { head in
      (
        ZMQEvents(rawValue: Int32(head.loadUnaligned(fromByteOffset: 0, as: UInt16.self))),
        head.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
      )
    }
    return Event(event: event, value: value, endpoint: parts[1].text)
  }
}

/// The `ZMQ_EVENT_*` bits a monitor is asked for and reports, named.
public struct ZMQEvents: OptionSet, Sendable, Hashable {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }

  public static let disconnected = ZMQEvents(rawValue: ZMQ_EVENT_DISCONNECTED)
  /// A listening socket accepted a connection (the value is its descriptor).
  public static let accepted = ZMQEvents(rawValue: ZMQ_EVENT_ACCEPTED)
  /// A connection's greeting (and security handshake) succeeded: it carries messages.
  public static let handshakeSucceeded = ZMQEvents(rawValue: ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
  /// A connecting socket's connection is up (the value is its descriptor).
  public static let connected = ZMQEvents(rawValue: ZMQ_EVENT_CONNECTED)
  public static let handshakeFailedNoDetail = ZMQEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
  public static let handshakeFailedProtocol = ZMQEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
  /// The peer's key was refused (by the ZAP handler), or ours by the peer.
  public static let handshakeFailedAuth = ZMQEvents(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
  public static let handshakeFailed: ZMQEvents = [
    .handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth,
  ]
  public static let all = ZMQEvents(rawValue: ZMQ_EVENT_ALL)
}
