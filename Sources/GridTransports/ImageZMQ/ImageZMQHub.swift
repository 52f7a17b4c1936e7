import GridCore
import GridImage
import GridPosix
import GridZMQ

/// The hub side of imagezmq 1.2.0, so unchanged `ImageSender`s become tiles of the grid.
///
/// REQ senders (imagezmq's default) reach a ROUTER bound at `listen`: each request is the
/// envelope, the JSON metadata and the picture, and each gets exactly one reply, `OK`, as
/// imagezmq's `ImageHub.send_reply` sends. PUB senders are read by a SUB connected to each of
/// `subscribe`, and get no reply. Each distinct name is a camera, in order of first good frame.
///
/// Everything runs on the consumer's thread: the consumer's calls read the sockets, so no lock
/// is needed and no frame is converted that is not stitched. A message is checked in full
/// (parts, JSON, dtype, shape, byte count, JPEG header and size) when it arrives, before anything
/// is allocated from what it claims; a bad one is dropped, counted, answered and named on stderr
/// at most once a second per sender. A good one is kept as libzmq delivered it until the
/// consumer takes it: then it is decoded (a JPEG straight to the nearest scale) and fitted into
/// the tile the consumer is lent, with the sender's name as its label.
///
/// Under `lockstep` a sender's `OK` waits until its frame is placed in a grid, so senders run in
/// step with the grid (their own `send_image` call is the flow control). Under `latest` it goes
/// at once, and each grid takes every sender's newest frame. A sender that owes a frame and is
/// silent past the camera timeout is lost; it is back when a frame under its name arrives.
public final class ImageZMQHub: HubReceiver {
  /// One frame, as it arrived, until the consumer takes it.
  private struct Arrival {
    let data: ZMQMessage
    let payload: ImageZMQMetadata.Payload
    let arrivedAt: UInt64
    let sequence: UInt64
    /// A REQ sender's routing id, while its reply is held (nil once answered, and for PUB).
    var replyTo: [UInt8]?
  }

  private let settings: ImageZMQSettings
  private let watchdog: Watchdog
  private let context: ZMQContext
  private var sockets: ImageZMQSockets
  /// Checks pictures, and fits the one taken into the tile lent to the consumer.
  private let pictures: ImageZMQPictures
  private let timeoutNanos: UInt64
  /// The senders, a tile each in order of first good frame; a sender's silence counts from when it
  /// owes a frame (its last frame, or the reply that released it).
  private var peers: HubPeers
  /// Each sender's frame, until the consumer takes it.
  private var pending: [Arrival?]
  private var cameraByName: [String: Int] = [:]
  private var ignoredNames: [String] = []
  private var ignoredSeen: Set<String> = []
  private var dropped = 0
  private var finishing = false
  private var finished = false

  /// The most names remembered as ignored (beyond them only counted).
  static let maxIgnoredNames = 64
  /// The most messages read in one go before the consumer gets its turn.
  static let readBudget = 4096

  /// Binds and connects, then waits (up to `waitSeconds`) for the first good frame of every
  /// tile. Throws `GridError.interrupted` at a stop signal, a runtime error when the address is
  /// taken or too few senders came.
  public static func start(_ settings: ImageZMQSettings, watchdog: Watchdog) throws -> ImageZMQHub {
    let hub = try ImageZMQHub(settings, watchdog: watchdog)
    try hub.awaitSenders()
    return hub
  }

  private init(_ settings: ImageZMQSettings, watchdog: Watchdog) throws {
    self.settings = settings
    self.watchdog = watchdog
    timeoutNanos = UInt64(settings.cameraTimeout * 1e9)
    // Every sender's connection weighed: a picture (at most two queued, one arriving) may be
    // unread, and no more; any number of messages, for every sender is a stranger.
    let ledger = ConnectionLedger(
      strangerInFlight: UInt64(ImageZMQSettings.maxMessageBytes)
        * UInt64(ImageZMQSettings.queuedPerSender + 1),
      strangerMessages: nil)
    peers = HubPeers(
      tiles: settings.cameras, ledger: ledger, voice: "gridstitch: imagezmq: ", log: settings.log)
    pending = Array(repeating: nil, count: settings.cameras)
    do {
      pictures = try ImageZMQPictures(tile: settings.tile)
      context = try ZMQContext()
    } catch {
      throw GridError.runtime("imagezmq: \(error)")
    }
    sockets = try ImageZMQSockets(settings, context: context)
  }

