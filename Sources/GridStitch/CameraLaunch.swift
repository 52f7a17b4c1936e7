import GridCore
import GridPosix
import GridTransports
import SystemPackage

/// Everything a camera process needs to know, as `gridstitch produce` arguments for a spawned one:
/// its transport, its orders, the consumer it belongs to and how many descriptors it was handed.
public struct CameraProcessSpec: Sendable {
  public var transport: TransportKind
  public var orders: CameraOrders
  public var parent: Int32
  /// How many transport descriptors start at 3; the ready and go pipes and the scene follow them.
  public var descriptorCount: Int
  /// The video file or stream it films (`--source`); nil: the test card.
  public var source: String?
  /// How it treats its source (`--no-loop`, `--rtsp-transport`, `--camera-timeout`).
  public var sourceSettings: SourceSettings

  public init(
    transport: TransportKind, orders: CameraOrders, parent: Int32, descriptorCount: Int,
    source: String? = nil,
    sourceSettings: SourceSettings = SourceSettings()
  ) {
    self.transport = transport
    self.orders = orders
    self.parent = parent
    self.descriptorCount = descriptorCount
    self.source = source
    self.sourceSettings = sourceSettings
  }

  /// The `produce` subcommand's arguments; the CLI parses them back into this.
  public var arguments: [String] {
    [
      "produce", "--transport", transport.rawValue, "--orders", orders.text, "--parent", "\(parent)",
      "--descriptors", "\(descriptorCount)",
    ] + (source.map { ["--source", $0] + sourceSettings.arguments } ?? [])
  }

  /// A spawned camera trusts nothing it was told: the same limits as `run`, and a descriptor
  /// count that is exactly what its transport hands over.
  public func validate() throws(GridError) {
    try RunConfiguration.camera(transport: transport, orders: orders).validate()
    guard (0..<orders.cameras).contains(orders.camera) else {
      throw .usage("camera \(orders.camera) is out of range: use 0 to \(orders.cameras - 1)")
    }
    let expected = ProcessTransports.cameraDescriptorKinds(transport).count
    guard expected > 0 else {
      throw .usage("--transport \(transport.rawValue) does not use camera processes")
    }
    guard descriptorCount == expected else {
      throw .usage(
        "--descriptors \(descriptorCount) is not accepted: \(transport.rawValue) hands over \(expected)")
    }
    guard parent > 1 else { throw .usage("--parent \(parent) is not accepted: name the consumer's pid") }
    if let source, source.isEmpty || source.utf8.count > 4096 {
      throw .usage("--source is not accepted: name a file or URL of 1 to 4096 bytes")
    }
  }
}

/// The start line every camera crosses together: each camera writes one byte to `ready` once
/// attached, then waits on `go`. The consumer releases them with one write of an 8-byte T0 per
/// camera (at most 64 × 8 bytes, under PIPE_BUF, so the write is atomic) and closes its end; each
/// camera reads exactly its 8 bytes. T0 is the CLOCK_MONOTONIC time `genlock` triggers count from.
/// The consumer's side owns all four descriptors (one `DescriptorSet`), so no ending leaks one.
final class StartBarrier {
  enum End: Int {
    case readyRead, readyWrite, goRead, goWrite
  }

  private let ends = DescriptorSet(count: 4)

  init() throws {
    let ready = try PipeEnds()
    let go = try PipeEnds()
    try ready.readEnd.withDescriptor { (readyRead) throws(SyscallError) in
      try FileDescriptors.setNonBlocking(readyRead)
    }
    ends.adopt(ready.readEnd, at: End.readyRead.rawValue)
    ends.adopt(ready.writeEnd, at: End.readyWrite.rawValue)
    ends.adopt(go.readEnd, at: End.goRead.rawValue)
    ends.adopt(go.writeEnd, at: End.goWrite.rawValue)
  }

  /// Lends one end to `body`; nil once closed.
  func withEnd<R, E: Error>(_ end: End, _ body: (FileDescriptor?) throws(E) -> R) throws(E) -> R {
    try ends.withDescriptor(at: end.rawValue, body)
  }

  /// Lends the cameras' two ends (ready's write end, go's read end) to `body`, which starts the
  /// cameras; they leave only into the children made there.
  func withCameraEnds<R>(_ body: (_ readyWrite: FileDescriptor, _ goRead: FileDescriptor) throws -> R) throws
    -> R
  {
    try ends.withDescriptors(at: [End.readyWrite.rawValue, End.goRead.rawValue]) { cameraEnds in
      guard cameraEnds.count == 2 else {
        throw GridError.runtime("start line closed before the cameras started")
      }
      return try body(cameraEnds[0], cameraEnds[1])
    }
  }

