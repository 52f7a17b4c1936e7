import CShims
import Glibc

/// CLOCK_MONOTONIC time and the camera loads (sleep, spin) measured on it.
public enum MonotonicClock {
  /// Nanoseconds since boot. The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
  @inline(__always)
  public static func nanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
  }

  /// Sleeps `micros` µs, resuming after signals. The corresponding C function is `clock_nanosleep`.
  public static func sleep(micros: Int) {
    guard micros > 0 else { return }
    sleep(until: nanos() &+ UInt64(micros) &* 1000)
  }

  /// Sleeps until CLOCK_MONOTONIC reads `deadline` ns (at once if it already has), resuming after
  /// signals toward the same deadline, so an interrupted sleep does not end late or early.
  /// The corresponding C function is `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)`.
  public static func sleep(until deadline: UInt64) {
    var target = timespec(
      tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
  }

  /// Lets the kernel end this thread's timed sleeps at most `nanos` late (default 50 µs, within
  /// which it may fire each sleeper's timer at a different moment). A genlocked camera asks for
  /// 1 ns so every camera wakes on the trigger itself. Returns false if the kernel refused.
  /// The corresponding C function is `prctl(PR_SET_TIMERSLACK)`.
  @discardableResult
  public static func setTimerSlack(nanos: UInt) -> Bool { gs_set_timer_slack(nanos) == 0 }

  /// Busy-spins `micros` µs on the clock: pure CPU load.
  public static func spin(micros: Int) {
    let end = nanos() &+ UInt64(max(0, micros)) &* 1000
    while nanos() < end {}
  }
}