  deinit {
    sockets.close()
  }

  private var endpoints: [String] { (settings.listen.map { [$0] } ?? []) + settings.subscribe }

  // MARK: set-up

  private func awaitSenders() throws {
    let want = settings.cameras
    settings.log(
      "gridstitch: waiting up to \(SecondsText.of(settings.waitSeconds)) s for \(want) imagezmq "
        + "sender\(want == 1 ? "" : "s") at \(endpoints.joined(separator: ", "))")
    let deadline = MonotonicClock.nanos() &+ UInt64(settings.waitSeconds * 1e9)
    while peers.claimedCount < want {
      _ = try watchdog.isAlive(camera: 0)
      let now = MonotonicClock.nanos()
      guard now < deadline else {
        let joined = peers.tiles.filter { $0.state != .free }.map { "'\($0.name)'" }.joined(separator: ", ")
        throw GridError.runtime(
          "only \(peers.claimedCount) of \(want) imagezmq senders sent a frame within "
            + "\(SecondsText.of(settings.waitSeconds)) s (--wait-seconds)"
            + (joined.isEmpty ? "" : ": \(joined)")
            + "; start the others, or use --cameras \(max(peers.claimedCount, 1))")
      }
      try pump(waitMillis: Int(min((deadline - now) / 1_000_000 + 1, UInt64(WatchdogTick.millis))))
    }
  }

  // MARK: FrameReceiver

  public func withNextFrame<R>(from camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R)
    throws -> R
  {
    while true {
      var arrival = try awaitArrival(camera)
      pending[camera] = nil
      defer { release(&arrival, camera: camera) }
      do {
        try pictures.render(arrival.data, payload: arrival.payload, camera: camera, name: peers[camera].name)
      } catch {
        reject(ImageZMQRejection(refusing: peers[camera].name, "JPEG \(error.reason)"), key: nil, peer: nil)
        continue
      }
      return try pictures.withTile { tile in
        let header = FrameHeader(
          camera: UInt32(camera), byteCount: UInt32(tile.count), sequence: arrival.sequence,
          captureNanos: arrival.arrivedAt, checksum: nil)
        return try body(header, tile)
      }
    }
  }

  public func hasFrame(from camera: Int) -> Bool { pending[camera] != nil }

  public func hasReturned(camera: Int) -> Bool { peers.takeReturn(camera) }

  /// Every sender is lost (under `--on-camera-loss continue`): the hub waits, however long, for
  /// one to send again, answering stop signals within a tick.
  public func awaitReturn() throws -> Bool {
    settings.log("gridstitch: every imagezmq sender is lost: waiting for one to send again (Ctrl-C stops)")
    while !peers.tiles.contains(where: { $0.state == .returned }) {
      _ = try watchdog.isAlive(camera: 0)
      try pump(waitMillis: Int(WatchdogTick.millis))
    }
    return true
  }

  public var droppedFrames: Int { dropped }
  public var rejectedMessages: Int { peers.rejected }

  public var roster: HubRoster? {
    peers.roster(endpoints: endpoints, ignored: ignoredNames, ignoredCount: ignoredSeen.count)
  }

  /// Every sender still waiting on us gets its `OK` (so a sender between frames carries on
  /// when a hub comes back at this address), then the sockets close, giving the replies a
  /// moment to leave.
  public func finish() {
    guard !finished else { return }
    finished = true
    finishing = true
    for camera in pending.indices {
      if let to = pending[camera]?.replyTo { reply(to) }
      pending[camera] = nil
    }
    _ = try? drain()
    sockets.close()
  }

  // MARK: waiting

