import Atomics
import GridCore
import GridPosix
import SystemPackage

/// `shm-ring`: per camera a lock-free ring of slots in one shared memfd mapping. The camera renders
/// straight into a loaned slot, the consumer stitches straight from it: the only copy of a frame's
/// pixels is slot → grid. Waiting spins briefly, then sleeps on a futex with a waiter flag, so a
/// wake-up syscall is made only when the other side is actually asleep.
final class RingTransport: ProcessTransport {
  private let shape: TransportShape
  private let layout: RingLayout
  private let memory: SharedMemory

  init(shape: TransportShape) throws {
    guard shape.slots >= 2, shape.slots <= 256, shape.slots & (shape.slots - 1) == 0 else {
      throw GridError.usage("--slots \(shape.slots) is not accepted: use a power of two from 2 to 256")
    }
    if shape.policy == .latest && shape.slots < 4 {
      throw GridError.usage("--slots \(shape.slots) is too few for --policy latest: use 4 or more")
    }
    guard let bytes = RingLayout.bytesNeeded(shape: shape) else {
      throw GridError.runtime("shm-ring: the mapping for this geometry does not fit in memory")
    }
    self.shape = shape
    self.layout = RingLayout(shape: shape)
    do {
      self.memory = try SharedMemory(name: "gridstitch-ring", size: bytes)
    } catch {
      throw GridError.runtime(
        "shm-ring: cannot map \(bytes) bytes (\(shape.cameras) cameras × \(shape.slots) slots × "
          + "\(shape.geometry.bytesPerFrame) bytes): \(error)")
    }
    layout.writeHeader(memory.base)
  }

  func descriptors(forCamera camera: Int) -> [FileDescriptor] { [memory.descriptor] }

  func closeCameraEnds() {}

  func makeReceiver(watchdog: Watchdog) throws -> FrameReceiver {
    RingReceiver(shape: shape, layout: layout, memory: memory, watchdog: watchdog)
  }
}

final class RingReceiver: FrameReceiver {
  private let geometry: FrameGeometry
  private let policy: DeliveryPolicy
  private let layout: RingLayout
  private let memory: SharedMemory
  private let rings: [RingControl]
  private let watchdog: Watchdog
  private let mask: UInt32
  private var tails: [UInt32]
  private var lastSequence: [Int64]
  private var ownWakeups = 0
  private(set) var droppedFrames = 0

  init(shape: TransportShape, layout: RingLayout, memory: SharedMemory, watchdog: Watchdog) {
    self.geometry = shape.geometry
    self.policy = shape.policy
    self.layout = layout
    self.memory = memory
    self.rings = (0..<shape.cameras).map { layout.ring(memory.base, camera: $0) }
    self.watchdog = watchdog
    self.mask = UInt32(shape.slots - 1)
    self.tails = Array(repeating: 0, count: shape.cameras)
    self.lastSequence = Array(repeating: -1, count: shape.cameras)
  }

  deinit { finish() }

  /// Cameras under `latest` run until told to stop.
  func finish() {
    layout.stopFlag(memory.base).store(1, ordering: .sequentiallyConsistent)
  }

  var wakeups: Int {
    rings.reduce(ownWakeups) { $0 + Int($1.wakeups.load(ordering: .relaxed)) }
  }

  func hasFrame(from camera: Int) -> Bool {
    let ring = rings[camera]
    switch policy {
    case .lockstep:
      return ring.head.load(ordering: .acquiring) != tails[camera]
    case .latest:
      let packed = ring.newest.load(ordering: .acquiring)
      return packed != 0 && Int64((packed - 1) >> 8) > lastSequence[camera]
    }
  }

  func withNextFrame<R>(from camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R) throws
    -> R
  {
    switch policy {
    case .lockstep: try nextInOrder(camera: camera, body)
    case .latest: try newest(camera: camera, body)
    }
  }

  private func nextInOrder<R>(camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R) throws
    -> R
  {
    let ring = rings[camera]
    let tail = tails[camera]
    try waitForHead(ring, toDifferFrom: tail, camera: camera)
    let slot = Int(tail & mask)
    let header = FrameHeader(decoding: ring.slotHeader(slot))
    try HeaderCheck.validate(header, camera: camera, geometry: geometry)
    defer { release(ring, camera: camera, newTail: tail &+ 1) }
    return try body(header, UnsafeRawBufferPointer(ring.pixels(slot)))
  }

