import Synchronization
import Testing

@testable import GridTransports

/// The peer table every hub keeps, driven without sockets: joining and refusals, credit and its
/// batching, silence, suspicion and loss, a lost peer returning, frames lost in transit, and what
/// is said about peers.
@Suite struct HubPeersTests {
  final class Lines: Sendable {
    let said = Mutex<[String]>([])
    var all: [String] { said.withLock { $0 } }
    func log(_ line: String) { said.withLock { $0.append(line) } }
  }

  static let second: UInt64 = 1_000_000_000

  func table(tiles: Int = 3, slots: Int = 4, lines: Lines = Lines()) -> HubPeers {
    HubPeers(tiles: tiles, slots: slots, ledger: nil, voice: "gridstitch: ", log: lines.log)
  }

  @Test func joinersGetATileOrAReason() {
    var peers = table()
    #expect(peers.tile(for: nil) == .success(0))
    #expect(peers.tile(for: 2) == .success(2))
    #expect(peers.tile(for: 3) == .failure(.init("--camera 3 is out of range: this hub has cameras 0 to 2")))
    #expect(
      peers.tile(for: -1) == .failure(.init("--camera -1 is out of range: this hub has cameras 0 to 2")))
    peers.claim(
      2, name: "tcp://10.0.0.2:5000", peer: "10.0.0.2:5000", descriptor: 9, inFlight: 0, joining: true, now: 1
    )
    #expect(peers.tile(for: 2) == .failure(.init("camera 2 has joined already, from tcp://10.0.0.2:5000")))
    #expect(peers[2].state == .joining && peers.claimedCount == 1 && peers.joinedCount == 0)
    peers.joined(2)
    #expect(peers[2].state == .live && peers.joinedCount == 1)
    peers.claim(0, name: "a", peer: "", descriptor: nil, inFlight: 0, now: 1)
    peers.claim(1, name: "b", peer: "", descriptor: nil, inFlight: 0, now: 1)
    #expect(peers.tile(for: nil) == .failure(.init("the hub has its 3 cameras")))
    // A tile given up before the start is free again, named as before it was claimed.
    peers.free(1)
    #expect(peers[1].state == .free && peers[1].name == "camera 1" && peers.tile(for: nil) == .success(1))
  }

  @Test func creditIsSpentAndComesBackInBatches() {
    var peers = table(slots: 4)
    peers.claim(0, name: "camera 0", peer: "", descriptor: nil, inFlight: 0, now: 1)
    peers.grant(0, 4)
    for _ in 0..<4 { #expect(peers.spendCredit(0) == nil) }
    do {
      let got = peers.spendCredit(0)
      #expect(got == "a frame sent without credit")
    }
    #expect(peers[0].received == 4 && peers[0].frames == 4)
    // Half the slots at a time while frames are queued; at once when the queue is empty.
    do {
      let got = peers.taken(0, 1, queueEmpty: false)
      #expect(got == nil)
    }
    do {
      let got = peers.taken(0, 1, queueEmpty: false)
      #expect(got == 2)
    }
    do {
      let got = peers.taken(0, 1, queueEmpty: true)
      #expect(got == 1)
    }
    do {
      let got = peers.owedCredit(0)
      #expect(got == nil)
    }
    do {
      let got = peers.taken(0, 1, queueEmpty: false)
      #expect(got == nil)
    }
    do {
      let got = peers.owedCredit(0)
      #expect(got == 1)
    }
  }

  @Test func aBeatCountingMoreFramesThanArrivedMeansFramesLostInTransit() {
    var peers = table()
    peers.claim(0, name: "camera 0", peer: "", descriptor: nil, inFlight: 0, now: 1)
    peers.grant(0, 4)
    _ = peers.spendCredit(0)
    _ = peers.spendCredit(0)
    #expect(peers.lostInTransit(0, sent: 2) == nil)
    #expect(
      peers.lostInTransit(0, sent: 5) == "3 frames lost in transit (its connection broke and was re-made)")
  }

  @Test func silenceThenSuspicionThenLossThenReturn() {
    var peers = table()
    let start = 10 * Self.second
    peers.claim(0, name: "camera 0", peer: "", descriptor: 7, inFlight: 0, now: start)
    peers.claim(1, name: "camera 1", peer: "", descriptor: 8, inFlight: 0, now: start)
    let timeout = Self.second / 2
    // Heard within the timeout: alive.
    peers.heard(0, now: start + 400_000_000)
    do {
      let got = peers.silence(of: 0, now: start + 800_000_000, timeout: timeout, silent: "silent")
      #expect(got == nil)
    }
    // Silent past it: gone, in the words given.
    do {
      let got = peers.silence(of: 1, now: start + 600_000_000, timeout: timeout, silent: "silent")
      #expect(got == "silent")
    }
    // A closed connection makes a suspect, lost after 200 ms of silence, not the full timeout.
    peers.connectionClosed(7)
    #expect(peers[0].state == .suspect && peers[1].state == .live)
    do {
      let got = peers.silence(of: 0, now: start + 550_000_000, timeout: timeout, silent: "silent")
      #expect(got == nil)
    }
    #expect(
      peers.silence(of: 0, now: start + 650_000_000, timeout: timeout, silent: "silent")
        == "its connection closed")
    peers.lose(0)
    #expect(peers[0].state == .lost && peers[0].losses == 1 && !peers.isHeld(0))
    // Heard again: returned, until the consumer takes it back once.
    do {
      let got = peers.heardAgain(0, from: "10.0.0.9:1")
      #expect(got)
    }
    do {
      let got = peers.heardAgain(0, from: "10.0.0.9:1")
      #expect(!got)
    }
    #expect(peers[0].state == .returned && peers[0].returns == 1 && peers[0].peer == "10.0.0.9:1")
    do {
      let got = peers.takeReturn(0)
      #expect(got)
    }
    do {
      let got = peers.takeReturn(0)
      #expect(!got)
    }
    #expect(peers[0].state == .live && peers.isHeld(0))
  }

  @Test func theHubsOwnAbsenceIsChargedToNoPeer() {
    var peers = table()
    let start = 10 * Self.second
    peers.claim(0, name: "camera 0", peer: "", descriptor: nil, inFlight: 0, now: start)
    do {
      let got = peers.forgiveAbsence(now: start + 100_000_000)
      #expect(!got)
    }
    // The hub did not look for 2 s: the peer's silence starts over now.
    do {
      let got = peers.forgiveAbsence(now: start + 2 * Self.second)
      #expect(got)
    }
    #expect(peers.quiet(0, now: start + 2 * Self.second) == 0)
    #expect(
      peers.silence(of: 0, now: start + 2 * Self.second + 100_000_000, timeout: Self.second / 2, silent: "s")
        == nil)
  }

  @Test func rejectionsAreCountedAndSaidWithinLimits() {
    let lines = Lines()
    var peers = table(lines: lines)
    peers.claim(0, name: "front", peer: "", descriptor: nil, inFlight: 0, now: 1)
    let now = 10 * Self.second
    for _ in 0..<5 {
      peers.reject(tile: 0, key: "10.0.0.1", now: now) { "dropped a message (\($0) so far)" }
    }
    // Counted every time, said once a second about one peer.
    #expect(peers.rejected == 5 && peers[0].rejected == 5)
    #expect(lines.all == ["gridstitch: dropped a message (1 so far)"])
    peers.reject(key: "10.0.0.1", now: now + Self.second) { "dropped a message (\($0) so far)" }
    #expect(
      lines.all.last
        == "gridstitch: dropped a message (6 so far) (4 more from it; 4 lines held back since the last)")
    let roster = peers.roster(endpoints: ["tcp://*:5555"], ignored: [], ignoredCount: 0)
    #expect(roster.cameras.map(\.name) == ["front"] && roster.cameras[0].rejected == 5)
  }
}
