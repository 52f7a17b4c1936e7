import GridCore
import GridPosix
import SystemPackage

/// `shm-pipe` and `shm-mqueue`: one shared-memory frame slot per camera (one memfd for all),
/// handed between camera and consumer by two process-shared semaphores, `empty` and `full`; the
/// header travels beside it through a pipe or a POSIX message queue. One frame in flight per
/// camera, as in the seed (mp.Array + lock, metadata through mp.Pipe or mp.Queue).
final class SharedSlotTransport: ProcessTransport {
  enum Channel { case pipe, messageQueue }

  private let shape: TransportShape
  private let channel: Channel
  private let memory: SharedMemory
  private var headerReadEnds: [FileDescriptor] = []
  private var headerWriteEnds: [FileDescriptor] = []
  private var queues: [MessageQueue] = []

  init(shape: TransportShape, channel: Channel) throws {
    self.shape = shape
    self.channel = channel
    let layout = SlotLayout(shape: shape)
    self.memory = try SharedMemory(name: "gridstitch-slots", size: layout.totalBytes)
    for camera in 0..<shape.cameras {
      _ = try ProcessSharedSemaphore.initialize(at: layout.emptySemaphore(memory.base, camera), value: 1)
      _ = try ProcessSharedSemaphore.initialize(at: layout.fullSemaphore(memory.base, camera), value: 0)
      switch channel {
      case .pipe:
        let (readEnd, writeEnd) = try FileDescriptors.pipe()
        try FileDescriptors.setNonBlocking(readEnd)
        headerReadEnds.append(readEnd)
        headerWriteEnds.append(writeEnd)
      case .messageQueue:
        queues.append(try MessageQueue(capacity: 2, messageSize: FrameHeader.wireSize))
      }
    }
  }

  deinit {
    closeCameraEnds()
    headerReadEnds.forEach(FileDescriptors.close)
  }

  func descriptors(forCamera camera: Int) -> [FileDescriptor] {
    switch channel {
    case .pipe: [memory.descriptor, headerWriteEnds[camera]]
    case .messageQueue: [memory.descriptor, FileDescriptor(rawValue: queues[camera].descriptor)]
    }
  }

  func closeCameraEnds() {
    headerWriteEnds.forEach(FileDescriptors.close)
    headerWriteEnds = []
  }

  func makeReceiver(watchdog: Watchdog) throws -> FrameReceiver {
    let receiver = SharedSlotReceiver(
      shape: shape, memory: memory, headerReadEnds: headerReadEnds, queues: queues, watchdog: watchdog)
    headerReadEnds = []
    return receiver
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
  private let headerReadEnds: [FileDescriptor]
  private let queues: [MessageQueue]
  private let watchdog: Watchdog
  private let header = UnsafeMutableRawBufferPointer.allocate(byteCount: FrameHeader.wireSize, alignment: 8)

  init(
    shape: TransportShape, memory: SharedMemory, headerReadEnds: [FileDescriptor], queues: [MessageQueue],
    watchdog: Watchdog
  ) {
    self.geometry = shape.geometry
    self.memory = memory
    self.layout = SlotLayout(shape: shape)
    self.headerReadEnds = headerReadEnds
    self.queues = queues
    self.watchdog = watchdog
  }

  deinit {
    headerReadEnds.forEach(FileDescriptors.close)
    header.deallocate()
  }

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
      try readExactly(headerReadEnds[camera], into: header, camera: camera, watchdog: watchdog)
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
  private let memory: SharedMemory
  private let layout: SlotLayout
  private let camera: Int
  private let headerWriteEnd: FileDescriptor?
  private let queue: MessageQueue?
  private let watch: CameraSideWatch
  private let header = UnsafeMutableRawBufferPointer.allocate(byteCount: FrameHeader.wireSize, alignment: 8)

  init(
    shape: TransportShape, camera: Int, channel: SharedSlotTransport.Channel, descriptors: [FileDescriptor],
    watch: CameraSideWatch
  ) throws {
    guard descriptors.count == 2 else { throw GridError.runtime("slot camera needs 2 descriptors") }
    self.layout = SlotLayout(shape: shape)
    self.memory = try SharedMemory(attaching: descriptors[0], size: layout.totalBytes)
    self.camera = camera
    self.watch = watch
    switch channel {
    case .pipe:
      headerWriteEnd = descriptors[1]
      queue = nil
    case .messageQueue:
      headerWriteEnd = nil
      queue = MessageQueue(inherited: descriptors[1].rawValue, messageSize: FrameHeader.wireSize)
    }
  }

  deinit {
    if let headerWriteEnd { FileDescriptors.close(headerWriteEnd) }
    header.deallocate()
  }

  func publish(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws {
    let empty = ProcessSharedSemaphore.attach(at: layout.emptySemaphore(memory.base, camera))
    while try !empty.wait(timeoutNanos: WatchdogTick.nanos) {
      if !watch.consumerIsAlive() { throw watch.consumerGone() }
    }
    var frame = FrameHeader.zero
    try fill(&frame, layout.pixels(memory.base, camera))
    frame.encode(into: header.baseAddress!)
    if let headerWriteEnd {
      try FileDescriptors.writeAll(headerWriteEnd, UnsafeRawBufferPointer(header))
    } else if let queue {
      while try !queue.send(UnsafeRawBufferPointer(header), timeoutNanos: WatchdogTick.nanos) {
        if !watch.consumerIsAlive() { throw watch.consumerGone() }
      }
    }
    try ProcessSharedSemaphore.attach(at: layout.fullSemaphore(memory.base, camera)).post()
  }
}
