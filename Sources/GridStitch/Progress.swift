import GridPosix

/// A one-line progress bar on stderr: grids done, grids/s, ETA. Drawn at most ten times a second,
/// and only when stderr is a terminal.
struct ProgressBar {
  private let total: Int
  private let enabled: Bool
  private let start: UInt64
  private var lastDraw: UInt64 = 0

  init(total: Int, enabled: Bool) {
    self.total = total
    self.enabled = enabled && FileDescriptors.isTerminal(.standardError)
    self.start = MonotonicClock.nanos()
  }

  mutating func update(done: Int) {
    guard enabled else { return }
    let now = MonotonicClock.nanos()
    guard now - lastDraw >= 100_000_000 || done == total else { return }
    lastDraw = now
    let elapsed = Double(now - start) / 1e9
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    let eta = rate > 0 ? Double(total - done) / rate : 0
    let width = 30
    let filled = total > 0 ? width * done / total : width
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    Console.raw(
      "\r[\(bar)] \(done)/\(total) grids  \(Int(rate.rounded())) grids/s  ETA \(Int(eta.rounded())) s \u{1B}[K",
      to: .standardError)
  }

  func finish() {
    guard enabled else { return }
    Console.raw("\r\u{1B}[K", to: .standardError)
  }
}
