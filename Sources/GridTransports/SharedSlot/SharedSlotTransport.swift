import GridCore
import GridPosix
import SystemPackage

/// `shm-pipe` and `shm-mqueue`: one shared-memory frame slot per camera (one memfd for all),
/// handed between camera and consumer by two process-shared semaphores, `empty` and `full`; the
/// header travels beside it through a pipe or a POSIX message queue. One frame in flight per
/// camera, as in the seed (mp.Array + lock, metadata through mp.Pipe or mp.Queue).
final class SharedSlotTransport: ProcessTransportCore {
  enum Channel { case pipe, messageQueue }

  private let shape: TransportShape
  private let channel: Channel
  private let memory: SharedMemory
  private let headerReadEnds: DescriptorSet
  private let headerWriteEnds: DescriptorSet
  private var queues: [MessageQueue] = []

  init(shape: TransportShape, channel: Channel) throws {
    self.shape = shape
    self.channel = channel
    let layout = SlotLayout(shape: shape)
    self.memory = try SharedMemory(name: "gridstitch-slots", size: layout.totalBytes)
    headerReadEnds = DescriptorSet(count: shape.cameras)
    headerWriteEnds = DescriptorSet(count: shape.cameras)
    for camera in 0..<shape.cameras {
      _ = try ProcessSharedSemaphore.initialize(at: layout.emptySemaphore(memory.base, camera), value: 1)
      _ = try ProcessSharedSemaphore.initialize(at: layout.fullSemaphore(memory.base, camera), value: 0)
      switch channel {
      case .pipe:
        let ends = try PipeEnds()
        try ends.readEnd.withDescriptor { (readEnd) throws(SyscallError) in
          try FileDescriptors.setNonBlocking(readEnd)
        }
        headerReadEnds.adopt(ends.readEnd, at: camera)
        headerWriteEnds.adopt(ends.writeEnd, at: camera)
      case .messageQueue:
        queues.append(try MessageQueue(capacity: 2, messageSize: FrameHeader.wireSize))
      }
    }
  }

  func withDescriptors<R>(forCamera camera: Int, _ body: ([FileDescriptor]) throws -> R) throws -> R {
    try memory.withDescriptor { memory in
      switch channel {
      case .pipe: try headerWriteEnds.withDescriptors(at: [camera]) { try body([memory] + $0) }
      case .messageQueue: try queues[camera].withDescriptor { try body([memory, $0]) }
      }
    }
  }

  func closeCameraEnds() { headerWriteEnds.closeAll() }

  func makeReceiver(watchdog: Watchdog) throws -> FrameReceiver {
    SharedSlotReceiver(
      shape: shape, memory: memory, headerReadEnds: headerReadEnds, queues: queues, watchdog: watchdog)
  }
}

/// Where each camera's semaphores and pixels sit in the mapping; every part 64-byte aligned.
struct SlotLayout {
  let slotBytes: Int
  let cameras: Int
  let pixelBytes: Int

  init(shape: TransportShape) {
    precondition(ProcessSharedSemaphore.size <= 64)
    pixelBytes = shape.geometry.bytesPerFrame
    slotBytes = 128 + (pixelBytes + 63) / 64 * 64
    cameras = shape.cameras
  }

  var totalBytes: Int { slotBytes * cameras }

  func emptySemaphore(_ base: UnsafeMutableRawPointer, _ camera: Int) -> UnsafeMutableRawPointer {
    base + camera * slotBytes
  }
  func fullSemaphore(_ base: UnsafeMutableRawPointer, _ camera: Int) -> UnsafeMutableRawPointer {
    base + camera * slotBytes + 64
  }
  func pixels(_ base: UnsafeMutableRawPointer, _ camera: Int) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(start: base + camera * slotBytes + 128, count: pixelBytes)
  }
}

final class SharedSlotReceiver: FrameReceiver {
  private let geometry: FrameGeometry
  private let memory: SharedMemory
  private let layout: SlotLayout
  private let headerReadEnds: DescriptorSet
  private let queues: [MessageQueue]
  private let watchdog: Watchdog
  private let header = UnsafeMutableRawBufferPointer.allocate(byteCount: FrameHeader.wireSize, alignment: 8)

  init(
    shape: TransportShape, memory: SharedMemory, headerReadEnds: DescriptorSet, queues: [MessageQueue],
    watchdog: Watchdog
  ) {
    self.geometry = shape.geometry
    self.memory = memory
    self.layout = SlotLayout(shape: shape)
    self.headerReadEnds = headerReadEnds
    self.queues = queues
    self.watchdog = watchdog
  }

