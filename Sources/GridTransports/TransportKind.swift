import GridCore
import GridPosix

/// The transports, by their stable CLI names (a contract: tests pin them).
public enum TransportKind: String, CaseIterable, Sendable {
  case serial
  case threads
  case pipe
  case shmMqueue = "shm-mqueue"
  case shmPipe = "shm-pipe"
  case shmRing = "shm-ring"
  case zmq
  case imagezmq

  /// One line for `gridstitch transports`.
  public var summary: String {
    switch self {
    case .serial: "the consumer renders each camera itself, in turn (the seed's baseline)"
    case .threads:
      "camera threads, bounded blocking queue of 4 buffers per camera, buffers handed over, no copy"
    case .pipe: "camera processes write header + pixels into a pipe; the consumer reads a copy"
    case .shmMqueue:
      "one shared-memory slot per camera handed over by process-shared semaphores, header through a POSIX message queue"
    case .shmPipe:
      "one shared-memory slot per camera handed over by process-shared semaphores, header through a pipe"
    case .shmRing:
      "lock-free ring of slots per camera in shared memory; cameras render into a loaned slot, zero copy"
    case .zmq:
      "ZeroMQ: camera DEALERs into one ROUTER, credit flow, zero-copy messages; ipc:// here, tcp:// from other hosts (--listen)"
    case .imagezmq:
      "a hub for unchanged imagezmq senders (REQ or PUB): each sender name becomes a tile"
    }
  }

  /// What this transport can do and needs: the one place the run, its validation, its
  /// descriptor budget and its report ask, so nothing outside GridTransports tests a kind by name.
  public var traits: TransportTraits {
    switch self {
    case .serial: TransportTraits(cameras: .inline)
    case .threads: TransportTraits(cameras: .threads)
    // A pipe per camera, both ends until the cameras have started; the shared memfd counted anyway.
    case .pipe: TransportTraits(cameras: .processes, descriptorsPerCamera: 2, sharedDescriptors: 1)
    // A header pipe per camera, and the slots' memfd.
    case .shmPipe: TransportTraits(cameras: .processes, descriptorsPerCamera: 2, sharedDescriptors: 1)
    // A message queue per camera, and the slots' memfd.
    case .shmMqueue: TransportTraits(cameras: .processes, descriptorsPerCamera: 1, sharedDescriptors: 1)
    // One memfd for every camera's ring.
    case .shmRing:
      TransportTraits(
        cameras: .processes, policies: [.lockstep, .latest], slots: true, countsWakeups: true,
        descriptorsPerCamera: 0, sharedDescriptors: 1)
    // A connection per camera; libzmq's context, sockets, monitor and mailboxes.
    case .zmq:
      TransportTraits(
        cameras: .processes, policies: [.lockstep, .latest], slots: true, listens: true,
        descriptorsPerCamera: 1, sharedDescriptors: 24)
    // libzmq's context, its I/O thread and sockets (about 10), and a connection per sender; its
    // descriptors are not kept above `FileDescriptors.floor`.
    case .imagezmq:
      TransportTraits(
        cameras: .senders, policies: [.lockstep, .latest], listens: true, subscribes: true,
        carriesFrameHeaders: false, descriptorsPerCamera: 2, sharedDescriptors: 16)
    }
  }

  /// Whether cameras run as separate processes.
  public var usesProcesses: Bool { traits.cameras == .processes }

  /// The transports whose cameras the run starts itself: what `bench` runs, and what tests run
  /// on their own. A hub's cameras (imagezmq senders) are started by someone else.
  public static let selfContained: [TransportKind] = allCases.filter { $0.traits.cameras != .senders }

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
  /// Whether `--slots` sizes it (ring slots, zmq credits).
  public var slots: Bool
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

  init(
    cameras: Cameras, policies: [DeliveryPolicy] = [.lockstep], slots: Bool = false, listens: Bool = false,
    subscribes: Bool = false, carriesFrameHeaders: Bool = true, countsWakeups: Bool = false,
    descriptorsPerCamera: Int = 0, sharedDescriptors: Int = 0
  ) {
    self.cameras = cameras
    self.policies = policies
    self.slots = slots
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
