import GridCore
import GridPosix
import Synchronization

/// One transport, whole: its name, what it can do, and how each side of a run is built on it.
/// Each transport's folder declares one, and `TransportTable` lists them, so adding a transport
/// is one folder and one entry: nothing outside GridTransports asks which transport it runs.
public protocol TransportUnit: Sendable {
  /// The stable CLI name (a contract: the tests pin the built-in ones).
  var name: String { get }
  /// One line for `gridstitch transports`.
  var summary: String { get }
  var traits: TransportTraits { get }
  /// Builds the consumer's side of a run: a receiver ready to stitch from, or a transport whose
  /// camera processes the run must start first.
  func makeConsumer(_ request: ConsumerRequest) throws -> ConsumerSide
  /// What a camera process of this transport is handed, in order (none: it has no camera
  /// processes). A camera checks each with `fstat` before it maps or reads anything.
  var cameraDescriptorKinds: [DescriptorKind] { get }
  /// The size of the shared mapping a camera maps from its memfd, or nil if it maps none.
  func mappingBytes(shape: TransportShape) -> Int?
  /// A camera process's side: it consumes the checked `ends` and moves each into the part of
  /// the publisher that owns it from then on.
  func attach(shape: TransportShape, camera: Int, ends: consuming CameraEnds, watch: CameraSideWatch) throws
    -> FramePublisher
}

extension TransportUnit {
  public var cameraDescriptorKinds: [DescriptorKind] { [] }
  public func mappingBytes(shape: TransportShape) -> Int? { nil }
  public func attach(shape: TransportShape, camera: Int, ends: consuming CameraEnds, watch: CameraSideWatch)
    throws -> FramePublisher
  {
    throw GridError.usage("transport '\(name)' does not use camera processes")
  }
}

/// A transport whose cameras are processes the run starts: it makes the consumer's shared
/// resources (before any camera starts), and the run forks or spawns a camera for each
/// `withDescriptors(forCamera:)`.
public protocol ProcessTransportUnit: TransportUnit {
  func makeCore(shape: TransportShape) throws -> any ProcessTransportCore
}

extension ProcessTransportUnit {
  public func makeConsumer(_ request: ConsumerRequest) throws -> ConsumerSide {
    guard request.hub == nil else { throw GridError.usage("transport '\(name)' does not wait for cameras") }
    return .launch(ProcessTransport(core: try makeCore(shape: request.shape)))
  }
}

/// What a run gives a transport to build its consumer's side from.
public struct ConsumerRequest {
  public var shape: TransportShape
  /// The run's cameras, for transports that run them in the consumer's process (none for a hub).
  public var cameras: [Camera]
  public var frames: Int
  public var watchdog: Watchdog
  /// The start line of in-process cameras.
  public var startLine: StartLine
  /// Set when the run waits for cameras it does not start.
  public var hub: HubOrders?

  public init(
    shape: TransportShape, cameras: [Camera], frames: Int, watchdog: Watchdog, startLine: StartLine,
    hub: HubOrders? = nil
  ) {
    self.shape = shape
    self.cameras = cameras
    self.frames = frames
    self.watchdog = watchdog
    self.startLine = startLine
    self.hub = hub
  }
}

/// What a hub is told: whom it waits for, and how.
public enum HubOrders {
  /// Cameras on other hosts (`zmq --listen`).
  case cameras(RemoteCameraOrders)
  /// Unchanged imagezmq senders.
  case senders(ImageZMQSettings)
}

/// The orders of a hub of remote cameras (`run --transport zmq --listen …`).
public struct RemoteCameraOrders {
  public var endpoint: String
  /// Camera 0's orders: every camera gets these with its own number.
  public var orders: CameraOrders
  public var sceneChecksum: UInt64
  public var security: ZMQRemoteHub.Security?
  public var timeoutNanos: UInt64
  public var stopOnLoss: Bool
  /// How long set-up waits for every camera to join.
  public var waitNanos: UInt64
  public var log: @Sendable (String) -> Void

  public init(
    endpoint: String, orders: CameraOrders, sceneChecksum: UInt64, security: ZMQRemoteHub.Security?,
    timeoutNanos: UInt64, stopOnLoss: Bool, waitNanos: UInt64, log: @escaping @Sendable (String) -> Void
  ) {
    self.endpoint = endpoint
    self.orders = orders
    self.sceneChecksum = sceneChecksum
    self.security = security
    self.timeoutNanos = timeoutNanos
    self.stopOnLoss = stopOnLoss
    self.waitNanos = waitNanos
    self.log = log
  }
}

/// The consumer's side of a run, as its transport built it.
public enum ConsumerSide: ~Copyable {
  /// Ready to stitch from: in-process cameras, or a hub whose cameras have all joined.
  case ready(FrameReceiver)
  /// Camera processes must start on this transport's descriptors before its receiver is made.
  case launch(ProcessTransport)
}

/// The transports a run can name: the built-in ones, in the order `gridstitch transports` lists
/// them, then any a program registers (a test's own, for example).
public enum TransportTable {
  /// The built-in transports: one entry per folder of GridTransports.
  public static let builtIn: [TransportKind] = [
    .serial, .threads, .pipe, .shmMqueue, .shmPipe, .shmRing, .zmq, .imagezmq,
  ]

  private static let registered = Mutex<[TransportKind]>([])

  /// Adds `kind` to the table, so `TransportKind(rawValue:)` finds it by name. A name already in
  /// the table is refused.
  public static func register(_ kind: TransportKind) throws(GridError) {
    try registered.withLock { (registered) throws(GridError) in
      guard !(builtIn + registered).contains(where: { $0.rawValue == kind.rawValue }) else {
        throw .usage("transport '\(kind.rawValue)' is in the table already")
      }
      registered.append(kind)
    }
  }

  /// Every transport: the built-in ones, then the registered ones.
  public static var kinds: [TransportKind] { builtIn + registered.withLock { $0 } }
}
