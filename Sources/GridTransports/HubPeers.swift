import GridCore
import GridPosix
import GridZMQ

/// The one peer table every hub keeps, and the rules that judge its peers, written once: who
/// holds each tile (name, address, the connection it speaks on), when each was last heard, what
/// each connection carried against what its peer may have in flight (`ConnectionLedger`), and
/// what the hub says about them, within limits (`ComplaintLimiter`). The zmq hub and the imagezmq
/// hub differ in their wire and their flow control, not in how a peer is judged.
struct HubPeers {
  /// Where a tile's holder stands. `free` → `joining` (a remote camera until its pings are done)
  /// or `live` → `suspect` (its connection was seen to close) → `lost` (silent past its time) →
  /// `returned` (heard again; the consumer has not taken it back yet) → `live`.
  enum State: Equatable {
    case free
    case joining
    case live
    /// Its connection was seen to close: lost once silent for `suspectNanos`, well before the
    /// full timeout. Only a suspect, because a descriptor number is reused: the event may be of an
    /// earlier connection.
    case suspect
    /// Given up on: the consumer was told it is lost, and nothing of its is used.
    case lost
    case returned
  }

  /// One tile's holder.
  struct Tile {
    var state = State.free
    /// How the hub's lines and the report name it ("camera 3", "tcp://…", a sender's name).
    var name: String
    /// Where it speaks from (an address, once known).
    var peer = ""
    /// The connection it speaks on (a descriptor of libzmq's; reused once closed).
    var descriptor: Int32?
    /// When its silence began: when it was last heard (or, for a peer that owes nothing, when it
    /// was released).
    var heardAt: UInt64 = 0
    /// Frames it may still send (granted, not yet used), frames taken whose credit is not yet
    /// sent back, and frames received.
    var credit = 0
    var owed = 0
    var received: UInt64 = 0
    var frames = 0
    var losses = 0
    var returns = 0
    var rejected = 0
  }

  /// How long a suspect may be silent.
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
  /// Frames a camera may have in flight (`--slots`), for hubs that grant credit.
  let slots: Int
  /// How the hub's lines begin ("gridstitch: ", "gridstitch: imagezmq: ").
  private let voice: String
  private let log: @Sendable (String) -> Void

  init(
    tiles count: Int, slots: Int = 0, ledger: ConnectionLedger?, voice: String,
    log: @escaping @Sendable (String) -> Void
  ) {
    tiles = (0..<count).map { Tile(name: "camera \($0)") }
    self.slots = slots
    self.ledger = ledger
    self.voice = voice
    self.log = log
  }

  subscript(tile: Int) -> Tile { tiles[tile] }

  // MARK: tiles

  var claimedCount: Int { tiles.count { $0.state != .free } }
  var firstFree: Int? { tiles.firstIndex { $0.state == .free } }
  /// Tiles whose holders have joined (not free, not joining).
  var joinedCount: Int { tiles.count { $0.state != .free && $0.state != .joining } }
  /// Whether `tile`'s holder is one the run uses (or may, once joined): not free, not lost.
  func isHeld(_ tile: Int) -> Bool { tiles[tile].state != .free && tiles[tile].state != .lost }

  /// The tile a joiner asking for `request` (nil: any) gets, or why it gets none.
  func tile(for request: Int?) -> Result<Int, JoinRefusal> {
    guard let request else {
      return firstFree.map { .success($0) } ?? .failure(JoinRefusal("the hub has its \(tiles.count) cameras"))
    }
    guard request >= 0 && request < tiles.count else {
      return .failure(
        JoinRefusal("--camera \(request) is out of range: this hub has cameras 0 to \(tiles.count - 1)"))
    }
    guard tiles[request].state == .free else {
      return .failure(JoinRefusal("camera \(request) has joined already, from \(tiles[request].name)"))
    }
    return .success(request)
  }

  struct JoinRefusal: Error, Equatable {
    let reason: String
    init(_ reason: String) { self.reason = reason }
  }