  private func release(_ ring: RingControl, camera: Int, newTail: UInt32) {
    tails[camera] = newTail
    ring.tail.store(newTail, ordering: .sequentiallyConsistent)
    // The camera sleeps until half its ring is free; wake it only then, and only once: whoever
    // takes the flag down makes the one wake-up call.
    if ring.producerWaiting.load(ordering: .sequentiallyConsistent) != 0 {
      let head = ring.head.load(ordering: .acquiring)
      if head &- newTail <= UInt32(layout.slots / 2)
        && ring.producerWaiting.exchange(0, ordering: .sequentiallyConsistent) != 0
      {
        Futex.wakeAll(ring.tailWord)
        ownWakeups += 1
      }
    }
  }

  /// Spins, then sleeps on the head futex until `head != value`, asking the watchdog each tick.
  private func waitForHead(_ ring: RingControl, toDifferFrom value: UInt32, camera: Int) throws {
    var spins = 0
    while true {
      if ring.head.load(ordering: .acquiring) != value { return }
      if spins < RingWait.spins {
        spins += 1
        Futex.relax()
        continue
      }
      ring.consumerWaiting.store(1, ordering: .sequentiallyConsistent)
      if ring.head.load(ordering: .sequentiallyConsistent) != value {
        ring.consumerWaiting.store(0, ordering: .relaxed)
        return
      }
      let result = Futex.wait(ring.headWord, expected: value, timeoutNanos: WatchdogTick.nanos)
      ring.consumerWaiting.store(0, ordering: .relaxed)
      if result == .timedOut || result == .interrupted {
        if ring.head.load(ordering: .acquiring) != value { return }
        if try !watchdog.isAlive(camera: camera), ring.head.load(ordering: .acquiring) == value {
          throw watchdog.lost(camera: camera)
        }
      }
    }
  }

  /// `latest`: claims the camera's newest complete frame newer than the last one taken, so the
  /// camera cannot write into it while it is read (it writes another slot instead).
  private func newest<R>(camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R) throws -> R {
    let ring = rings[camera]
    while true {
      let head = ring.head.load(ordering: .sequentiallyConsistent)
      let packed = ring.newest.load(ordering: .acquiring)
      if packed != 0 {
        let sequence = Int64((packed - 1) >> 8)
        let slot = Int((packed - 1) & 0xFF)
        if sequence > lastSequence[camera] {
          let state = ring.slotState(slot)
          if state.compareExchange(
            expected: SlotState.ready, desired: SlotState.reading, ordering: .acquiringAndReleasing
          ).exchanged {
            defer { state.store(SlotState.ready, ordering: .releasing) }
            let header = FrameHeader(decoding: ring.slotHeader(slot))
            try HeaderCheck.validate(header, camera: camera, geometry: geometry)
            guard Int64(header.sequence) == sequence else { continue }
            droppedFrames += Int(sequence - lastSequence[camera] - 1)
            lastSequence[camera] = sequence
            // Tells the camera how far behind we are (see `publishNewest`).
            ring.tail.store(UInt32(truncatingIfNeeded: sequence + 1), ordering: .relaxed)
            return try body(header, UnsafeRawBufferPointer(ring.pixels(slot)))
          }
          continue
        }
      }
      try waitForHead(ring, toDifferFrom: head, camera: camera)
    }
  }
}

/// Thrown in a `latest` camera once the consumer has asked every camera to stop.
public struct RingStopped: Error {}

final class RingPublisher: FramePublisher {
  private let layout: RingLayout
  private let memory: SharedMemory
  private let ring: RingControl
  private let policy: DeliveryPolicy
  private let watch: CameraSideWatch
  private let mask: UInt32
  private var head: UInt32 = 0
  private var lastSlot = -1

