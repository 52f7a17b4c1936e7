import CZMQ

/// A failed libzmq call: which call (and on what), and libzmq's errno with its message.
public struct ZMQError: Error, CustomStringConvertible, Equatable, Sendable {
  public let call: String
  public let code: Int32

  public init(_ call: String, code: Int32 = zmq_errno()) {
    self.call = call
    self.code = code
  }

  public var description: String { "\(call): \(String(cString: zmq_strerror(code)))" }

  /// The call would have blocked (`EAGAIN`): no message now, or no room to send one.
  public var wouldBlock: Bool { code == EAGAIN }
  /// A signal interrupted the call (`EINTR`): retry, after asking whether to stop.
  public var interrupted: Bool { code == EINTR }
  /// The context is being terminated (`ETERM`).
  public var terminated: Bool { code == ETERM }
  /// A ROUTER with `routerMandatory` was asked to send to a peer it does not know.
  public var unroutable: Bool { code == EHOSTUNREACH }
}

/// Calls `body` until it does not fail with EINTR; a failure is thrown as a `ZMQError` naming
/// `call`.
@inline(__always)
func check(_ call: @autoclosure () -> String, _ body: () -> Int32) throws(ZMQError) -> Int32 {
  while true {
    let result = body()
    if result >= 0 { return result }
    let code = zmq_errno()
    if code == EINTR { continue }
    throw ZMQError(call(), code: code)
  }
}
