import CZMQ

/// A ZAP handler (ZeroMQ RFC 27) for the sockets of one context that set `ZMQ_ZAP_DOMAIN`:
/// libzmq asks it, during each handshake, whether to admit the peer. It admits a CURVE client
/// only if its public key is in `allowed`; any other mechanism only if `allowNull`. Its REP
/// socket must be bound before the sockets it guards bind. The owner calls `serve(timeoutMillis:)`
/// from one thread (libzmq waits for the answer, so an unserved handler admits no one).
public final class ZMQAuthenticator {
  public static let endpoint = "inproc://zeromq.zap.01"

  private let socket: ZMQSocket
  private let allowed: Set<[UInt8]>
  private let allowNull: Bool
  /// Handshakes refused so far.
  public private(set) var refused = 0
  /// Handshakes admitted so far.
  public private(set) var admitted = 0
  /// The last refusal, for a line on stderr: the peer's address and why.
  public private(set) var lastRefusal: (address: String, reason: String)?

  public init(context: ZMQContext, allowed: Set<[UInt8]>, allowNull: Bool) throws(ZMQError) {
    socket = try ZMQSocket(context, .rep)
    try socket.bind(Self.endpoint)
    self.allowed = allowed
    self.allowNull = allowNull
  }

  /// Answers every request that arrives within `timeoutMillis`; returns after the first wait
  /// with nothing to do.
  public func serve(timeoutMillis: Int) throws(ZMQError) {
    guard try socket.waitReadable(timeoutMillis: timeoutMillis) else { return }
    while let (parts, overflowed) = try socket.receiveParts(maxParts: 8) {
      try answer(parts, overflowed: overflowed)
    }
  }

  private func answer(_ parts: [ZMQMessage], overflowed: Bool) throws(ZMQError) {
    func text(_ index: Int) -> String {
      index < parts.count ? parts[index].text : ""
    }
    let requestID = parts.count > 1 ? parts[1].array : []
    let address = text(3)
    let mechanism = text(5)
    var status = "400"
    var reason = "mechanism \(mechanism) is not accepted"
    var user = ""
    if overflowed || parts.count < 6 || text(0) != "1.0" {
      reason = "malformed ZAP request"
    } else if mechanism == "CURVE", parts.count == 7, parts[6].count == 32 {
      let key = parts[6].array
      if allowed.contains(key) {
        status = "200"
        user = ZMQCurveKeyPair.encode(key) ?? ""
      } else {
        reason = "CURVE key \(ZMQCurveKeyPair.encode(key) ?? "?") is not allowed"
      }
    } else if mechanism == "NULL", allowNull {
      status = "200"
    }
    if status == "200" {
      admitted += 1
    } else {
      refused += 1
      lastRefusal = (address, reason)
    }
    try socket.send(Array("1.0".utf8), more: true)
    try socket.send(requestID, more: true)
    try socket.send(Array(status.utf8), more: true)
    try socket.send(Array((status == "200" ? "OK" : reason).utf8), more: true)
    try socket.send(Array(user.utf8), more: true)
    try socket.send([], more: false)
  }
}
