/// The errors a user sees, each with the exit code DESIGN.md gives it: usage 2, runtime 1,
/// verification 3, signals 128 + signal.
public enum GridError: Error, CustomStringConvertible, Equatable, Sendable {
  /// A flag or value out of range; the message names the value and what is accepted.
  case usage(String)
  /// Something failed at run time (a file, a syscall, a peer).
  case runtime(String)
  /// A frame that is not the one expected: torn, duplicated, reordered or foreign.
  case verification(camera: Int, sequence: UInt64, reason: String)
  /// A camera process that ended before its last frame.
  case cameraLost(camera: Int, pid: Int32, how: String, frames: Int)
  /// A camera that is not our child (on another host, or an imagezmq sender) went silent or
  /// away; `peer` is its address, `reason` what was seen.
  case remoteCameraLost(camera: Int, peer: String, reason: String)
  /// A peer sent something malformed; rejected before any allocation. Exits 3, as a foreign
  /// frame does: what arrived is not what the camera must send.
  case protocolViolation(camera: Int, reason: String)
  /// The run was stopped by a signal (SIGINT, SIGTERM, SIGHUP).
  case interrupted(signal: Int32)

  public var exitCode: Int32 {
    switch self {
    case .usage: 2
    case .runtime, .cameraLost, .remoteCameraLost: 1
    case .verification, .protocolViolation: 3
    case .interrupted(let signal): 128 + signal
    }
  }

  public var description: String {
    switch self {
    case .usage(let message), .runtime(let message): message
    case .verification(let camera, let sequence, let reason):
      "verification failed: camera \(camera) frame \(sequence): \(reason)"
    case .cameraLost(let camera, let pid, let how, let frames):
      "camera \(camera) (pid \(pid)) died: \(how) after \(frames) frames"
    case .remoteCameraLost(let camera, let peer, let reason):
      "camera \(camera) (\(peer)) lost: \(reason)"
    case .protocolViolation(let camera, let reason):
      "camera \(camera) sent a malformed frame: \(reason)"
    case .interrupted(let signal):
      "interrupted by signal \(signal)"
    }
  }
}
