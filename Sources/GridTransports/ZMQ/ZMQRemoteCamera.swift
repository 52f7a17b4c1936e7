import GridCore
import GridPosix
import GridZMQ

/// A camera on another host (`gridstitch camera --connect …`): its side of the join.
public enum ZMQRemoteCamera {
  /// A routing id of its own: 'R' and 8 random bytes (the hub gives the tile, not the id).
  public static func routingID() -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return [0x52] + (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
  }

  /// Says hello and waits up to `waitNanos` for the hub's answer: the camera's orders, or its refusal
  /// as the error.
  public static func join(link: ZMQCameraLink, hello: ZMQWire.Hello, waitNanos: UInt64, hub: String) throws
    -> CameraOrders
  {
    try link.hello(hello)
    let deadline = MonotonicClock.nanos() &+ waitNanos
    while MonotonicClock.nanos() < deadline {
      if let signal = StopSignals.pending { throw GridError.interrupted(signal: signal) }
      guard let (kind, body) = try link.next(timeoutMillis: Int(WatchdogTick.millis)) else { continue }
      switch kind {
      case .welcome:
        return try body.withUnsafeBytes { (raw) throws(GridError) in try ZMQWire.orders(welcome: raw) }
      case .refuse:
        throw GridError.runtime(
          "the hub \(hub) refused this camera: \(String(decoding: body, as: UTF8.self))")
      case .hubHeartbeat: continue
      default:
        throw GridError.runtime("the hub \(hub) sent \(kind) before its welcome")
      }
    }
    throw GridError.runtime("the hub \(hub) did not answer within \(SecondsText.of(nanos: waitNanos)) s")
  }

  /// Answers the hub's pings until it says go: returns T0 in this camera's clock, and the
  /// publisher that sends the frames (as JPEG of `jpegQuality`, if given).
  public static func awaitStart(link: ZMQCameraLink, orders: CameraOrders, jpegQuality: Int? = nil) throws
    -> (
      start: UInt64, publisher: FramePublisher
    )
  {
    while true {
      if let signal = StopSignals.pending { throw GridError.interrupted(signal: signal) }
      guard let (kind, body) = try link.next(timeoutMillis: Int(WatchdogTick.millis)) else { continue }
      switch kind {
      case .ping: try link.pong(body)
      case .hubHeartbeat: continue
      case .go:
        let start = body.withUnsafeBytes { ZMQWire.uint64($0, at: 0) }
        return (start, try ZMQPublisher(link: link, shape: orders.shape, jpegQuality: jpegQuality))
      case .stop: throw GridError.runtime("the hub gave up before the start")
      default:
        throw GridError.runtime("the hub sent \(kind) before the start")
      }
    }
  }
}
