import CShims
import Glibc

/// A futex on a 32-bit word that may live in memory shared between processes.
public enum Futex {
  public enum WaitResult: Sendable { case woken, valueChanged, timedOut, interrupted }

  /// Sleeps while `*word == expected`, at most `timeoutNanos`. The corresponding C call is
  /// `syscall(SYS_futex, FUTEX_WAIT)` (not private: the word may be in a shared mapping).
  @inline(__always)
  public static func wait(_ word: UnsafeMutablePointer<UInt32>, expected: UInt32, timeoutNanos: Int64)
    -> WaitResult
  {
    switch gs_futex_wait(word, expected, timeoutNanos) {
    case 0: .woken
    case -EAGAIN: .valueChanged
    case -ETIMEDOUT: .timedOut
    default: .interrupted
    }
  }

  /// The spin-wait hint between polls of a shared word.
  @inline(__always)
  public static func relax() { gs_cpu_relax() }

  /// Wakes every waiter on `word`. The corresponding C call is `syscall(SYS_futex, FUTEX_WAKE)`.
  @inline(__always)
  public static func wakeAll(_ word: UnsafeMutablePointer<UInt32>) {
    _ = gs_futex_wake(word, Int32.max)
  }
}
