import GridCore
import GridPosix

/// The camera side of a transport: it lends a buffer, the camera fills pixels and header.
public protocol FramePublisher: AnyObject {
  /// Lends a frame buffer (exactly `bytesPerFrame` bytes) until `fill` returns, then delivers it.
  func publish(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws
  /// After the last frame: returns once the frames sent are safely with the consumer.
  func finishPublishing() throws
  /// Called at least every 50 ms while the camera waits out a long load, for a transport that
  /// must beat or listen while the camera is idle; most do nothing.
  func keepAlive() throws
  /// Whether `keepAlive` does anything (so a camera splits its long waits only when it must).
  var needsKeepAlive: Bool { get }
}

extension FramePublisher {
  public func finishPublishing() throws {}
  public func keepAlive() throws {}
  public var needsKeepAlive: Bool { false }
}

/// The consumer side: it lends the next frame of one camera until `body` returns.
public protocol FrameReceiver: AnyObject {
  func withNextFrame<R>(from camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R) throws
    -> R
  /// Whether `withNextFrame(from: camera)` would return without waiting — a cheap probe, no
  /// syscall — so the consumer can stitch whichever cameras are ready first. A transport that
  /// cannot tell cheaply answers true, and the consumer then takes cameras in order.
  func hasFrame(from camera: Int) -> Bool
  /// Wake-up syscalls made on the consumer's behalf (futex wakes), for `--json`'s `wakeups`.
  var wakeups: Int { get }
  /// Frames the transport skipped under the `latest` policy.
  var droppedFrames: Int { get }
  /// The last grid is stitched: tell cameras that run until told (the `latest` policy) to stop.
  func finish()
}

extension FrameReceiver {
  public func hasFrame(from camera: Int) -> Bool { true }
  public var wakeups: Int { 0 }
  public var droppedFrames: Int { 0 }
  public func finish() {}
}

/// A receiver that listens for peers it did not start (the zmq and imagezmq hubs): strangers
/// can reach it, and cameras can leave and come back.
public protocol HubReceiver: FrameReceiver {
  /// Messages dropped as malformed without ending the run (`rejected_messages`).
  var rejectedMessages: Int { get }
  /// Whether `camera`, which the consumer lost, sends again (an imagezmq sender restarted under
  /// its name): true once per return, and the consumer then stitches it again.
  func hasReturned(camera: Int) -> Bool
  /// Every camera is lost: waits until one sends again and returns true, or returns false at
  /// once if this hub's cameras never come back (then the run ends).
  func awaitReturn() throws -> Bool
  /// Who joined, was lost, came back; nil if the hub keeps no roster.
  var roster: HubRoster? { get }
  /// Lets the cameras that joined go, at T0 (`start`, the consumer's clock); a hub whose peers
  /// start by themselves does nothing.
  func release(start: UInt64)
  /// How far apart the hub's and its cameras' clocks may be, at worst (0: one clock).
  var clockUncertaintyNanos: UInt64 { get }
}

extension HubReceiver {
  public func hasReturned(camera: Int) -> Bool { false }
  public func awaitReturn() throws -> Bool { false }
  public var roster: HubRoster? { nil }
  public func release(start: UInt64) {}
  public var clockUncertaintyNanos: UInt64 { 0 }
}

/// What a camera's publisher throws when the consumer tells it to stop (the `latest` policy's
/// end, or a hub's stop): the camera ends without an error, whatever its transport.
public struct TransportStopped: Error {
  public init() {}
}

/// What a consumer-side wait asks while it waits: is the camera still there, has the user asked
/// us to stop? Called at least every `Watchdog.tick` of waiting.
public protocol Watchdog: AnyObject {
  /// Throws if a stop signal arrived. Returns false once `camera` has ended; the caller then makes
  /// one last non-blocking attempt and otherwise throws `lost(camera:)`.
  func isAlive(camera: Int) throws -> Bool
  /// The error for a camera that ended before its frames did.
  func lost(camera: Int) -> Error
}

public enum WatchdogTick {
  /// How long one bounded wait lasts before liveness is re-checked.
  public static let nanos: Int64 = 100_000_000
  public static let millis: Int32 = 100
}

/// A watchdog for in-process transports: nothing can die, only stop signals matter.
public final class StopSignalWatchdog: Watchdog {
  public init() {}
  public func isAlive(camera: Int) throws -> Bool {
    if let signal = StopSignals.pending { throw GridError.interrupted(signal: signal) }
    return true
  }
  public func lost(camera: Int) -> Error { GridError.runtime("camera \(camera) stopped") }
}
