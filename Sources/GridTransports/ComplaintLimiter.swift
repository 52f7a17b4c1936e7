/// How often a hub may complain about its peers on stderr: at most one line a second about any
/// one peer, and at most two lines a second in all, however many peers (or names, or
/// connections) a flood uses. The first problem is said at once; the rest are counted and
/// mentioned with the next line that is said.
struct ComplaintLimiter {
  /// What was held back: about this peer since its last line, and in all since the hub's last.
  struct Held: Equatable {
    var fromIt = 0
    var inAll = 0

    /// The words that follow a line, if anything was held back.
    var note: String {
      var parts: [String] = []
      if fromIt > 0 { parts.append("\(fromIt) more from it") }
      if inAll > 0 { parts.append("\(inAll) lines held back since the last") }
      return parts.isEmpty ? "" : " (" + parts.joined(separator: "; ") + ")"
    }
  }

  private var last: [String: (at: UInt64, suppressed: Int)] = [:]
  private var windowStart: UInt64 = 0
  private var linesInWindow = 0
  private var heldInAll = 0
  /// Peers remembered at most; a flood of new connections forgets the old ones.
  static let capacity = 1024
  static let interval: UInt64 = 1_000_000_000
  /// Lines a second from one hub, whatever the peers.
  static let linesPerInterval = 2

  /// Peers remembered now.
  var count: Int { last.count }

  /// nil if the line about `key` is held back (it is counted); else what was held back before it.
  mutating func mayComplain(about key: String, now: UInt64) -> Held? {
    if let previous = last[key], now &- previous.at < Self.interval {
      last[key] = (previous.at, previous.suppressed + 1)
      heldInAll += 1
      return nil
    }
    if now &- windowStart >= Self.interval {
      windowStart = now
      linesInWindow = 0
    }
    guard linesInWindow < Self.linesPerInterval else {
      heldInAll += 1
      return nil
    }
    linesInWindow += 1
    if last.count >= Self.capacity {
      last = last.filter { now &- $0.value.at < Self.interval }
      if last.count >= Self.capacity { last.removeAll() }
    }
    let fromIt = last[key]?.suppressed ?? 0
    let held = Held(fromIt: fromIt, inAll: heldInAll)
    heldInAll = 0
    last[key] = (now, 0)
    return held
  }
}
