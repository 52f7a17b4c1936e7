import GridCore
import GridPosix
import GridZMQ

/// The one peer table every hub keeps, and the rules that judge its peers, written once: who
/// holds each tile (name, address, the connection it speaks on), when each was last heard, what
/// each connection carried against what its peer may have in flight (`ConnectionLedger`), and
/// what the hub says about them, within limits (`ComplaintLimiter`). The zmq hub and the imagezmq
/// hub differ in their wire and their flow control, not in how a peer is judged.
struct HubPeers {
  enum State: Equatable {
    case live
    /// Given up on: the consumer was told it is lost.
    case lost
    /// It was heard again after a loss; the consumer has not taken it back yet.
    case returned
  }

  /// One tile's holder.
  struct Tile {
    var claimed = false
    /// How the hub's lines and the report name it ("camera 3", "tcp://…", a sender's name).
    var name: String
    /// Where it speaks from (an address, once known).
    var peer = ""
    /// The connection it speaks on (a descriptor of libzmq's; reused once closed).
    var descriptor: Int32?
    /// When its silence began: when it was last heard (or, for a peer that owes nothing, when it
    /// was released).
    var heardAt: UInt64 = 0
    /// Its connection was seen to close.
    var suspected = false
    var state = State.live
    var frames = 0
    var losses = 0
    var returns = 0
    var rejected = 0
  }

  /// A connection seen to close makes its camera a suspect: lost once silent for this, well before
  /// the full timeout. Only a suspect, because a descriptor number is reused: the event may be of
  /// an earlier connection.
  static let suspectNanos: UInt64 = 200_000_000

  private(set) var tiles: [Tile]
  /// Weighs the peers' connections (nil where every peer is a process of this run).
  private(set) var ledger: ConnectionLedger?
  var weighsConnections: Bool { ledger != nil }
  /// Messages dropped and connections cut.
  private(set) var rejected = 0
  private var absence = HubAbsence()
  /// At most a line a second about one peer, two in all.
  private var complaints = ComplaintLimiter()
  /// Cuts are said within limits of their own, so a flood of dropped messages never hides one.
  private var cutComplaints = ComplaintLimiter()
  /// How the hub's lines begin ("gridstitch: ", "gridstitch: imagezmq: ").
  private let voice: String
  private let log: @Sendable (String) -> Void

  init(tiles count: Int, ledger: ConnectionLedger?, voice: String, log: @escaping @Sendable (String) -> Void) {
    tiles = (0..<count).map { Tile(name: "camera \($0)") }
    self.ledger = ledger
    self.voice = voice
    self.log = log
  }

  subscript(tile: Int) -> Tile { tiles[tile] }

  // MARK: tiles

  var claimedCount: Int { tiles.count { $0.claimed } }
  var firstFree: Int? { tiles.firstIndex { !$0.claimed } }

  /// `tile` is held from now by `name`, speaking from `peer` on `descriptor`, which may carry
  /// `inFlight` bytes unread.
  mutating func claim(
    _ tile: Int, name: String, peer: String, descriptor: Int32?, inFlight: UInt64, now: UInt64
  ) {
    tiles[tile] = Tile(claimed: true, name: name, peer: peer, descriptor: descriptor, heardAt: now)
    ledger?.admit(descriptor, inFlight: inFlight, now: now)
  }

  /// `tile` is free again (its holder left before the start, or was dismissed).
  mutating func free(_ tile: Int) {
    tiles[tile] = Tile(name: "camera \(tile)")
  }

  // MARK: liveness

  /// Something whole came from `tile`'s holder.
  mutating func heard(_ tile: Int, now: UInt64) {
    tiles[tile].heardAt = now
  }

  mutating func counted(frameOf tile: Int) {
    tiles[tile].frames += 1
  }

  /// Whether the hub was away since it last looked (stopped, held up): then every peer's silence
  /// starts over now, and none is judged until the next look.
  mutating func forgiveAbsence(now: UInt64) -> Bool {
    guard absence.look(now: now) > 0 else { return false }
    for tile in tiles.indices { tiles[tile].heardAt = max(tiles[tile].heardAt, now) }
    return true
  }

  /// Why `tile`'s holder counts as gone at `now`, or nil while it is heard often enough. Bytes
  /// arriving on its connection say it is alive, though its next whole message (a frame over a
  /// slow link) has not come yet. `silent` words the plain timeout.
  mutating func silence(of tile: Int, now: UInt64, timeout: UInt64, silent: String) -> String? {
    if let fd = tiles[tile].descriptor, ledger?.progressed(fd, now: now) == true { tiles[tile].heardAt = now }
    let quiet = now &- tiles[tile].heardAt
    if tiles[tile].suspected && quiet > Self.suspectNanos { return "its connection closed" }
    return quiet > timeout ? silent : nil
  }

