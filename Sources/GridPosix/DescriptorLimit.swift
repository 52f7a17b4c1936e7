import Glibc

/// The open-file limit (RLIMIT_NOFILE): how many descriptors this process may hold, numbers
/// 0 ..< soft limit.
public enum DescriptorLimit {
  /// The soft and hard limits. The corresponding C function is `getrlimit(RLIMIT_NOFILE)`.
  public static func current() -> (soft: Int, hard: Int) {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (Int.max, Int.max) }
    // RLIM_INFINITY is all ones, past Int.max like any limit too large to matter.
    func value(_ raw: rlim_t) -> Int { raw > rlim_t(Int.max) ? Int.max : Int(raw) }
    return (value(limit.rlim_cur), value(limit.rlim_max))
  }

  /// Makes room for descriptors numbered below `count`: raises the soft limit up to the hard one
  /// if it must. True if the limit is now at least `count`.
  /// The corresponding C function is `setrlimit(RLIMIT_NOFILE)`.
  /// Raises the soft limit to the hard one, so a flood of connections to a listener meets the
  /// hard limit, not the soft one the run sized for itself; returns the soft limit now.
  /// The corresponding C function is `setrlimit(RLIMIT_NOFILE)`.
  @discardableResult public static func raiseToHard() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return current().soft }
    if limit.rlim_cur < limit.rlim_max {
      limit.rlim_cur = limit.rlim_max
      _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return current().soft
  }

  public static func ensure(_ count: Int) -> Bool {
    let (soft, hard) = current()
    if soft >= count { return true }
    guard hard >= count else { return false }
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return false }
    limit.rlim_cur = rlim_t(count)
    return setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0
  }
}