  /// The camera's next frame, reading the sockets until it comes; throws when the sender has
  /// owed a frame for longer than the camera timeout.
  private func awaitArrival(_ camera: Int) throws -> Arrival {
    while true {
      if let arrival = pending[camera] { return arrival }
      let now = MonotonicClock.nanos()
      if peers.forgiveAbsence(now: now) {
        // The hub was away (stopped, held up): what the senders sent meanwhile is read before
        // anyone is judged.
        try pump(waitMillis: 0)
        continue
      }
      let silent = "no frame for \(SecondsText.of(settings.cameraTimeout)) s (--camera-timeout)"
      if let why = peers.silence(of: camera, now: now, timeout: timeoutNanos, silent: silent) {
        peers.lose(camera)
        throw GridError.remoteCameraLost(
          camera: camera, peer: "'\(peers[camera].name)' from \(peers[camera].peer)", reason: why)
      }
      _ = try watchdog.isAlive(camera: camera)
      let left = (timeoutNanos - min(peers.quiet(camera, now: now), timeoutNanos)) / 1_000_000 + 1
      try pump(waitMillis: Int(min(left, UInt64(WatchdogTick.millis))))
    }
  }

  /// Reads what is queued; if nothing was, waits up to `waitMillis` for something and reads it.
  /// Waits are cut to the ledger's audits: connections are weighed waiting or not.
  private func pump(waitMillis: Int) throws {
    if try drain() > 0 { return }
    do {
      let millis = min(waitMillis, Int(ConnectionLedger.auditNanos / 1_000_000))
      guard try ZMQPoll.poll(&sockets.pollItems, timeoutMillis: millis) > 0 else { return try audit() }
    } catch {
      throw GridError.runtime("imagezmq: \(error)")
    }
    _ = try drain()
  }

  /// Handles every message queued now (at most `readBudget`); returns how many.
  private func drain() throws -> Int {
    var handled = 0
    do {
      while handled < Self.readBudget {
        var progress = false
        // ROUTER: routing id, the REQ's empty delimiter, metadata, picture (and one more, to see
        // that there were too many).
        if let router = sockets.router, let message = try router.receiveParts(maxParts: 5) {
          weigh(message.parts[...])
          handleRequest(message.parts, overflowed: message.overflowed)
          handled += 1
          progress = true
        }
        if let subscriber = sockets.subscriber, let message = try subscriber.receiveParts(maxParts: 3) {
          weigh(message.parts[...])
          handle(body: message.parts[...], overflowed: message.overflowed, replyTo: nil)
          handled += 1
          progress = true
        }
        if !progress { break }
      }
    } catch {
      throw GridError.runtime("imagezmq: \(error)")
    }
    try audit()
    return handled
  }

  /// Weighs the senders' connections (every `auditNanos` at most) and cuts what the ledger
  /// condemns: a message of endless parts, a picture that never ends.
  private func audit() throws {
    do {
      try peers.audit(sockets.monitors, now: MonotonicClock.nanos())
    } catch {
      throw GridError.runtime("imagezmq: \(error)")
    }
  }

  /// Counts a message against the connection it came on (its parts from the wire say which).
  private func weigh(_ parts: ArraySlice<ZMQMessage>) {
    peers.weigh(parts, from: nil, inFlight: 0, now: MonotonicClock.nanos())
  }

  // MARK: messages

  private func handleRequest(_ parts: [ZMQMessage], overflowed: Bool) {
    guard parts.count >= 2 else { return }  // a ROUTER always gives the routing id and more
    let identity = parts[0].array
    // A REQ puts an empty delimiter before its parts; the reply goes back after the same one.
    let body = parts[1].count == 0 ? parts[2...] : parts[1...]
    if finishing {
      reply(identity)
      return
    }
    handle(body: body, overflowed: overflowed, replyTo: identity)
  }

