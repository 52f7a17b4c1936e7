import GridCore
import GridPosix
import GridTransports

/// The consumer's view of its camera processes: it owns them (each `ChildProcess` kills and reaps
/// in `deinit`), answers the transports' liveness questions while they wait, and names a dead
/// camera, its pid and how it died.
final class Supervisor: Watchdog {
  private(set) var children: [ChildProcess?]
  /// Frames the consumer has taken from each camera, for the loss message.
  var framesTaken: [Int]
  /// Under `--on-camera-loss stop` any camera's death ends the run, even one not waited on.
  private let stopOnLoss: Bool
  /// Asked every tick of a wait, like the stop signals: throws what must end the run now
  /// (a failed snapshot write).
  var stopCheck: () throws -> Void = {}

  init(cameras: Int, stopOnLoss: Bool) {
    children = Array(repeating: nil, count: cameras)
    framesTaken = Array(repeating: 0, count: cameras)
    self.stopOnLoss = stopOnLoss
  }

  func adopt(_ child: ChildProcess, camera: Int) { children[camera] = child }

  var pids: [Int32] { children.compactMap { $0?.pid } }

  /// Throws on a stop signal; false once `camera` has ended (the transport then makes a last
  /// attempt). Asked every tick of a wait, it also sweeps the other cameras: under the stop
  /// policy a camera that died while we waited on another ends the run within that tick.
  func isAlive(camera: Int) throws -> Bool {
    if let signal = StopSignals.pending { throw GridError.interrupted(signal: signal) }
    try stopCheck()
    if stopOnLoss, let dead = casualties().first(where: { $0 != camera }) { throw lost(camera: dead) }
    guard let child = children[camera] else { return true }
    return child.poll() == nil
  }

  /// Cameras that died abnormally (a signal or a non-zero status), reaping them.
  func casualties() -> [Int] {
    children.indices.filter { camera in
      guard let status = children[camera]?.poll() else { return false }
      return status != .exited(0)
    }
  }

  func lost(camera: Int) -> Error {
    guard let child = children[camera] else { return GridError.runtime("camera \(camera) stopped") }
    let status = child.wait(timeoutNanos: 1_000_000_000)
    return GridError.cameraLost(
      camera: camera, pid: child.pid, how: status?.description ?? "stopped sending",
      frames: framesTaken[camera])
  }

  /// Stops every camera (SIGTERM, then SIGKILL) and reaps it.
  func stopAll() {
    for child in children { child?.terminate() }
    for child in children { child?.stop(graceNanos: 300_000_000) }
  }

  /// Waits for every camera to leave by itself after its last frame (bounded), then stops the rest.
  func reapAll(timeoutNanos: UInt64) -> [(camera: Int, status: ExitStatus)] {
    let deadline = MonotonicClock.nanos() &+ timeoutNanos
    var result: [(Int, ExitStatus)] = []
    for (camera, child) in children.enumerated() {
      guard let child else { continue }
      let now = MonotonicClock.nanos()
      let status =
        child.wait(timeoutNanos: deadline > now ? deadline - now : 0) ?? child.stop(graceNanos: 100_000_000)
      result.append((camera, status))
    }
    return result
  }
}
