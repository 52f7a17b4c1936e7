import GridCore
import GridPosix
import GridTransports

/// How many descriptors a run needs, checked against the open-file limit before anything is
/// created or forked, so a low `ulimit -n` is one clear line instead of a failed `fcntl` halfway
/// through set-up.
enum DescriptorBudget {
  /// Descriptors beyond the transport's: stdio, the start line's two pipes, the scene, a
  /// snapshot and its folder, /proc reads, with room to spare.
  static let overhead = 24

  /// What a run of `config` needs the limit to be. Process transports keep every descriptor they
  /// make at `FileDescriptors.floor` or above (spawned cameras get theirs as 3, 4, …), so their
  /// need starts there.
  static func needed(for config: RunConfiguration) -> Int {
    let perCamera: Int
    switch config.transport {
    case .serial, .threads: return overhead
    // libzmq's context, its I/O thread and sockets (about 10), and a connection per sender.
    case .imagezmq: return overhead + 16 + 2 * config.cameras
    case .pipe: perCamera = 2  // a pipe per camera, both ends until the cameras have started
    case .shmPipe: perCamera = 2  // a header pipe per camera
    case .shmMqueue: perCamera = 1  // a message queue per camera
    case .shmRing: perCamera = 0  // one memfd for every camera
    case .zmq: perCamera = 1  // a connection per camera, plus libzmq's own (counted below)
    }
    // The memfd (pipe: none, counted anyway); libzmq's context, sockets, monitor and mailboxes.
    let shared = config.transport == .zmq ? 24 : 1
    return Int(FileDescriptors.floor) + perCamera * config.cameras + shared + overhead
  }

  /// Raises the soft limit if the hard one allows; else the one-line error naming both numbers.
  static func ensure(for config: RunConfiguration) throws(GridError) {
    let needed = needed(for: config)
    guard !DescriptorLimit.ensure(needed) else {
      // What the run needs fits; the rest of the hard limit is room for peers' connections.
      DescriptorLimit.raiseToHard()
      return
    }
    let limit = DescriptorLimit.current()
    throw .runtime(
      "the open-file limit is too low: this run needs \(needed) descriptors (\(config.cameras) cameras, "
        + "--transport \(config.transport.rawValue)), the limit (ulimit -n) is \(limit.soft)"
        + (limit.hard > limit.soft ? "" : " and cannot be raised")
        + ": raise it to \(needed) or more, or use fewer --cameras")
  }
}
