import Testing

@testable import GridTransports

/// A hub says at most one line a second about any one peer and at most two a second in all.
@Suite struct ComplaintLimiterTests {
  typealias Held = ComplaintLimiter.Held

  @Test func atMostOneLineASecondPerPeer() {
    var limiter = ComplaintLimiter()
    #expect(limiter.mayComplain(about: "a", now: 1_000) == Held())
    #expect(limiter.mayComplain(about: "a", now: 2_000) == nil)
    #expect(limiter.mayComplain(about: "a", now: 3_000) == nil)
    #expect(limiter.mayComplain(about: "b", now: 3_000) == Held(fromIt: 0, inAll: 2))
    #expect(limiter.mayComplain(about: "a", now: 1_000_001_000) == Held(fromIt: 2, inAll: 0))
    #expect(limiter.mayComplain(about: "a", now: 1_000_002_000) == nil)
    #expect(Held(fromIt: 2, inAll: 5).note == " (2 more from it; 5 lines held back since the last)")
    #expect(Held().note == "")
  }

  /// A new name (or connection) per message is no way round it: two lines a second in all.
  @Test func aFloodOfNewPeersGetsTwoLinesASecond() {
    var limiter = ComplaintLimiter()
    var said = 0
    for second in 0..<10 {
      for index in 0..<10_000 {
        let now = UInt64(second) * 1_000_000_000 + UInt64(index) * 10_000
        if limiter.mayComplain(about: "flood-\(second)-\(index)", now: now) != nil { said += 1 }
      }
    }
    #expect(said == 20)
    #expect(limiter.count <= ComplaintLimiter.capacity)
    // The next line says how many were held back since the last one (the last second's 9,998).
    #expect(limiter.mayComplain(about: "late", now: 20_000_000_000)?.inAll == 9_998)
  }
}
