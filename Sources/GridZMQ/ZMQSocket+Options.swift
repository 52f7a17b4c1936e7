import CZMQ

/// The socket options the transports set, named: nothing outside GridZMQ sees a `ZMQ_*` number.
extension ZMQSocket {
  /// How soon a lost connection is tried again (`ZMQ_RECONNECT_IVL`).
  public func setReconnectInterval(millis: Int32) throws(ZMQError) { try set(ZMQ_RECONNECT_IVL, millis) }

  /// The ZAP domain every connection's handshake is authenticated under (`ZMQ_ZAP_DOMAIN`).
  public func setZAPDomain(_ domain: String) throws(ZMQError) { try set(ZMQ_ZAP_DOMAIN, string: domain) }

  /// How long `close()` may still deliver queued messages (`ZMQ_LINGER`); 0 drops them.
  public func setLinger(millis: Int32) throws(ZMQError) { try set(ZMQ_LINGER, millis) }

  /// At most `messages` whole messages queued per peer for reading (`ZMQ_RCVHWM`): past it
  /// libzmq stops reading that peer's connection, so one peer cannot fill the memory.
  public func setReceiveHighWaterMark(_ messages: Int32) throws(ZMQError) { try set(ZMQ_RCVHWM, messages) }

  /// Sends to peers that do not read block or drop after `messages` queued (`ZMQ_SNDHWM`).
  public func setSendHighWaterMark(_ messages: Int32) throws(ZMQError) { try set(ZMQ_SNDHWM, messages) }

  /// A connection that has not finished its ZMTP greeting (and CURVE handshake) within `millis`
  /// is closed (`ZMQ_HANDSHAKE_IVL`; libzmq's default is 30 s, long enough for idle connections to
  /// pile up to the open-file limit).
  public func setHandshakeTimeout(millis: Int32) throws(ZMQError) { try set(ZMQ_HANDSHAKE_IVL, millis) }

  /// Accept IPv6 as well as IPv4 addresses (`ZMQ_IPV6`).
  public func enableIPv6() throws(ZMQError) { try set(ZMQ_IPV6, 1) }

  /// A SUB socket receives every message (`ZMQ_SUBSCRIBE` to the empty prefix).
  public func subscribeToAll() throws(ZMQError) { try set(ZMQ_SUBSCRIBE, bytes: []) }
}

extension ZMQError {
  /// A bind found the address taken (`EADDRINUSE`).
  public var addressInUse: Bool { code == EADDRINUSE }
}
