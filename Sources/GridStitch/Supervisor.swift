import GridCore
import GridPosix
import GridTransports

/// The consumer's view of its camera processes: it owns them (its `ProcessTable` kills and reaps
/// whatever is left in `deinit`), answers the transports' liveness questions while they wait, and names a dead
/// camera, its pid and how it died.
final class Supervisor: Watchdog {
  let children: ProcessTable
  /// Asks the consumer how many frames it has taken from a camera, for the loss message; the
  /// counts are the consumer's own (`GridConsumer.counts`), set up by the consumer.
  var framesTaken: (_ camera: Int) -> Int = { _ in 0 }
  /// Under `--on-camera-loss stop` any camera's death ends the run, even one not waited on.
  private let stopOnLoss: Bool
  /// Asked every tick of a wait, like the stop signals: throws what must end the run now
  /// (a failed snapshot write).
  var stopCheck: () throws -> Void = {}

  init(cameras: Int, stopOnLoss: Bool) {
    children = ProcessTable(count: cameras)
    self.stopOnLoss = stopOnLoss
  }

  func adopt(_ child: consuming ChildProcess, camera: Int) { children.adopt(child, at: camera) }

  var pids: [Int32] { children.pids }

  /// Throws on a stop signal; false once `camera` has ended (the transport then makes a last
  /// attempt). Asked every tick of a wait, it also sweeps the other cameras: under the stop
  /// policy a camera that died while we waited on another ends the run within that tick.
  func isAlive(camera: Int) throws -> Bool {
    if let signal = StopSignals.pending { throw GridError.interrupted(signal: signal) }
    try stopCheck()
    if stopOnLoss, let dead = casualties().first(where: { $0 != camera }) { throw lost(camera: dead) }
    guard children.pid(camera) != nil else { return true }
    return children.poll(camera) == nil
  }

  /// Cameras that died abnormally (a signal or a non-zero status), reaping them.
  func casualties() -> [Int] {
    (0..<children.count).filter { camera in
      guard let status = children.poll(camera) else { return false }
      return status != .exited(0)
    }
  }

  func lost(camera: Int) -> Error {
    guard let pid = children.pid(camera) else { return GridError.runtime("camera \(camera) stopped") }
    let status = children.wait(camera, timeoutNanos: 1_000_000_000)
    return GridError.cameraLost(
      camera: camera, pid: pid, how: status?.description ?? "stopped sending",
      frames: framesTaken(camera))
  }

  /// Stops every camera (SIGTERM, then SIGKILL) and reaps it.
  func stopAll() {
    for camera in 0..<children.count { children.terminate(camera) }
    for camera in 0..<children.count { children.stop(camera, graceNanos: 300_000_000) }
  }

  /// Waits for every camera to leave by itself after its last frame (bounded, and cut short by a
  /// stop signal), then stops the rest.
  func reapAll(timeoutNanos: UInt64) -> [(camera: Int, status: ExitStatus)] {
    let deadline = MonotonicClock.nanos() &+ timeoutNanos
    var result: [(Int, ExitStatus)] = []
    for camera in 0..<children.count where children.pid(camera) != nil {
      var status: ExitStatus?
      while status == nil, StopSignals.pending == nil {
        let now = MonotonicClock.nanos()
        if now >= deadline { break }
        status = children.wait(camera, timeoutNanos: min(deadline - now, UInt64(WatchdogTick.nanos)))
      }
      guard let ended = status ?? children.stop(camera, graceNanos: 100_000_000) else { continue }
      result.append((camera, ended))
    }
    return result
  }
}
