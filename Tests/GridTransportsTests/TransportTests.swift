import Glibc
import GridCore
import GridPosix
import GridTransports
import SystemPackage
import Testing

/// The inter-process transports driven inside one process: camera threads attach through
/// duplicated descriptors exactly as a camera process would. Checks the hand-over logic itself
/// and that creating and dropping a transport leaks no descriptor.
@Suite(.serialized) struct TransportTests {
  static let geometry = FrameGeometry(width: 64, height: 48, channels: 1)

  static func cameras(_ count: Int) throws -> [Camera] {
    var pixels = [UInt8](repeating: 0, count: 256 * 192)
    for index in pixels.indices { pixels[index] = UInt8(truncatingIfNeeded: index &* 40503 >> 7) }
    let scene = try Scene(width: 256, height: 192, channels: 1, pixels: pixels)
    let renderer = try CameraRenderer(scene: scene, geometry: geometry, cameras: count)
    return (0..<count).map {
      Camera(
        orders: CameraOrders(
          camera: $0, cameras: count, geometry: geometry, frames: 1, load: .none, workMicros: 0),
        renderer: renderer)
    }
  }

  /// Attaches camera `camera` to `transport` in this process, on duplicates of its descriptors.
  static func attach(
    _ kind: TransportKind, _ transport: borrowing ProcessTransport, shape: TransportShape, camera: Int
  ) throws -> FramePublisher {
    let copies = try transport.withDescriptors(forCamera: camera) { lent in
      lent.map { FileDescriptor(rawValue: fcntl($0.rawValue, F_DUPFD_CLOEXEC, 32)) }
    }
    return try ProcessTransports.attach(
      kind, shape: shape, camera: camera, ends: CameraEnds(taking: copies),
      watch: CameraSideWatch(parent: getppid()))
  }

  final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
  }

  @Test(.timeLimit(.minutes(1)), arguments: [TransportKind.pipe, .shmPipe, .shmMqueue, .shmRing, .zmq])
  func lockstepDeliversEveryFrameInOrder(kind: TransportKind) throws {
    let fdsBefore = FileDescriptors.openDescriptors()
    do {
      let shape = TransportShape(cameras: 3, geometry: Self.geometry, slots: 4)
      let transport = try ProcessTransport(kind, shape: shape)
      let cameras = try Self.cameras(3)
      let publishers = try (0..<3).map { Box(try Self.attach(kind, transport, shape: shape, camera: $0)) }
      let receiver = try transport.makeReceiver(watchdog: StopSignalWatchdog())
      let frames = 300
      let threads = try (0..<3).map { index in
        try GridPosix.Thread {
          try? cameras[index].run(frames: frames, publisher: publishers[index].value, start: 0)
        }
      }
      for sequence in 0..<frames {
        for camera in 0..<3 {
          try receiver.withNextFrame(from: camera) { header, pixels in
            try FrameVerifier.check(
              header, pixels: pixels, camera: camera, sequence: UInt64(sequence), geometry: Self.geometry)
          }
        }
      }
      threads.forEach { $0.join() }
      publishers.forEach { $0.value = DummyPublisher() }
    }
    #expect(FileDescriptors.openDescriptors() == fdsBefore, "a descriptor leaked")
  }

  /// `latest` with a consumer far slower than its cameras: whole frames only, each camera's sequence
  /// strictly increasing, and frames really dropped.
  @Test(.timeLimit(.minutes(1)))
  func latestNeverTears() throws {
    let shape = TransportShape(cameras: 2, geometry: Self.geometry, slots: 4, policy: .latest)
    let transport = try ProcessTransport(.shmRing, shape: shape)
    let cameras = try Self.cameras(2)
    let publishers = try (0..<2).map { Box(try Self.attach(.shmRing, transport, shape: shape, camera: $0)) }
    let receiver = try transport.makeReceiver(watchdog: StopSignalWatchdog())
    let threads = try (0..<2).map { index in
      try GridPosix.Thread {
        try? cameras[index].run(frames: Int.max, publisher: publishers[index].value, start: 0)
      }
    }
    var last = [Int64](repeating: -1, count: 2)
    for _ in 0..<200 {
      for camera in 0..<2 {
        try receiver.withNextFrame(from: camera) { header, pixels in
          #expect(Int64(header.sequence) > last[camera])
          last[camera] = Int64(header.sequence)
          // Dwell on the slot so the camera laps the ring while it is held.
          MonotonicClock.spin(micros: 50)
          try FrameVerifier.check(
            header, pixels: pixels, camera: camera, sequence: header.sequence, geometry: Self.geometry)
        }
      }
    }
    receiver.finish()
    threads.forEach { $0.join() }
    #expect(receiver.droppedFrames > 0)
  }

  /// A camera checks every descriptor it is handed before it uses one: /dev/null is no pipe nor
  /// a folder, a pipe is no memfd, and a memfd of the wrong size is refused before it is mapped.
  @Test(arguments: [TransportKind.pipe, .shmPipe, .shmMqueue, .shmRing, .zmq])
  func attachRefusesDescriptorsOfTheWrongKind(kind: TransportKind) throws {
    let fdsBefore = FileDescriptors.openDescriptors()
    do {
      let shape = TransportShape(cameras: 1, geometry: Self.geometry, slots: 4)
      let count = ProcessTransports.cameraDescriptorKinds(kind).count
      let handed = (0..<count).map { _ in FileDescriptor(rawValue: open("/dev/null", O_RDWR | O_CLOEXEC)) }
      #expect(throws: GridError.self) {
        _ = try ProcessTransports.attach(
          kind, shape: shape, camera: 0, ends: CameraEnds(taking: handed),
          watch: CameraSideWatch(parent: getppid()))
      }
      #expect(!handed.contains { fcntl($0.rawValue, F_GETFD) != -1 }, "refused ends are closed")
      // The right kinds, but a memfd that is smaller than the geometry needs.
      if kind == .shmRing {
        let small = try SharedMemory(name: "gridstitch-test", size: 4096)
        let wrong = small.withDescriptor { FileDescriptor(rawValue: fcntl($0.rawValue, F_DUPFD_CLOEXEC, 32)) }
        #expect(throws: SyscallError.self) {
          _ = try ProcessTransports.attach(
            kind, shape: shape, camera: 0, ends: CameraEnds(taking: [wrong]),
            watch: CameraSideWatch(parent: getppid()))
        }
        #expect(fcntl(wrong.rawValue, F_GETFD) == -1, "a refused memfd is closed")
      }
    }
    #expect(FileDescriptors.openDescriptors() == fdsBefore, "a descriptor leaked")
  }

  /// The built-in transports' names (a test may register one of its own after them).
  @Test func transportKindNamesAreTheContract() {
    let builtIn = TransportTable.builtIn
    #expect(
      builtIn.map(\.rawValue) == [
        "serial", "threads", "pipe", "shm-mqueue", "shm-pipe", "shm-ring", "zmq", "imagezmq",
      ])
    #expect(Array(TransportKind.allCases.prefix(builtIn.count)) == builtIn)
    #expect(builtIn.filter(\.usesProcesses).count == 5)
    #expect(builtIn.allSatisfy { TransportKind(rawValue: $0.rawValue) == $0 })
    // A hub's senders are started by someone else: bench and the transport tests leave it out.
    #expect(
      TransportKind.selfContained.filter(builtIn.contains) == [
        .serial, .threads, .pipe, .shmMqueue, .shmPipe, .shmRing, .zmq,
      ])
    #expect(!TransportKind.imagezmq.carriesFrameHeaders)
  }
}

final class DummyPublisher: FramePublisher {
  func publish(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws {}
}