  /// How long `tile`'s holder has been silent.
  func quiet(_ tile: Int, now: UInt64) -> UInt64 { now &- tiles[tile].heardAt }

  /// `tile`'s holder is given up on.
  mutating func lose(_ tile: Int) {
    tiles[tile].state = .lost
    tiles[tile].losses += 1
  }

  /// `tile`'s lost holder was heard again; true the first time.
  mutating func heardAgain(_ tile: Int, from peer: String) -> Bool {
    tiles[tile].peer = peer
    guard tiles[tile].state == .lost else { return false }
    tiles[tile].state = .returned
    tiles[tile].returns += 1
    return true
  }

  /// Whether `tile` came back since the consumer last asked (it is live again from now).
  mutating func takeReturn(_ tile: Int) -> Bool {
    guard tile < tiles.count, tiles[tile].state == .returned else { return false }
    tiles[tile].state = .live
    return true
  }

  // MARK: connections

  /// Counts a message against the connection it came on (its parts from the wire say which; a
  /// ROUTER's routing id part may not). A message from `tile`'s holder moves it onto that
  /// connection (libzmq re-makes broken ones); a stranger that says too much is cut.
  mutating func weigh(
    _ parts: some Collection<ZMQMessage>, from tile: Int?, inFlight: UInt64, now: UInt64
  ) {
    guard ledger != nil else { return }
    let fd = parts.reversed().first?.sourceDescriptor
    if let tile, tiles[tile].state != .lost {
      ledger?.admit(fd, inFlight: inFlight, now: now)
      if let fd, tiles[tile].descriptor != fd { tiles[tile].descriptor = fd }
    }
    let bytes = parts.reduce(0) { $0 + $1.count }
    if let cut = ledger?.delivered(fd, bytes: bytes, parts: parts.count, now: now) { say(cut, now: now) }
  }

  /// Reads `monitor`'s connection events: the ledger learns of each connection, and a holder whose
  /// connection closed becomes a suspect.
  mutating func readEvents(of monitor: ZMQMonitor, now: UInt64) throws(ZMQError) {
    while let event = try monitor.next() {
      let fd = Int32(bitPattern: event.value)
      if event.isConnection { ledger?.opened(fd, now: now) }
      guard event.isDisconnect else { continue }
      ledger?.closed(fd)
      for tile in tiles.indices where tiles[tile].descriptor == fd { tiles[tile].suspected = true }
    }
  }

  /// Every `ConnectionLedger.auditNanos` at most: reads the connection events, then cuts the
  /// connections whose unread bytes pass what their peers may have in flight.
  mutating func audit(_ monitors: [ZMQMonitor], now: UInt64) throws(ZMQError) {
    guard ledger?.isDue(now) == true else { return }
    for monitor in monitors { try readEvents(of: monitor, now: now) }
    for cut in ledger?.audit(now: now) ?? [] { say(cut, now: now) }
  }

  private mutating func say(_ cut: ConnectionLedger.Cut, now: UInt64) {
    rejected += 1
    guard let held = cutComplaints.mayComplain(about: cut.peer, now: now) else { return }
    log("\(voice)cut the connection from \(TerminalText.escaped(cut.peer)): \(cut.reason)" + held.note)
  }

  // MARK: what the hub says

  /// A message dropped (from `tile`'s holder, if it holds one): counted, and `line` said within
  /// the limits for `key`. `line` is given the count so far.
  mutating func reject(tile: Int? = nil, key: String, now: UInt64, _ line: (Int) -> String) {
    rejected += 1
    if let tile { tiles[tile].rejected += 1 }
    let count = rejected
    complain(about: key, now: now) { line(count) }
  }

  /// Says `line` about `key` within the hub's limits (at most a line a second about one peer, two
  /// in all; what was held back is noted on the next).
  mutating func complain(about key: String, now: UInt64, _ line: () -> String) {
    guard let held = complaints.mayComplain(about: key, now: now) else { return }
    log(voice + line() + held.note)
  }

  /// The roster of claimed tiles, for the report.
  func roster(endpoints: [String], ignored: [String], ignoredCount: Int) -> HubRoster {
    HubRoster(
      endpoints: endpoints,
      cameras: tiles.enumerated().filter { $0.element.claimed }.map { camera, tile in
        RemoteCameraRecord(
          camera: camera, name: tile.name, peer: tile.peer, state: tile.state == .lost ? .lost : .live,
          frames: tile.frames, losses: tile.losses, returns: tile.returns, rejected: tile.rejected)
      }, ignored: ignored, ignoredCount: ignoredCount)
  }
}
