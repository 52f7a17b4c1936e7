import GridCore
import GridPosix
import SystemPackage

/// What each process transport does in the consumer, behind `ProcessTransport`.
protocol ProcessTransportCore: AnyObject {
  func descriptors(forCamera camera: Int) -> [FileDescriptor]
  func closeCameraEnds()
  /// Moves the consumer's ends into the receiver: called once, by `ProcessTransport`.
  func makeReceiver(watchdog: Watchdog) throws -> FrameReceiver
}

/// A transport whose cameras are other processes. The consumer creates it (before any camera
/// starts), hands each camera its descriptors (inherited over fork, or dup'ed to 3, 4, … for a
/// spawned camera), drops its copies of the camera-side ends, then turns it into its receiver —
/// once: `makeReceiver` consumes the transport, so a second call does not compile.
public struct ProcessTransport: ~Copyable {
  private let core: ProcessTransportCore

  /// Creates the shared resources of `kind` in the consumer.
  public init(_ kind: TransportKind, shape: TransportShape) throws {
    switch kind {
    case .pipe: core = try PipeTransport(shape: shape)
    case .shmPipe: core = try SharedSlotTransport(shape: shape, channel: .pipe)
    case .shmMqueue: core = try SharedSlotTransport(shape: shape, channel: .messageQueue)
    case .shmRing: core = try RingTransport(shape: shape)
    case .zmq: core = try ZMQLocalTransport(shape: shape)
    case .serial, .threads, .imagezmq:
      throw GridError.usage("transport '\(kind.rawValue)' does not use camera processes")
    }
  }

  /// What camera `camera` needs, in the order `ProcessTransports.attach` expects; lent, still
  /// owned by the transport.
  public func descriptors(forCamera camera: Int) -> [FileDescriptor] { core.descriptors(forCamera: camera) }

  /// After every camera has started: close the consumer's copies of camera-side ends.
  public func closeCameraEnds() { core.closeCameraEnds() }

  /// The consumer's side; the transport's own ends move into it.
  public consuming func makeReceiver(watchdog: Watchdog) throws -> FrameReceiver {
    try core.makeReceiver(watchdog: watchdog)
  }
}

/// How a camera process waits: bounded, re-checking that the consumer is still its parent.
public struct CameraSideWatch: Sendable {
  public let parent: Int32

  public init(parent: Int32) { self.parent = parent }

  public func consumerIsAlive() -> Bool { ProcessIdentity.parentPid == parent }

  public func consumerGone() -> GridError { .runtime("consumer (pid \(parent)) is gone") }
}

public enum ProcessTransports {
  /// What a camera of `kind` must be handed, in order; `attach` checks each with `fstat` first.
  public static func cameraDescriptorKinds(_ kind: TransportKind) -> [DescriptorKind] {
    switch kind {
    case .pipe: [.pipeWriteEnd]
    case .shmPipe: [.memfd, .pipeWriteEnd]
    case .shmMqueue: [.memfd, .messageQueue]
    case .shmRing: [.memfd]
    case .zmq: [.directory]
    case .serial, .threads, .imagezmq: []
    }
  }

  /// Checks that `descriptors` are, in number and kind, what a camera of `kind` is handed.
  /// With a `shape`, the shared mapping must also hold exactly the bytes that shape needs.
  public static func check(_ kind: TransportKind, shape: TransportShape? = nil, descriptors: DescriptorSet)
    throws(GridError)
  {
    let kinds = cameraDescriptorKinds(kind)
    guard !kinds.isEmpty else {
      throw .usage("transport '\(kind.rawValue)' does not use camera processes")
    }
    guard descriptors.count == kinds.count else {
      throw .usage(
        "transport '\(kind.rawValue)' hands a camera \(kinds.count) descriptors, not \(descriptors.count)")
    }
    for (index, expected) in kinds.enumerated() {
      guard let fd = descriptors[index] else { throw .usage("descriptor \(index) is missing") }
      do {
        try FileDescriptors.expect(expected, fd)
        if expected == .memfd, let shape, let size = mappingBytes(kind, shape: shape) {
          try FileDescriptors.expect(size: size, fd)
        }
      } catch {
        throw .usage("\(kind.rawValue) camera: \(error)")
      }
    }
  }

  /// The size of the shared mapping a camera of `kind` maps, or nil if it maps none.
  static func mappingBytes(_ kind: TransportKind, shape: TransportShape) -> Int? {
    switch kind {
    case .shmRing: RingLayout.bytesNeeded(shape: shape)
    case .shmPipe, .shmMqueue: SlotLayout(shape: shape).totalBytes
    case .serial, .threads, .pipe, .zmq, .imagezmq: nil
    }
  }

  /// A camera process's side of `kind`. It takes ownership of every descriptor in `descriptors`
  /// after checking each is of the kind it must be.
  public static func attach(
    _ kind: TransportKind, shape: TransportShape, camera: Int, descriptors: DescriptorSet,
    watch: CameraSideWatch
  ) throws -> FramePublisher {
    try check(kind, descriptors: descriptors)
    func take(_ index: Int) -> OwnedDescriptor { descriptors.take(at: index)! }
    switch kind {
    case .pipe: return PipePublisher(shape: shape, writeEnd: take(0))
    case .shmPipe:
      return try SharedSlotPublisher(
        shape: shape, camera: camera, memory: take(0), channel: .pipe(take(1)), watch: watch)
    case .shmMqueue:
      return try SharedSlotPublisher(
        shape: shape, camera: camera, memory: take(0), channel: .messageQueue(take(1)), watch: watch)
    case .shmRing:
      return try RingPublishers.make(shape: shape, camera: camera, memory: take(0), watch: watch)
    case .zmq:
      return try ZMQLocalTransport.attach(shape: shape, camera: camera, directory: take(0), watch: watch)
    case .serial, .threads, .imagezmq:
      throw GridError.usage("transport '\(kind.rawValue)' does not use camera processes")
    }
  }
}

/// Reads exactly `buffer.count` bytes from a non-blocking descriptor, waiting in bounded steps
/// that ask the watchdog about `camera`. End of file means the camera's end is closed: it is gone.
func readExactly(
  _ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, camera: Int, watchdog: Watchdog
) throws {
  var done = 0
  while done < buffer.count {
    let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
    if let count = try FileDescriptors.readSome(fd, into: rest) {
      if count == 0 { throw watchdog.lost(camera: camera) }
      done += count
      continue
    }
    if try FileDescriptors.waitReadable(fd, timeoutMillis: WatchdogTick.millis) { continue }
    if try !watchdog.isAlive(camera: camera), try !FileDescriptors.waitReadable(fd, timeoutMillis: 0) {
      throw watchdog.lost(camera: camera)
    }
  }
}
