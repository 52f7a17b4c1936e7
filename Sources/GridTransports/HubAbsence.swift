/// A hub's own absences. A hub that did not look at its peers for a while — stopped (SIGSTOP),
/// swapped out, its consumer held up — cannot tell who was silent meanwhile: what its peers sent
/// waits in the kernel, unread. So that time counts against no one: when the hub looks again
/// after more than `thresholdNanos`, every peer's silence starts over from then.
struct HubAbsence {
  /// Longer than any wait of the hub's own between two looks (a tick is 100 ms).
  static let thresholdNanos: UInt64 = 300_000_000
  private var lastLook: UInt64 = 0

  /// The hub looks at its peers' silence now; returns how long it was away, or 0 if it looked
  /// within `thresholdNanos`.
  mutating func look(now: UInt64) -> UInt64 {
    defer { lastLook = now }
    guard lastLook != 0, now &- lastLook > Self.thresholdNanos else { return 0 }
    return now &- lastLook
  }
}
