import GridPosix

/// A hub's peer connections, weighed: what the kernel says each peer sent, against the bytes of
/// the whole messages the hub read from it. libzmq keeps every part of a message until its last
/// part arrives — a message of millions of empty parts costs gigabytes, some 32 bytes of memory
/// for each byte on the wire — and, with no high-water mark, every whole message until it is
/// read; it bounds neither per peer. The ledger does, with two rules:
///
/// - **What a peer may have in flight.** A connection whose unread bytes pass its allowance (a
///   handshake and a hello; a camera's frames under credit; a sender's largest picture) is cut.
/// - **What the hub's memory says.** A connection that has sent more than a hello's worth and no
///   whole message for `stallNanos` is cut if the hub's resident memory has grown past every
///   connection's unread bytes by more than `memorySlack`: the peer sends many small parts.
///
/// A cut is a `shutdown` of the connection: libzmq sees it end, closes it, and frees what it held
/// of it. A peer that has not joined may also say only `strangerMessages` messages. The kernel
/// counts a connection's bytes from its start (TCP_INFO's `tcpi_bytes_received`), so one first
/// seen late is weighed in full all the same. Connections that are not TCP (ipc) are not weighed.
struct ConnectionLedger {
  /// Every connection may have this much unread: its greeting and handshake (CURVE's is under
  /// 1 KiB), a hello, and ZMTP's control traffic of a while.
  static let baseAllowance: UInt64 = 64 << 10
  /// ZMTP's own traffic per second of a connection's life (heartbeats: some 300 bytes a second).
  static let controlBytesPerSecond: UInt64 = 4 << 10
  /// What one part costs on the wire beyond its bytes: flags and size, and under CURVE its box.
  static let partOverhead: UInt64 = 64
  /// How often connections are weighed.
  static let auditNanos: UInt64 = 20_000_000
  /// How long a connection may send without a whole message before memory is asked about it.
  static let stallNanos: UInt64 = 100_000_000
  /// Resident memory beyond the unread bytes of every connection that the hub lets grow.
  static let memorySlack: UInt64 = 64 << 20

  struct Entry {
    var identity: (device: UInt64, inode: UInt64)?
    var peer: String
    var delivered: UInt64 = 0
    var messages = 0
    var openedNanos: UInt64
    var lastMessageNanos: UInt64
    /// What it may have in flight beyond `baseAllowance` (frames under credit, a picture).
    var inFlight: UInt64
    var isCamera = false
    /// The kernel's count at the last `progressed`.
    var lastReceived: UInt64 = 0
  }

  /// A connection cut, and why, for the hub to say.
  struct Cut {
    var peer: String
    var reason: String
  }

  /// What any connection may have in flight before it is admitted (`admit`).
  let strangerInFlight: UInt64
  /// Messages a peer may send before it is admitted; nil: any number (imagezmq's senders).
  let strangerMessages: Int?
  private(set) var entries: [Int32: Entry] = [:]
  private var nextAudit: UInt64 = 0
  /// A connection was cut: once libzmq has freed what it held (by the next audit), the freed
  /// memory goes back to the system.
  private var trimDue = false
  /// Resident memory at the last audit with no connection busy: what the hub needs by itself.
  private var quietResident: UInt64?

  init(strangerInFlight: UInt64 = 0, strangerMessages: Int? = 16) {
    self.strangerInFlight = strangerInFlight
    self.strangerMessages = strangerMessages
  }

  /// A connection the hub's monitor saw open (accepted, or connected). Its messages may have been
  /// read first: a connection already known keeps its entry.
  mutating func opened(_ fd: Int32, now: UInt64) {
    let identity = FileDescriptors.identity(fd)
    if let known = entries[fd]?.identity, let identity, known == identity { return }
    entries[fd] = Entry(
      identity: identity, peer: FileDescriptors.peerAddress(fd) ?? "a peer", openedNanos: now,
      lastMessageNanos: now, inFlight: strangerInFlight)
  }

  /// A connection the hub's monitor saw close.
  mutating func closed(_ fd: Int32) { entries[fd] = nil }