  /// `tile` is held from now by `name`, speaking from `peer` on `descriptor`, which may carry
  /// `inFlight` bytes unread; `joining` until `joined` if it must answer first.
  mutating func claim(
    _ tile: Int, name: String, peer: String, descriptor: Int32?, inFlight: UInt64, joining: Bool = false,
    now: UInt64
  ) {
    tiles[tile] = Tile(
      state: joining ? .joining : .live, name: name, peer: peer, descriptor: descriptor, heardAt: now)
    ledger?.admit(descriptor, inFlight: inFlight, now: now)
  }

  /// `tile`'s holder has answered what it had to: it is live.
  mutating func joined(_ tile: Int) {
    if tiles[tile].state == .joining { tiles[tile].state = .live }
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
    if tiles[tile].state == .suspect && quiet > Self.suspectNanos { return "its connection closed" }
    return quiet > timeout ? silent : nil
  }

  /// Connection `fd` closed: a live holder speaking on it becomes a suspect.
  mutating func connectionClosed(_ fd: Int32) {
    ledger?.closed(fd)
    for tile in tiles.indices where tiles[tile].descriptor == fd && tiles[tile].state == .live {
      tiles[tile].state = .suspect
    }
  }

  /// How long `tile`'s holder has been silent.
  func quiet(_ tile: Int, now: UInt64) -> UInt64 { now &- tiles[tile].heardAt }

  /// `tile`'s holder is given up on.
  mutating func lose(_ tile: Int) {
    tiles[tile].state = .lost
    tiles[tile].losses += 1
  }

  /// `tile`'s holder was heard from `peer`; true when it had been lost (it is `returned` now).
  mutating func heardAgain(_ tile: Int, from peer: String) -> Bool {
    assert(tiles[tile].state != .free)
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
    if let tile, isHeld(tile) {
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
      if event.isDisconnect { connectionClosed(fd) }
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

  // MARK: credit

  /// `count` more frames `tile`'s holder may send (the hub sends the grant).
  mutating func grant(_ tile: Int, _ count: Int) {
    tiles[tile].credit += count
  }

  /// A frame arrived from `tile`'s holder: it uses a credit; nil, or why it may not.
  mutating func spendCredit(_ tile: Int) -> String? {
    guard tiles[tile].credit > 0 else { return "a frame sent without credit" }
    tiles[tile].credit -= 1
    tiles[tile].received += 1
    tiles[tile].frames += 1
    return nil
  }

  /// `count` of `tile`'s frames were taken: the credit to send back now, if any. It goes back in
  /// batches of half the slots while the camera has frames queued (it is ahead, and one message
  /// per two frames is half the wake-ups), and at once when its queue is empty (it may be waiting
  /// for exactly this credit).
  mutating func taken(_ tile: Int, _ count: Int, queueEmpty: Bool) -> Int? {
    tiles[tile].owed += count
    guard tiles[tile].owed >= max(1, slots / 2) || queueEmpty else { return nil }
    return owedCredit(tile)
  }

  /// The credit `tile` earned and has not been sent, if any (now counted as sent).
  mutating func owedCredit(_ tile: Int) -> Int? {
    guard tiles[tile].owed > 0 else { return nil }
    defer { tiles[tile].owed = 0 }
    return tiles[tile].owed
  }

  /// A beat from `tile`'s holder says it has sent `sent` frames. A beat comes after the frames on
  /// the same connection, so more than arrived means frames were lost when libzmq re-made a
  /// broken connection; under lockstep both sides would then wait forever. Why it is lost, or nil.
  func lostInTransit(_ tile: Int, sent: UInt64) -> String? {
    guard sent > tiles[tile].received else { return nil }
    return "\(sent - tiles[tile].received) frames lost in transit (its connection broke and was re-made)"
  }

  /// The roster of claimed tiles, for the report.
  func roster(endpoints: [String], ignored: [String], ignoredCount: Int) -> HubRoster {
    HubRoster(
      endpoints: endpoints,
      cameras: tiles.enumerated().filter { $0.element.state != .free }.map { camera, tile in
        RemoteCameraRecord(
          camera: camera, name: tile.name, peer: tile.peer, state: tile.state == .lost ? .lost : .live,
          frames: tile.frames, losses: tile.losses, returns: tile.returns, rejected: tile.rejected)
      }, ignored: ignored, ignoredCount: ignoredCount)
  }
}
