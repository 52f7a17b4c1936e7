import Glibc
import GridPosix
import Testing

@testable import GridTransports

/// The ledger's rules on real loopback tcp connections, without libzmq: what the kernel received
/// against what was read as whole messages.
@Suite(.serialized) struct ConnectionLedgerTests {
  /// A connected pair on loopback: (the hub's end, the peer's end).
  static func connection() throws -> (hub: Int32, peer: Int32) {
    let bound = try LoopbackSocket.bound()
    let listener = bound.descriptor
    defer { close(listener) }
    try #require(listen(listener, 1) == 0)
    var address = bound.address
    let length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let peer = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(peer, $0, length) == 0 }
    }
    try #require(connected)
    let hub = accept(listener, nil, nil)
    try #require(hub >= 0)
    return (hub, peer)
  }

  /// Sends `count` bytes from the peer, and reads them at the hub's end as libzmq would (into
  /// nothing), so the kernel's count is not held back by a full receive buffer.
  static func send(_ count: Int, from peer: Int32, to hub: Int32) throws {
    let before = FileDescriptors.tcpBytesReceived(hub) ?? 0
    var chunk = [UInt8](repeating: 1, count: 16_384)
    var sent = 0
    var rounds = 0
    while (sent < count || FileDescriptors.tcpBytesReceived(hub) ?? 0 < before + UInt64(count))
      && rounds < 100_000
    {
      rounds += 1
      if sent < count {
        let piece = min(chunk.count, count - sent)
        let wrote = chunk.withUnsafeBytes { Glibc.send(peer, $0.baseAddress, piece, Int32(MSG_DONTWAIT)) }
        if wrote > 0 { sent += wrote }
      }
      _ = chunk.withUnsafeMutableBytes { recv(hub, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
    }
    try #require(sent == count)
  }

  /// Whether the peer sees its connection end (the hub's end was shut down).
  static func isCut(_ peer: Int32) -> Bool {
    var byte: UInt8 = 0
    var poll = pollfd(fd: peer, events: Int16(POLLIN), revents: 0)
    guard Glibc.poll(&poll, 1, 1000) == 1 else { return false }
    return recv(peer, &byte, 1, 0) == 0
  }

  @Test(.timeLimit(.minutes(1)))
  func unreadPastTheAllowanceIsCutAndReadBytesAreNot() throws {
    let (hub, peer) = try Self.connection()
    defer { close(hub); close(peer) }
    var ledger = ConnectionLedger()
    let now = MonotonicClock.nanos()
    ledger.opened(hub, now: now)
    try Self.send(200_000, from: peer, to: hub)
    // Read as whole messages: nothing unread, nothing cut.
    #expect(ledger.delivered(hub, bytes: 200_000, parts: 1, now: now) == nil)
    #expect(ledger.audit(now: now).isEmpty)
    // 100 KB more that are no whole message: past a stranger's 64 KiB.
    try Self.send(100_000, from: peer, to: hub)
    let cuts = ledger.audit(now: now)
    #expect(cuts.count == 1 && cuts.first?.reason.contains("no whole message") == true, "\(cuts)")
    #expect(Self.isCut(peer))
    #expect(ledger.entries[hub] == nil)
  }

  @Test(.timeLimit(.minutes(1)))
  func aCameraMayHaveItsFramesInFlight() throws {
    let (hub, peer) = try Self.connection()
    defer { close(hub); close(peer) }
    var ledger = ConnectionLedger()
    let now = MonotonicClock.nanos()
    ledger.admit(hub, inFlight: 1 << 20, now: now)
    try Self.send(500_000, from: peer, to: hub)
    #expect(ledger.audit(now: now).isEmpty)
    try Self.send(700_000, from: peer, to: hub)
    #expect(ledger.audit(now: now).count == 1)
    #expect(Self.isCut(peer))
  }

  @Test(.timeLimit(.minutes(1)))
  func aStrangerMaySayOnlyAJoinersShare() throws {
    let (hub, peer) = try Self.connection()
    defer { close(hub); close(peer) }
    var ledger = ConnectionLedger(strangerMessages: 16)
    let now = MonotonicClock.nanos()
    for _ in 0..<16 { #expect(ledger.delivered(hub, bytes: 1, parts: 1, now: now) == nil) }
    let cut = ledger.delivered(hub, bytes: 1, parts: 1, now: now)
    #expect(cut?.reason.contains("17 messages") == true, "\(String(describing: cut))")
    #expect(Self.isCut(peer))
    // A camera's connection is not counted; nor, with no limit, an imagezmq sender's.
    var cameras = ConnectionLedger(strangerMessages: 16)
    cameras.admit(7, inFlight: 0, now: now)
    var senders = ConnectionLedger(strangerMessages: nil)
    for _ in 0..<100 {
      #expect(cameras.delivered(7, bytes: 1, parts: 1, now: now) == nil)
      #expect(senders.delivered(8, bytes: 1, parts: 1, now: now) == nil)
    }
  }

  /// A number reused for another connection is not cut for the first one's bytes.
  @Test(.timeLimit(.minutes(1)))
  func aReusedDescriptorIsNotCut() throws {
    let first = try Self.connection()
    var ledger = ConnectionLedger()
    let now = MonotonicClock.nanos()
    ledger.opened(first.hub, now: now)
    let number = first.hub
    close(first.hub)
    close(first.peer)
    let second = try Self.connection()
    defer { close(second.hub); close(second.peer) }
    // Make the second connection's hub end take the first one's number.
    if second.hub != number { try #require(dup2(second.hub, number) == number) }
    defer { if second.hub != number { close(number) } }
    try Self.send(100_000, from: second.peer, to: number)
    #expect(ledger.audit(now: now).isEmpty)
    var byte: UInt8 = 0
    #expect(recv(second.peer, &byte, 1, Int32(MSG_DONTWAIT)) == -1)  // still open: nothing to read
  }
}
