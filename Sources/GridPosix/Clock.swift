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
    var deadline = timespec()
    clock_gettime(CLOCK_MONOTONIC, &deadline)
    let total = Int(deadline.tv_nsec) + micros * 1000
    deadline.tv_sec += total / 1_000_000_000
    deadline.tv_nsec = total % 1_000_000_000
    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR {}
  }

  /// Busy-spins `micros` µs on the clock: pure CPU load.
  public static func spin(micros: Int) {
    let end = nanos() &+ UInt64(max(0, micros)) &* 1000
    while nanos() < end {}
  }
}
