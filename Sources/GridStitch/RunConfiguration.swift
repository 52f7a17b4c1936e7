import GridCore
import GridTransports

/// How camera processes are started.
public enum LaunchMode: String, CaseIterable, Sendable {
  /// Forked before the consumer starts any thread; the camera inherits the transport.
  case fork
  /// Fresh processes of the same executable (`gridstitch produce …`), attached by inherited descriptors.
  case spawn
}

/// What the consumer does when a camera dies.
public enum CameraLossPolicy: String, CaseIterable, Sendable {
  /// Stop everything, name the camera, exit 1.
  case stop
  /// Keep stitching; the camera's tile becomes a NO SIGNAL card.
  case `continue`
}

/// Everything `gridstitch run` is asked to do. `validate()` is the one place the limits live.
public struct RunConfiguration: Sendable {
  public var transport: TransportKind = .shmRing
  public var launch: LaunchMode = .fork
  public var cameras = 16
  public var frames = 1000
  public var geometry = FrameGeometry(width: 320, height: 240, channels: 1)
  public var load: CameraLoad = .io
  public var workMicros = 1000
  public var verify = false
  public var snapshotEvery = 0
  public var outputDirectory = "output"
  public var scenePath: String?
  public var slots = 4
  public var policy: DeliveryPolicy = .lockstep
  public var onCameraLoss: CameraLossPolicy = .stop
  public var fault: Fault?
  /// Draw a progress bar on stderr (only honoured when stderr is a terminal).
  public var progress = true
  /// Set by `bench` for the runs it starts: die with that process, as cameras die with us.
  public var parent: Int32?
  /// Test only (`--slow-disk-ms`, hidden): the snapshot writer sleeps this long before each
  /// `fsync`, as a slow disk would make it wait.
  public var slowDiskMillis = 0

  public init() {}

  public static let maxCameras = 64
  public static let maxGridBytes = 1 << 30
  public static let maxSide = 16384
  /// Grids in one run. Each camera stamps its frame number in six digits ("F000123") and
  /// snapshots are named `grid-NNNNNN.png`, so past a million grids stamps repeat and names stop
  /// sorting. A million is also long enough for a soak: 16 M frames, about 18 minutes at the
  /// default `io` load.
  public static let maxFrames = 1_000_000

  public var shape: TransportShape {
    TransportShape(cameras: cameras, geometry: geometry, slots: slots, policy: policy)
  }

  public func validate() throws(GridError) {
    guard (1...Self.maxCameras).contains(cameras) else {
      throw .usage("--cameras \(cameras) is out of range: use 1 to \(Self.maxCameras)")
    }
    guard (1...Self.maxFrames).contains(frames) else {
      throw .usage("--frames \(frames) is out of range: use 1 to \(Self.maxFrames)")
    }
    guard (1...Self.maxSide).contains(geometry.width) else {
      throw .usage("--width \(geometry.width) is out of range: use 1 to \(Self.maxSide)")
    }
    guard (1...Self.maxSide).contains(geometry.height) else {
      throw .usage("--height \(geometry.height) is out of range: use 1 to \(Self.maxSide)")
    }
    guard geometry.channels == 1 || geometry.channels == 3 else {
      throw .usage("--channels \(geometry.channels) is not accepted: use 1 (grey) or 3 (RGB)")
    }
    let layout = GridLayout(cameras: cameras)
    let gridBytes = layout.gridBytes(geometry)
    guard gridBytes <= Self.maxGridBytes else {
      throw .usage(
        "a \(layout.rows)x\(layout.cols) grid of \(geometry.width)x\(geometry.height)x\(geometry.channels) frames "
          + "is \(gridBytes) bytes: the limit is 1 GiB (\(Self.maxGridBytes) bytes)")
    }
    guard (0...10_000_000).contains(workMicros) else {
      throw .usage("--work-us \(workMicros) is out of range: use 0 to 10000000")
    }
    guard snapshotEvery >= 0 else {
      throw .usage("--snapshot-every \(snapshotEvery) is out of range: use 0 (none) or more")
    }
    guard slots >= 2, slots <= 256, slots & (slots - 1) == 0 else {
      throw .usage("--slots \(slots) is not accepted: use a power of two from 2 to 256")
    }
    if policy == .latest {
      guard transport == .shmRing else {
        throw .usage("--policy latest is not accepted with --transport \(transport.rawValue): only shm-ring")
      }
      guard slots >= 4 else { throw .usage("--slots \(slots) is too few for --policy latest: use 4 or more") }
    }
    guard (0...60_000).contains(slowDiskMillis) else {
      throw .usage("--slow-disk-ms \(slowDiskMillis) is out of range: use 0 to 60000")
    }
    if let fault, !(0..<cameras).contains(fault.camera) {
      throw .usage("--fault \(fault) names camera \(fault.camera): use 0 to \(cameras - 1)")
    }
    guard !outputDirectory.isEmpty else { throw .usage("--output '' is not accepted: name a folder") }
  }
}