  /// Closes one end once; later calls are no-ops.
  func close(_ end: End) { ends.close(at: end.rawValue) }

  /// Releases `cameras` cameras at once with T0 = `start`. A camera that died before the start
  /// leaves the write to fail, unheard; the supervisor names it.
  func release(start: UInt64, cameras: Int) {
    withEnd(.goWrite) { goWrite in
      guard let goWrite else { return }
      let starts = [UInt64](repeating: start.littleEndian, count: cameras)
      _ = try? starts.withUnsafeBytes { try FileDescriptors.writeAll(goWrite, $0) }
    }
    close(.goWrite)
  }

  /// Camera side: it owns its two ends and closes both on the way; returns T0.
  static func arrive(ready: consuming OwnedDescriptor, go: consuming OwnedDescriptor) throws -> UInt64 {
    var byte: UInt8 = 1
    try ready.withDescriptor { ready in
      try withUnsafeBytes(of: &byte) { try FileDescriptors.writeAll(ready, $0) }
    }
    ready.close()
    var start: UInt64 = 0
    var got = 0
    while got < 8 {
      let count = try go.withDescriptor { go in
        try withUnsafeMutableBytes(of: &start) {
          try FileDescriptors.readSome(go, into: UnsafeMutableRawBufferPointer(rebasing: $0[got...]))
        }
      }
      guard let count else { continue }
      if count == 0 { throw GridError.runtime("the consumer closed the start line without a start time") }
      got += count
    }
    go.close()
    return UInt64(littleEndian: start)
  }
}

/// Camera processes: started, handed their descriptors, released together.
enum CameraLaunch {
  /// Starts every camera of `transport` and returns once all are attached and waiting at the
  /// start line. Forking happens here, before the consumer starts any thread.
  static func start(
    _ config: RunConfiguration, transport: borrowing ProcessTransport, cameras: [Camera], scene: SharedScene,
    supervisor: Supervisor
  ) throws -> StartBarrier {
    let barrier = try StartBarrier()
    let parent = ProcessIdentity.pid
    // The descriptors a camera is handed are lent here, and leave only into the child made here.
    try barrier.withCameraEnds { readyWrite, goRead in
      for camera in cameras {
        try transport.withDescriptors(forCamera: camera.index) { descriptors in
          switch config.launch {
          case .fork:
            supervisor.adopt(
              try ChildProcess.fork {
                FileDescriptors.closeAll(except: (descriptors + [readyWrite, goRead]).map(\.rawValue))
                // The child's copies are its own now: one owner each, in this process.
                let ends: CameraEnds
                do {
                  ends = try CameraEnds(taking: descriptors)
                } catch {
                  Console.error("gridstitch: camera \(camera.index): \(error)")
                  return 1
                }
                return CameraProcess.body(
                  transport: config.transport, camera: camera,
                  orders: config.cameraOrders(camera: camera.index),
                  ends: ends, ready: OwnedDescriptor(taking: readyWrite), go: OwnedDescriptor(taking: goRead),
                  parent: parent)
              }, camera: camera.index)
          case .spawn:
            let spec = CameraProcessSpec(
              transport: config.transport, orders: config.cameraOrders(camera: camera.index), parent: parent,
              descriptorCount: descriptors.count, source: camera.source, sourceSettings: camera.sourceSettings
            )
            guard let executable = ResourceUsage.executablePath() else {
              throw GridError.runtime("spawn: cannot find this executable in /proc/self/exe")
            }
            try scene.withDescriptor { scene in
              supervisor.adopt(
                try ChildProcess.spawn(
                  executable: executable, arguments: spec.arguments,
                  descriptors: descriptors + [readyWrite, goRead, scene]),
                camera: camera.index)
            }
          }
        }
      }
    }
    barrier.close(.readyWrite)
    barrier.close(.goRead)
    transport.closeCameraEnds()
    do {
      try awaitReady(barrier, count: cameras.count, supervisor: supervisor)
    } catch {
      // Stopped before the start line closes: a camera that saw `go` end without a start time
      // would report it, one line each, over the one error that matters.
      supervisor.stopAll()
      throw error
    }
    return barrier
  }

  private static func awaitReady(_ barrier: StartBarrier, count: Int, supervisor: Supervisor) throws {
    defer { barrier.close(.readyRead) }
    try barrier.withEnd(.readyRead) { readyRead in
      guard let readyRead else { throw GridError.runtime("start line closed") }
      try awaitReady(readyRead, count: count, supervisor: supervisor)
    }
  }

