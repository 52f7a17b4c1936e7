import CShims
import Glibc

/// A POSIX semaphore placed in shared memory (`sem_init(…, pshared: 1, …)`), so it hands a slot
/// between processes. It does not own its memory: the mapping does.
public struct ProcessSharedSemaphore: @unchecked Sendable {
  /// Into the mapping that holds the semaphore, whose owner outlives this view.
  private let pointer: UnsafeMutablePointer<sem_t>

  public static var size: Int { MemoryLayout<sem_t>.stride }

  /// The corresponding C function is `sem_init` with pshared 1.
  public static func initialize(at address: UnsafeMutableRawPointer, value: UInt32) throws(SyscallError)
    -> ProcessSharedSemaphore
  {
    let pointer = address.bindMemory(to: sem_t.self, capacity: 1)
    _ = try check("sem_init", sem_init(pointer, 1, value))
    return ProcessSharedSemaphore(pointer: pointer)
  }

  public static func attach(at address: UnsafeMutableRawPointer) -> ProcessSharedSemaphore {
    ProcessSharedSemaphore(pointer: address.assumingMemoryBound(to: sem_t.self))
  }

  /// Waits at most `timeoutNanos`; false on timeout or a signal so the caller can re-check the world.
  /// The corresponding C function is `sem_clockwait(CLOCK_MONOTONIC)`.
  public func wait(timeoutNanos: Int64) throws(SyscallError) -> Bool {
    if gs_sem_wait(pointer, timeoutNanos) == 0 { return true }
    let code = Glibc.errno
    if code == ETIMEDOUT || code == EINTR { return false }
    throw SyscallError("sem_clockwait")
  }

  /// Whether a `wait` would succeed now; reads the shared counter, no syscall.
  /// The corresponding C function is `sem_getvalue`.
  public var isPositive: Bool {
    var value: CInt = 0
    return sem_getvalue(pointer, &value) == 0 && value > 0
  }

  /// The corresponding C function is `sem_post`.
  public func post() throws(SyscallError) {
    _ = try check("sem_post", sem_post(pointer))
  }
}
