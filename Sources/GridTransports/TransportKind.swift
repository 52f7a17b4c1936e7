import GridCore

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

  /// Whether cameras run as separate processes.
  public var usesProcesses: Bool {
    switch self {
    case .serial, .threads, .imagezmq: false
    case .pipe, .shmMqueue, .shmPipe, .shmRing, .zmq: true
    }
  }

  /// The transports whose cameras the run starts itself: what `bench` runs, and what tests run
  /// on their own. A hub's cameras (imagezmq senders) are started by someone else.
  public static let selfContained: [TransportKind] = allCases.filter { $0 != .imagezmq }

  /// Whether frames arrive with the camera's own header (sequence, capture time, checksum).
  /// imagezmq frames carry none: the hub numbers them and stamps their arrival.
  public var carriesFrameHeaders: Bool { self != .imagezmq }
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