  private func handle(body: ArraySlice<ZMQMessage>, overflowed: Bool, replyTo: [UInt8]?) {
    if finishing { return }
    // A part that came over the wire knows its connection (a ROUTER's routing id part does not).
    let peer = body.first?.property("Peer-Address") ?? "?"
    let metadata: ImageZMQMetadata
    do {
      metadata = try pictures.check(body, overflowed: overflowed)
    } catch {
      let key =
        error.name ?? replyTo.map { "connection " + $0.map { String($0, radix: 16) }.joined() } ?? peer
      reject(error, key: key, peer: peer)
      if let replyTo { reply(replyTo) }
      return
    }
    deliver(metadata, data: body[body.index(after: body.startIndex)], replyTo: replyTo, peer: peer)
  }

  private func deliver(_ metadata: ImageZMQMetadata, data: ZMQMessage, replyTo: [UInt8]?, peer: String) {
    let now = MonotonicClock.nanos()
    guard let camera = camera(named: metadata.name, peer: peer, now: now) else {
      if let replyTo { reply(replyTo) }
      return
    }
    if let displaced = pending[camera] {
      // Newest wins: the frame it replaces is dropped, and its sender (under lockstep, one that
      // restarted or shares the name) gets its answer now.
      dropped += 1
      if let to = displaced.replyTo { reply(to) }
    }
    let holdReply = settings.policy == .lockstep && replyTo != nil
    if let replyTo, !holdReply { reply(replyTo) }
    pending[camera] = Arrival(
      data: data, payload: metadata.payload, arrivedAt: now, sequence: UInt64(peers[camera].frames),
      replyTo: holdReply ? replyTo : nil)
    peers.counted(frameOf: camera)
    peers.heard(camera, now: now)
    if peers.heardAgain(camera, from: peer) {
      settings.log("gridstitch: camera \(camera) ('\(peers[camera].name)' from \(peer)) is back")
    }
  }

  /// The camera of `name`; a new name takes the next tile while there is one, else nil (the
  /// sender is ignored, with one line the first time).
  private func camera(named name: String, peer: String, now: UInt64) -> Int? {
    if let camera = cameraByName[name] { return camera }
    guard let camera = peers.firstFree else {
      if ignoredSeen.count < 4 * Self.maxIgnoredNames, ignoredSeen.insert(name).inserted {
        if ignoredNames.count < Self.maxIgnoredNames { ignoredNames.append(name) }
        settings.log(
          "gridstitch: imagezmq sender '\(name)' from \(peer) is ignored: all \(settings.cameras) tiles "
            + "are taken (--cameras \(settings.cameras)); it gets its OK and nothing more")
      }
      return nil
    }
    cameraByName[name] = camera
    peers.claim(camera, name: name, peer: peer, descriptor: nil, inFlight: 0, now: now)
    pictures.addCamera()
    settings.log("gridstitch: imagezmq sender '\(name)' from \(peer) joined as camera \(camera)")
    return camera
  }

  private func reject(_ rejection: ImageZMQRejection, key: String?, peer: String?) {
    let tile = rejection.name.flatMap { cameraByName[$0] }
    peers.reject(tile: tile, key: key ?? rejection.name ?? "?", now: MonotonicClock.nanos()) { _ in
      let who = rejection.name.map { "'\($0)'" } ?? "a sender"
      return "dropped a message from \(who)\(peer.map { " (\($0))" } ?? ""): \(rejection.reason)"
    }
  }

  /// The consumer is done with the frame: a held reply goes now, and the sender owes the next.
  private func release(_ arrival: inout Arrival, camera: Int) {
    guard let to = arrival.replyTo else { return }
    arrival.replyTo = nil
    reply(to)
    peers.heard(camera, now: MonotonicClock.nanos())
  }

  /// imagezmq's reply, `OK`, to one REQ sender. A ROUTER drops a reply to a sender that has gone,
  /// and never blocks: a sender that does not read its replies cannot stall the hub.
  private func reply(_ identity: [UInt8]) {
    guard let router = sockets.router else { return }
    _ = try? router.send(identity, more: true, dontWait: true)
    _ = try? router.send([], more: true, dontWait: true)
    _ = try? router.send(Self.ok, dontWait: true)
  }

  private static let ok = Array("OK".utf8)
}