  private static func awaitReady(_ readyRead: FileDescriptor, count: Int, supervisor: Supervisor) throws {
    var arrived = 0
    var buffer = [UInt8](repeating: 0, count: 64)
    while arrived < count {
      let got = try buffer.withUnsafeMutableBytes {
        try FileDescriptors.readSome(readyRead, into: $0)
      }
      if let got, got > 0 {
        arrived += got
        continue
      }
      if let signal = StopSignals.pending { throw GridError.interrupted(signal: signal) }
      if got == 0 {
        // Every camera has closed its end, and not all arrived: one died. Name it.
        let deadline = MonotonicClock.nanos() + 1_000_000_000
        while MonotonicClock.nanos() < deadline {
          if let dead = supervisor.casualties().first { throw supervisor.lost(camera: dead) }
          MonotonicClock.sleep(micros: 5000)
        }
        throw GridError.runtime("\(count - arrived) cameras left before the start")
      }
      if try !FileDescriptors.waitReadable(readyRead, timeoutMillis: WatchdogTick.millis) {
        if let dead = supervisor.casualties().first { throw supervisor.lost(camera: dead) }
      }
    }
  }
}

/// The camera process's side, forked or spawned: attach, cross the start line, produce, leave.
public enum CameraProcess {
  /// Runs a camera to its end; the process's exit status.
  static func body(
    transport: TransportKind, camera: Camera, orders: CameraOrders, ends: consuming CameraEnds,
    ready: consuming OwnedDescriptor, go: consuming OwnedDescriptor, parent: Int32
  ) -> Int32 {
    StopSignals.ignoreBrokenPipes()
    do {
      let watch = CameraSideWatch(parent: parent)
      let publisher = try ProcessTransports.attach(
        transport, shape: orders.shape, camera: camera.index, ends: ends, watch: watch)
      let start = try StartBarrier.arrive(ready: ready, go: go)
      let count = orders.policy == .latest ? Int.max : orders.frames
      do {
        try camera.run(frames: count, publisher: publisher, start: start)
      } catch is TransportStopped {
        return 0
      }
      return 0
    } catch {
      // The consumer gone, or closing our pipe as it stops us: its error is the one to report.
      if !CameraSideWatch(parent: parent).consumerIsAlive() { return 1 }
      if let failure = error as? SyscallError, failure.errno == .brokenPipe { return 1 }
      Console.error("gridstitch: camera \(camera.index): \(error)")
      if let failure = error as? GridError { return failure.exitCode }
      return 1
    }
  }

  /// `gridstitch produce`: a spawned camera. Descriptors were handed over as 3, 4, …: the
  /// transport's, then the ready and go ends of the start line, then the scene. Everything it was
  /// told is checked before anything is mapped or allocated from it.
  public static func main(_ spec: CameraProcessSpec) throws(GridError) -> Int32 {
    StopSignals.ignoreInterrupt()
    try spec.validate()
    guard ProcessIdentity.dieWithParent(expectedParent: spec.parent) else { return 111 }
    let count = spec.descriptorCount
    let ends = try CameraEnds(taking: (0..<count).map { FileDescriptor(rawValue: CInt(3 + $0)) })
    let ready = OwnedDescriptor(taking: FileDescriptor(rawValue: CInt(3 + count)))
    let go = OwnedDescriptor(taking: FileDescriptor(rawValue: CInt(4 + count)))
    let orders = spec.orders
    try ProcessTransports.check(spec.transport, shape: orders.shape, ends: ends)
    do {
      try ready.withDescriptor { (ready) throws(SyscallError) in
        try FileDescriptors.expect(.pipeWriteEnd, ready)
      }
      try go.withDescriptor { (go) throws(SyscallError) in try FileDescriptors.expect(.pipeReadEnd, go) }
    } catch {
      throw .usage("start line: \(error)")
    }
    let scene = try SharedScene.attach(
      OwnedDescriptor(taking: FileDescriptor(rawValue: CInt(5 + count))),
      channels: orders.geometry.channels)
    let renderer = try CameraRenderer(scene: scene, geometry: orders.geometry, cameras: orders.cameras)
    let camera = Camera(
      orders: orders, renderer: renderer, source: spec.source, sourceSettings: spec.sourceSettings)
    return body(
      transport: spec.transport, camera: camera, orders: orders,
      ends: ends, ready: ready, go: go, parent: spec.parent)
  }
}
