import Glibc

/// A mutex with one condition variable, for the in-process hand-overs (camera threads, the
/// snapshot writer). Waits are bounded so the waiter can re-check stop signals.
public final class ConditionLock: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  public init() {
    pthread_mutex_init(mutex, nil)
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    pthread_cond_init(condition, &attributes)
    pthread_condattr_destroy(&attributes)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }

  public func withLock<R>(_ body: () throws -> R) rethrows -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }

  /// Inside `withLock`: waits for a broadcast at most `timeoutNanos`.
  /// The corresponding C function is `pthread_cond_timedwait` on CLOCK_MONOTONIC.
  public func wait(timeoutNanos: Int64) {
    var deadline = timespec()
    clock_gettime(CLOCK_MONOTONIC, &deadline)
    let total = Int64(deadline.tv_nsec) + timeoutNanos
    deadline.tv_sec += Int(total / 1_000_000_000)
    deadline.tv_nsec = Int(total % 1_000_000_000)
    pthread_cond_timedwait(condition, mutex, &deadline)
  }

  public func broadcast() { pthread_cond_broadcast(condition) }
}

/// A thread that runs one closure. The corresponding C function is `pthread_create`.
public final class Thread: @unchecked Sendable {
  private var handle = pthread_t()
  private let body: () -> Void

  public init(_ body: @escaping @Sendable () -> Void) throws(SyscallError) {
    self.body = body
    let context = Unmanaged.passRetained(self).toOpaque()
    let result = pthread_create(
      &handle, nil,
      { raw in
        let thread = Unmanaged<Thread>.fromOpaque(raw!).takeRetainedValue()
        thread.body()
        return nil
      }, context)
    if result != 0 {
      Unmanaged<Thread>.fromOpaque(context).release()
      throw SyscallError("pthread_create", .init(rawValue: result))
    }
  }

  /// The corresponding C function is `pthread_join`.
  public func join() { pthread_join(handle, nil) }

  /// Lets the thread end on its own, unjoined (one stuck in a slow syscall the caller will not
  /// wait for). The corresponding C function is `pthread_detach`.
  public func detach() { pthread_detach(handle) }
}
