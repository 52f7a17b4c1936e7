import GridCore
import GridPosix
import SystemPackage

/// What each process transport does in the consumer, behind `ProcessTransport`.
public protocol ProcessTransportCore: AnyObject {
  /// Lends camera `camera`'s descriptors to `body`, in the order `ProcessTransports.attach`
  /// expects; they stay owned by the transport.
  func withDescriptors<R>(forCamera camera: Int, _ body: ([FileDescriptor]) throws -> R) throws -> R
  func closeCameraEnds()
  /// Moves the consumer's ends into the receiver: called once, by `ProcessTransport`.
  func makeReceiver(watchdog: Watchdog) throws -> FrameReceiver
}

/// A transport whose cameras are other processes. The consumer creates it (before any camera
/// starts), hands each camera its descriptors inside `withDescriptors(forCamera:)` (inherited over
/// a fork made there, or dup'ed to 3, 4, … for a camera spawned there), drops its copies of the
/// camera-side ends, then turns it into its receiver — once: `makeReceiver` consumes the
/// transport, so a second call does not compile. The camera takes what it was handed as one
/// `CameraEnds`, which `ProcessTransports.attach` consumes.
public struct ProcessTransport: ~Copyable {
  private let core: ProcessTransportCore

  /// Creates the shared resources of `kind` in the consumer.
  public init(_ kind: TransportKind, shape: TransportShape) throws {
    guard let unit = kind.unit as? any ProcessTransportUnit else {
      throw GridError.usage("transport '\(kind.rawValue)' does not use camera processes")
    }
    core = try unit.makeCore(shape: shape)
  }

  /// Wraps what a transport unit made (`ProcessTransportUnit.makeCore`).
  public init(core: any ProcessTransportCore) { self.core = core }

  /// Lends what camera `camera` needs, in the order `ProcessTransports.attach` expects, to `body`,
  /// which starts the camera (a fork or a spawn); the descriptors stay owned by the transport.
  public func withDescriptors<R>(forCamera camera: Int, _ body: ([FileDescriptor]) throws -> R) throws -> R {
    try core.withDescriptors(forCamera: camera, body)
  }

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
    kind.unit.cameraDescriptorKinds
  }

  /// Checks that `ends` are, in number and kind, what a camera of `kind` is handed.
  /// With a `shape`, the shared mapping must also hold exactly the bytes that shape needs.
  public static func check(_ kind: TransportKind, shape: TransportShape? = nil, ends: borrowing CameraEnds)
    throws(GridError)
  {
    try ends.withDescriptors { (descriptors) throws(GridError) in
      try check(kind, shape: shape, descriptors: descriptors)
    }
  }

  private static func check(_ kind: TransportKind, shape: TransportShape?, descriptors: [FileDescriptor])
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
    for (fd, expected) in zip(descriptors, kinds) {
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
    kind.unit.mappingBytes(shape: shape)
  }

  /// A camera process's side of `kind`. It consumes `ends`, after checking each is of the kind it
  /// must be, and moves each end into the part of the publisher that owns it from then on; an
  /// end it refuses is closed.
  public static func attach(
    _ kind: TransportKind, shape: TransportShape, camera: Int, ends: consuming CameraEnds,
    watch: CameraSideWatch
  ) throws -> FramePublisher {
    try check(kind, ends: ends)
    return try kind.unit.attach(shape: shape, camera: camera, ends: ends, watch: watch)
  }
}

/// Reads exactly `buffer.count` bytes from a non-blocking descriptor, waiting in bounded steps
/// that ask the watchdog about `camera`. End of file means the camera's end is closed: it is gone.
public func readExactly(
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
