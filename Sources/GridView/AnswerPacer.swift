import GridPosix

/// Spaces the answers of a route whose answer is a whole picture: at most `perSecond` a second
/// in all, however many clients ask and however fast they loop. A request waits (asleep, costing
/// nothing) for its turn; one that would wait longer than `longestWait` is told to come back.
/// Six clients looping on `/snapshot.png` of a 59 MB grid were sent the same 1 MB picture 2,360
/// times in 5 s, and the copies through the kernel slowed the pipeline by a fifth.
actor AnswerPacer {
  private var slots: PaceSlots

  init(perSecond: Int, longestWaitNanos: UInt64 = 2_000_000_000) {
    slots = PaceSlots(
      periodNanos: 1_000_000_000 / UInt64(max(1, perSecond)), longestWaitNanos: longestWaitNanos)
  }

  /// Waits for this request's turn; false (at once) when the queue is too long.
  func turn() async -> Bool {
    let now = MonotonicClock.nanos()
    guard let slot = slots.claim(now: now) else { return false }
    if slot > now { try? await Task.sleep(nanoseconds: slot - now) }
    return true
  }
}

/// The turns: each claim gets the first free moment at least a period after the one before.
struct PaceSlots {
  let periodNanos: UInt64
  let longestWaitNanos: UInt64
  private var nextFree: UInt64 = 0

  init(periodNanos: UInt64, longestWaitNanos: UInt64) {
    self.periodNanos = periodNanos
    self.longestWaitNanos = longestWaitNanos
  }

  /// The moment the request made at `now` may be answered, or nil if that is too far off.
  mutating func claim(now: UInt64) -> UInt64? {
    let slot = max(now, nextFree)
    guard slot - now <= longestWaitNanos else { return nil }
    nextFree = slot + periodNanos
    return slot
  }
}