  deinit { header.deallocate() }

  func hasFrame(from camera: Int) -> Bool {
    ProcessSharedSemaphore.attach(at: layout.fullSemaphore(memory.base, camera)).isPositive
  }

  func withNextFrame<R>(from camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R) throws
    -> R
  {
    let full = ProcessSharedSemaphore.attach(at: layout.fullSemaphore(memory.base, camera))
    while try !full.wait(timeoutNanos: WatchdogTick.nanos) {
      if try !watchdog.isAlive(camera: camera), try !full.wait(timeoutNanos: 0) {
        throw watchdog.lost(camera: camera)
      }
    }
    try receiveHeader(camera: camera)
    let decoded = FrameHeader(decoding: header.baseAddress!)
    try HeaderCheck.validate(decoded, camera: camera, geometry: geometry)
    defer { try? ProcessSharedSemaphore.attach(at: layout.emptySemaphore(memory.base, camera)).post() }
    return try body(decoded, UnsafeRawBufferPointer(layout.pixels(memory.base, camera)))
  }

  private func receiveHeader(camera: Int) throws {
    if queues.isEmpty {
      try headerReadEnds.withDescriptor(at: camera) { readEnd in
        guard let readEnd else { throw watchdog.lost(camera: camera) }
        try readExactly(readEnd, into: header, camera: camera, watchdog: watchdog)
      }
      return
    }
    while true {
      if let count = try queues[camera].receive(into: header, timeoutNanos: WatchdogTick.nanos) {
        guard count == FrameHeader.wireSize else {
          throw GridError.protocolViolation(camera: camera, reason: "header message of \(count) bytes")
        }
        return
      }
      if try !watchdog.isAlive(camera: camera) { throw watchdog.lost(camera: camera) }
    }
  }
}

final class SharedSlotPublisher: FramePublisher {
  /// How the header travels beside the slot, with the one descriptor that carries it.
  enum HeaderChannel: ~Copyable {
    case pipe(OwnedDescriptor)
    case messageQueue(OwnedDescriptor)
  }

  private let memory: SharedMemory
  private let layout: SlotLayout
  private let camera: Int
  /// The header pipe's write end (shm-pipe), owned; empty for shm-mqueue.
  private let headerWriteEnd = DescriptorSet(count: 1)
  private let queue: MessageQueue?
  private let watch: CameraSideWatch
  private let header = UnsafeMutableRawBufferPointer.allocate(byteCount: FrameHeader.wireSize, alignment: 8)

  init(
    shape: TransportShape, camera: Int, memory: consuming OwnedDescriptor, channel: consuming HeaderChannel,
    watch: CameraSideWatch
  ) throws {
    self.layout = SlotLayout(shape: shape)
    self.camera = camera
    self.watch = watch
    switch consume channel {
    case .pipe(let writeEnd):
      headerWriteEnd.adopt(writeEnd, at: 0)
      queue = nil
    case .messageQueue(let descriptor):
      queue = try MessageQueue(inherited: descriptor, messageSize: FrameHeader.wireSize)
    }
    self.memory = try SharedMemory(attaching: memory, size: layout.totalBytes)
  }

  deinit { header.deallocate() }

  func publish(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws {
    let empty = ProcessSharedSemaphore.attach(at: layout.emptySemaphore(memory.base, camera))
    while try !empty.wait(timeoutNanos: WatchdogTick.nanos) {
      if !watch.consumerIsAlive() { throw watch.consumerGone() }
    }
    var frame = FrameHeader.zero
    try fill(&frame, layout.pixels(memory.base, camera))
    frame.encode(into: header.baseAddress!)
    let wrote = try headerWriteEnd.withDescriptor(at: 0) { headerWriteEnd in
      guard let headerWriteEnd else { return false }
      try FileDescriptors.writeAll(headerWriteEnd, UnsafeRawBufferPointer(header))
      return true
    }
    if !wrote, let queue {
      while try !queue.send(UnsafeRawBufferPointer(header), timeoutNanos: WatchdogTick.nanos) {
        if !watch.consumerIsAlive() { throw watch.consumerGone() }
      }
    }
    try ProcessSharedSemaphore.attach(at: layout.fullSemaphore(memory.base, camera)).post()
  }
}
