import GridCore
import GridPosix
import SystemPackage

/// A transport whose cameras are other processes. The consumer creates it (before any camera
/// starts), hands each camera its descriptors (inherited over fork, or dup'ed to 3, 4, … for a
/// spawned camera), then drops its copies of the camera-side ends.
public protocol ProcessTransport: AnyObject {
  /// What camera `camera` needs, in the order `ProcessTransports.attach` expects.
  func descriptors(forCamera camera: Int) -> [FileDescriptor]
  /// After every camera has started: close the consumer's copies of camera-side ends.
  func closeCameraEnds()
  /// The consumer's side.
  func makeReceiver(watchdog: Watchdog) throws -> FrameReceiver
}

/// How a camera process waits: bounded, re-checking that the consumer is still its parent.
public struct CameraSideWatch: Sendable {
  public let parent: Int32

  public init(parent: Int32) { self.parent = parent }

  public func consumerIsAlive() -> Bool { ProcessIdentity.parentPid == parent }

  public func consumerGone() -> GridError { .runtime("consumer (pid \(parent)) is gone") }
}

public enum ProcessTransports {
  /// Creates the shared resources of `kind` in the consumer.
  public static func create(_ kind: TransportKind, shape: TransportShape) throws -> ProcessTransport {
    switch kind {
    case .pipe: try PipeTransport(shape: shape)
    case .shmPipe: try SharedSlotTransport(shape: shape, channel: .pipe)
    case .shmMqueue: try SharedSlotTransport(shape: shape, channel: .messageQueue)
    case .shmRing: try RingTransport(shape: shape)
    case .serial, .threads:
      throw GridError.usage("transport '\(kind.rawValue)' does not use camera processes")
    }
  }

  /// A camera process's side of `kind`, from the descriptors it was handed.
  public static func attach(
    _ kind: TransportKind, shape: TransportShape, camera: Int, descriptors: [FileDescriptor],
    watch: CameraSideWatch
  ) throws -> FramePublisher {
    switch kind {
    case .pipe: try PipePublisher(shape: shape, descriptors: descriptors)
    case .shmPipe:
      try SharedSlotPublisher(
        shape: shape, camera: camera, channel: .pipe, descriptors: descriptors, watch: watch)
    case .shmMqueue:
      try SharedSlotPublisher(
        shape: shape, camera: camera, channel: .messageQueue, descriptors: descriptors, watch: watch)
    case .shmRing: try RingPublisher(shape: shape, camera: camera, descriptors: descriptors, watch: watch)
    case .serial, .threads:
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
