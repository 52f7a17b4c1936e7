import Testing

@testable import GridView

/// Picture answers are spaced a period apart whoever asks, and a request that would wait too long
/// is turned away at once.
@Suite struct AnswerPacerTests {
  @Test func turnsAreAPeriodApartAndTheQueueIsBounded() {
    var slots = PaceSlots(periodNanos: 100, longestWaitNanos: 350)
    // Six requests at the same moment: four fit within the longest wait, in turn.
    let turns = (0..<6).map { _ in slots.claim(now: 1_000) }
    #expect(turns == [1_000, 1_100, 1_200, 1_300, nil, nil])
    // Later, once the queue has drained, a request is answered at once again.
    #expect(slots.claim(now: 5_000) == 5_000)
    #expect(slots.claim(now: 5_050) == 5_100)
  }

  @Test(.timeLimit(.minutes(1)))
  func thePacerWaitsItsTurns() async {
    let pacer = AnswerPacer(perSecond: 50, longestWaitNanos: 1_000_000_000)
    let answered = await withTaskGroup(of: Bool.self) { group in
      for _ in 0..<5 { group.addTask { await pacer.turn() } }
      return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
    }
    #expect(answered == 5)
  }
}
