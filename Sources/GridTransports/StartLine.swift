import GridPosix

/// The start line of in-process cameras (`threads`, `serial`): they wait here until the consumer
/// releases them with T0, the CLOCK_MONOTONIC time `genlock` counts triggers from. Camera
/// processes get the same T0 through the start barrier's `go` pipe.
public final class StartLine: @unchecked Sendable {
  private let lock = ConditionLock()
  private var start: UInt64?
  private var cancelled = false

  public init() {}

  /// Lets every camera go, with T0 = `start`.
  public func release(start: UInt64) {
    lock.withLock {
      self.start = start
      lock.broadcast()
    }
  }

  /// Lets every waiting camera go without a start: the run ends before it began.
  public func cancel() {
    lock.withLock {
      cancelled = true
      lock.broadcast()
    }
  }

  /// T0 once released; nil if cancelled first.
  public func wait() -> UInt64? {
    lock.withLock {
      while start == nil && !cancelled { lock.wait(timeoutNanos: WatchdogTick.nanos) }
      return cancelled ? nil : start
    }
  }
}
