import GridCore
import GridPosix

/// A transport, by its stable CLI name (a contract: tests pin the built-in ones). Each is one
/// `TransportUnit`, declared in its own folder; this value names it and answers for it.
public struct TransportKind: Hashable, Sendable, RawRepresentable, CaseIterable, CustomStringConvertible {
  public let unit: any TransportUnit

  /// Names `unit`; a program that adds a transport of its own registers it in `TransportTable`.
  public init(_ unit: any TransportUnit) { self.unit = unit }

  /// The transport of this name in `TransportTable`, or nil.
  public init?(rawValue: String) {
    guard let kind = TransportTable.kinds.first(where: { $0.rawValue == rawValue }) else { return nil }
    self = kind
  }

  public var rawValue: String { unit.name }
  public var description: String { unit.name }
  public static var allCases: [TransportKind] { TransportTable.kinds }
  public static func == (left: Self, right: Self) -> Bool { left.rawValue == right.rawValue }
  public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

  public static let serial = TransportKind(SerialUnit())
  public static let threads = TransportKind(ThreadsUnit())
  public static let pipe = TransportKind(PipeUnit())
  public static let shmMqueue = TransportKind(SharedSlotUnit(channel: .messageQueue))
  public static let shmPipe = TransportKind(SharedSlotUnit(channel: .pipe))
  public static let shmRing = TransportKind(RingUnit())
  public static let zmq = TransportKind(ZMQUnit())
  public static let imagezmq = TransportKind(ImageZMQUnit())

  /// One line for `gridstitch transports`.
  public var summary: String { unit.summary }

  /// What this transport can do and needs: the one place the run, its validation, its
  /// descriptor budget and its report ask, so nothing outside GridTransports tests a kind by name.
  public var traits: TransportTraits { unit.traits }

  /// Whether cameras run as separate processes.
  public var usesProcesses: Bool { traits.cameras == .processes }

  /// The transports whose cameras the run starts itself: what `bench` runs, and what tests run
  /// on their own. A hub's cameras (imagezmq senders) are started by someone else.
  public static var selfContained: [TransportKind] { allCases.filter { $0.traits.cameras != .senders } }

  /// Whether frames arrive with the camera's own header (sequence, capture time, checksum).
  /// imagezmq frames carry none: the hub numbers them and stamps their arrival.
  public var carriesFrameHeaders: Bool { traits.carriesFrameHeaders }

  /// The transports that can do `has`, by name, for a message that lists them.
  public static func names(where has: (TransportTraits) -> Bool) -> String {
    let names = allCases.filter { has($0.traits) }.map(\.rawValue)
    return names.count > 1 ? names.dropLast().joined(separator: ", ") + " and " + names.last! : names.joined()
  }
}

/// What a transport can do and needs (`TransportKind.traits`).
public struct TransportTraits: Sendable {
  /// Where the cameras run, and so how the consumer's side is built.
  public enum Cameras: Sendable {
    /// The consumer renders each camera itself, in turn.
    case inline
    /// A thread per camera, in the consumer's process.
    case threads
    /// A process per camera: forked or spawned by the run, or on other hosts joining it (`--listen`).
    case processes
    /// Senders the run does not start, filming their own pictures: no scene of ours to share.
    case senders
  }

  public var cameras: Cameras
  /// The `--policy` values it accepts.
  public var policies: [DeliveryPolicy]
  /// Whether `--slots` sizes it (ring slots, threads' queue, zmq credits).
  public var slots: Bool
  /// Whether unpaced cameras (`--load none`) get deeper slots by default: where a hand-over costs
  /// a wake-up per run of frames and a longer run is cheaper (the ring, the threads queue), not
  /// where more slots only queue more bytes (zmq's credits, over a link).
  public var deepensUnpaced: Bool
  /// Whether it can wait for cameras it does not start (`--listen`).
  public var listens: Bool
  /// Whether it can read senders that bind (`--subscribe`).
  public var subscribes: Bool
  /// Whether frames carry the camera's own header (sequence, capture time, checksum): `--verify`
  /// needs it.
  public var carriesFrameHeaders: Bool
  /// Whether the consumer's wake-up syscalls are worth a line of the summary (futex waits).
  public var countsWakeups: Bool
  /// Descriptors the transport holds per camera, and once for the run.
  var descriptorsPerCamera: Int
  var sharedDescriptors: Int

  public init(
    cameras: Cameras, policies: [DeliveryPolicy] = [.lockstep], slots: Bool = false,
    deepensUnpaced: Bool = false, listens: Bool = false, subscribes: Bool = false,
    carriesFrameHeaders: Bool = true, countsWakeups: Bool = false, descriptorsPerCamera: Int = 0,
    sharedDescriptors: Int = 0
  ) {
    self.cameras = cameras
    self.policies = policies
    self.slots = slots
    self.deepensUnpaced = deepensUnpaced
    self.listens = listens
    self.subscribes = subscribes
    self.carriesFrameHeaders = carriesFrameHeaders
    self.countsWakeups = countsWakeups
    self.descriptorsPerCamera = descriptorsPerCamera
    self.sharedDescriptors = sharedDescriptors
  }

  /// The descriptors a run of `cameras` cameras holds for this transport. Process transports keep
  /// every descriptor they make at `FileDescriptors.floor` or above (spawned cameras get theirs as
  /// 3, 4, …), so their need starts there.
  public func descriptorsNeeded(cameras count: Int) -> Int {
    let floor = cameras == .processes ? Int(FileDescriptors.floor) : 0
    return floor + descriptorsPerCamera * count + sharedDescriptors
  }
}

/// What each policy promises the consumer.
public enum DeliveryPolicy: String, CaseIterable, Sendable {
  /// Every frame, in order; a camera blocks when the consumer is behind.
  case lockstep
  /// Cameras never block; each grid takes every camera's newest complete frame.
  case latest
}

/// What a transport is sized from.
public struct TransportShape: Sendable, Hashable {
  public var cameras: Int
  public var geometry: FrameGeometry
  public var slots: Int
  public var policy: DeliveryPolicy

  public init(cameras: Int, geometry: FrameGeometry, slots: Int = 4, policy: DeliveryPolicy = .lockstep) {
    self.cameras = cameras
    self.geometry = geometry
    self.slots = slots
    self.policy = policy
  }
}