  /// A whole message of `parts` parts and `bytes` bytes read from connection `fd`. Returns a cut
  /// if the connection is a stranger's that has said more than a joiner may.
  mutating func delivered(_ fd: Int32?, bytes: Int, parts: Int, now: UInt64) -> Cut? {
    guard let fd else { return nil }
    if entries[fd] == nil { opened(fd, now: now) }
    entries[fd]!.delivered &+= UInt64(bytes) &+ Self.partOverhead &* UInt64(parts)
    entries[fd]!.lastMessageNanos = now
    guard !entries[fd]!.isCamera, let strangerMessages else { return nil }
    entries[fd]!.messages += 1
    guard entries[fd]!.messages > strangerMessages else { return nil }
    return cut(fd, reason: "\(entries[fd]!.messages) messages, and it has not joined")
  }

  /// Connection `fd` carries one of the hub's cameras, which may have `inFlight` bytes of frames
  /// on their way.
  mutating func admit(_ fd: Int32?, inFlight: UInt64, now: UInt64) {
    guard let fd else { return }
    if entries[fd]?.isCamera == true { return }
    if entries[fd] == nil { opened(fd, now: now) }
    entries[fd]!.isCamera = true
    entries[fd]!.inFlight = inFlight
  }

  /// Whether connection `fd` received bytes since the last time this was asked: a peer whose
  /// message is still on its way over a slow link is alive, though no whole message came.
  mutating func progressed(_ fd: Int32, now: UInt64) -> Bool {
    guard let received = FileDescriptors.tcpBytesReceived(fd) else { return false }
    if entries[fd] == nil { opened(fd, now: now) }
    guard received > entries[fd]!.lastReceived else { return false }
    entries[fd]!.lastReceived = received
    return true
  }

  /// Whether `auditNanos` have passed since the last audit.
  func isDue(_ now: UInt64) -> Bool { now >= nextAudit }

  /// Weighs every connection and cuts those the rules above condemn.
  mutating func audit(now: UInt64) -> [Cut] {
    nextAudit = now &+ Self.auditNanos
    if trimDue {
      trimDue = false
      ResourceUsage.returnFreedMemory()
    }
    var cuts: [Cut] = []
    var stalled: [(fd: Int32, unread: UInt64)] = []
    var unreadInAll: UInt64 = 0
    var busy = false
    for (fd, entry) in entries {
      guard let received = FileDescriptors.tcpBytesReceived(fd) else { continue }
      let age = (now &- entry.openedNanos) / 1_000_000_000
      let allowed = Self.baseAllowance &+ entry.inFlight &+ age &* Self.controlBytesPerSecond
      let unread = received > entry.delivered ? received - entry.delivered : 0
      if unread > allowed {
        if let cut = cut(
          fd, reason: "\(unread) bytes sent that are no whole message (it may have \(allowed))")
        {
          cuts.append(cut)
        }
        continue
      }
      unreadInAll &+= unread
      guard unread > Self.baseAllowance else { continue }
      busy = true
      if now &- entry.lastMessageNanos > Self.stallNanos { stalled.append((fd, unread)) }
    }
    guard let resident = ResourceUsage.residentBytes() else { return cuts }
    // The hub's own need is measured while no connection has more than a hello unread.
    if !busy { quietResident = resident }
    guard !stalled.isEmpty, let quiet = quietResident else { return cuts }
    let grown = resident > quiet ? resident - quiet : 0
    guard grown > unreadInAll &+ Self.memorySlack else { return cuts }
    for (fd, unread) in stalled {
      let reason =
        "\(unread) bytes sent in no whole message for \(Self.stallNanos / 1_000_000) ms while the hub's "
        + "memory grew by \(grown >> 20) MiB"
      if let cut = cut(fd, reason: reason) { cuts.append(cut) }
    }
    return cuts
  }

  /// Ends connection `fd`, if it is still the one the ledger knows (a descriptor number is reused).
  private mutating func cut(_ fd: Int32, reason: String) -> Cut? {
    guard let entry = entries.removeValue(forKey: fd) else { return nil }
    if let known = entry.identity {
      guard let now = FileDescriptors.identity(fd), now == known else { return nil }
    }
    FileDescriptors.shutDown(fd)
    trimDue = true
    return Cut(peer: entry.peer, reason: reason)
  }
}
