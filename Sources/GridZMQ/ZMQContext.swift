import CZMQ

/// One libzmq context (its I/O threads). Sockets keep their context alive, so the context is
/// terminated only after its last socket is closed; every socket closes with linger 0, so
/// termination never waits on a peer. Not fork-safe: a process that forks creates its contexts
/// after forking (or the child creates its own).
public final class ZMQContext: @unchecked Sendable {
  let handle: UnsafeMutableRawPointer

  /// `zmq_ctx_new`, with `ioThreads` I/O threads.
  public init(ioThreads: Int32 = 1) throws(ZMQError) {
    guard let handle = zmq_ctx_new() else { throw ZMQError("zmq_ctx_new") }
    self.handle = handle
    _ = zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads)
    // Sockets are closed by their owners; a blocked call must never outlive one.
    _ = zmq_ctx_set(handle, ZMQ_BLOCKY, 0)
  }

  deinit {
    while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
  }

  /// Whether this libzmq was built with `capability` (`zmq_has`): "curve", "ipc", …
  public static func has(_ capability: String) -> Bool { zmq_has(capability) != 0 }

  /// libzmq's version, as "4.3.4".
  public static var version: String {
    var major: Int32 = 0
    var minor: Int32 = 0
    var patch: Int32 = 0
    zmq_version(&major, &minor, &patch)
    return "\(major).\(minor).\(patch)"
  }
}