  init(shape: TransportShape, camera: Int, descriptors: [FileDescriptor], watch: CameraSideWatch) throws {
    guard descriptors.count == 1 else { throw GridError.runtime("ring camera needs 1 descriptor") }
    self.layout = RingLayout(shape: shape)
    self.memory = try SharedMemory(attaching: descriptors[0], size: layout.totalBytes)
    guard layout.validateHeader(memory.base) else {
      throw GridError.runtime(
        "shm-ring: the mapping handed to camera \(camera) has another layout or version")
    }
    self.ring = layout.ring(memory.base, camera: camera)
    self.policy = shape.policy
    self.watch = watch
    self.mask = UInt32(shape.slots - 1)
  }

  func publish(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws {
    switch policy {
    case .lockstep: try publishInOrder(fill)
    case .latest: try publishNewest(fill)
    }
  }

  private func publishInOrder(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void)
    throws
  {
    try waitForRoom()
    let slot = Int(head & mask)
    var header = FrameHeader.zero
    try fill(&header, ring.pixels(slot))
    header.encode(into: ring.slotHeader(slot))
    advanceHead()
  }

  private func advanceHead() {
    head &+= 1
    ring.head.store(head, ordering: .sequentiallyConsistent)
    // Only the side that takes the flag down wakes: one call per sleep, however many frames
    // are published before the consumer runs again.
    if ring.consumerWaiting.load(ordering: .sequentiallyConsistent) != 0
      && ring.consumerWaiting.exchange(0, ordering: .sequentiallyConsistent) != 0
    {
      Futex.wakeAll(ring.headWord)
      ring.wakeups.wrappingIncrement(ordering: .relaxed)
    }
  }

  /// Waits while the ring is full: spins, then sleeps until half of it is free (the consumer
  /// wakes us only then, so a slow consumer costs one wake-up per half ring, not per frame).
  private func waitForRoom() throws {
    let slots = mask &+ 1
    var spins = 0
    while head &- ring.tail.load(ordering: .acquiring) >= slots {
      if spins < RingWait.spins {
        spins += 1
        Futex.relax()
        continue
      }
      defer { ring.producerWaiting.store(0, ordering: .relaxed) }
      while true {
        // Raised again on every pass: the consumer lowers it when it wakes us.
        ring.producerWaiting.store(1, ordering: .sequentiallyConsistent)
        let tail = ring.tail.load(ordering: .sequentiallyConsistent)
        if head &- tail <= slots / 2 { return }
        let result = Futex.wait(ring.tailWord, expected: tail, timeoutNanos: WatchdogTick.nanos)
        if result == .timedOut && !watch.consumerIsAlive() { throw watch.consumerGone() }
      }
    }
  }

  private func publishNewest(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws
  {
    if layout.stopFlag(memory.base).load(ordering: .relaxed) != 0 { throw RingStopped() }
    let slot = claimSlot()
    var header = FrameHeader.zero
    try fill(&header, ring.pixels(slot))
    header.encode(into: ring.slotHeader(slot))
    ring.slotState(slot).store(SlotState.ready, ordering: .releasing)
    ring.newest.store((header.sequence << 8 | UInt64(slot)) + 1, ordering: .releasing)
    lastSlot = slot
    advanceHead()
    // Never block, but when frames pile up unread give the CPU away once: on a machine with
    // fewer cores than cameras a camera that never yields starves the consumer it feeds.
    if head &- ring.tail.load(ordering: .relaxed) > 1 { ProcessIdentity.yieldProcessor() }
  }

  /// A slot that is neither the newest published frame nor being read: free, or an older unread
  /// frame (overwritten — the consumer counts it as dropped).
  private func claimSlot() -> Int {
    let slots = Int(mask) + 1
    while true {
      for step in 1...slots {
        let slot = (lastSlot + step) & Int(mask)
        if slot == lastSlot { continue }
        let state = ring.slotState(slot)
        if state.compareExchange(
          expected: SlotState.free, desired: SlotState.writing, ordering: .acquiringAndReleasing
        )
        .exchanged
          || state.compareExchange(
            expected: SlotState.ready, desired: SlotState.writing, ordering: .acquiringAndReleasing
          ).exchanged
        {
          return slot
        }
      }
      Futex.relax()
    }
  }
}
