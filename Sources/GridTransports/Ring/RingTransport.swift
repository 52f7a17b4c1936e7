import Atomics
import GridCore
import GridPosix
import SystemPackage

/// `shm-ring`: per camera a lock-free ring of slots in one shared memfd mapping. The camera renders
/// straight into a loaned slot, the consumer stitches straight from it: the only copy of a frame's
/// pixels is slot → grid. Waiting spins briefly, then sleeps on a futex with a waiter flag, so a
/// wake-up syscall is made only when the other side is actually asleep (`RingWait`).
/// Each policy has its own pair of types: `lockstep` (a FIFO of every frame) and `latest` (the
/// newest frame, cameras never block).
final class RingTransport: ProcessTransportCore {
  private let shape: TransportShape
  private let mapping: RingMapping

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
    let layout = RingLayout(shape: shape)
    let memory: SharedMemory
    do {
      memory = try SharedMemory(name: "gridstitch-ring", size: bytes)
    } catch {
      throw GridError.runtime(
        "shm-ring: cannot map \(bytes) bytes (\(shape.cameras) cameras × \(shape.slots) slots × "
          + "\(shape.geometry.bytesPerFrame) bytes): \(error)")
    }
    layout.writeHeader(memory.base)
    mapping = RingMapping(layout: layout, memory: memory)
  }

  func withDescriptors<R>(forCamera camera: Int, _ body: ([FileDescriptor]) throws -> R) throws -> R {
    try mapping.memory.withDescriptor { try body([$0]) }
  }

  func closeCameraEnds() {}

  func makeReceiver(watchdog: Watchdog) throws -> FrameReceiver {
    switch shape.policy {
    case .lockstep: RingLockstepReceiver(shape: shape, mapping: mapping, watchdog: watchdog)
    case .latest: RingLatestReceiver(shape: shape, mapping: mapping, watchdog: watchdog)
    }
  }
}

/// The mapping and its layout, shared by the transport, its receiver and (in a camera) its
/// publisher.
struct RingMapping {
  let layout: RingLayout
  let memory: SharedMemory

  func ring(_ camera: Int) -> RingControl { layout.ring(memory.base, camera: camera) }
  var stopFlag: UnsafeAtomic<UInt64> { layout.stopFlag(memory.base) }
}

/// What both consumer sides share: the rings, the watchdog, and the waits on a camera's head.
class RingReceiverBase {
  let geometry: FrameGeometry
  let mapping: RingMapping
  let rings: [RingControl]
  let watchdog: Watchdog
  let mask: UInt32
  var ownWakeups = 0

  init(shape: TransportShape, mapping: RingMapping, watchdog: Watchdog) {
    self.geometry = shape.geometry
    self.mapping = mapping
    self.rings = (0..<shape.cameras).map { mapping.ring($0) }
    self.watchdog = watchdog
    self.mask = UInt32(shape.slots - 1)
  }

  deinit { finish() }

  /// Cameras under `latest` run until told to stop; under `lockstep` the flag is harmless.
  func finish() { mapping.stopFlag.store(1, ordering: .sequentiallyConsistent) }

  var wakeups: Int { rings.reduce(ownWakeups) { $0 + Int($1.wakeups.load(ordering: .relaxed)) } }

  /// Returns once the camera's head differs from `value`, asking the watchdog each tick.
  func waitForHead(of camera: Int, toDifferFrom value: UInt32) throws {
    let ring = rings[camera]
    let moved = { ring.head.load(ordering: .acquiring) != value }
    try RingWait.wait(
      until: moved, orOnceAsleep: moved, sleepingOn: ring.headWord, flag: ring.consumerWaiting,
      spins: mapping.layout.spins
    ) {
      if try !watchdog.isAlive(camera: camera), !moved() { throw watchdog.lost(camera: camera) }
    }
  }
}

/// `lockstep`: every frame of every camera, in order.
final class RingLockstepReceiver: RingReceiverBase, FrameReceiver {
  private var tails: [UInt32]

  override init(shape: TransportShape, mapping: RingMapping, watchdog: Watchdog) {
    tails = Array(repeating: 0, count: shape.cameras)
    super.init(shape: shape, mapping: mapping, watchdog: watchdog)
  }

  var droppedFrames: Int { 0 }

  func hasFrame(from camera: Int) -> Bool { rings[camera].head.load(ordering: .acquiring) != tails[camera] }

  func withNextFrame<R>(from camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R) throws
    -> R
  {
    let ring = rings[camera]
    let tail = tails[camera]
    try waitForHead(of: camera, toDifferFrom: tail)
    let slot = Int(tail & mask)
    let header = FrameHeader(decoding: ring.slotHeader(slot))
    try HeaderCheck.validate(header, camera: camera, geometry: geometry)
    defer { release(ring, camera: camera, newTail: tail &+ 1) }
    return try body(header, UnsafeRawBufferPointer(ring.pixels(slot)))
  }

  private func release(_ ring: RingControl, camera: Int, newTail: UInt32) {
    tails[camera] = newTail
    ring.tail.store(newTail, ordering: .sequentiallyConsistent)
    // The camera sleeps until three quarters of its ring are free; wake it only then, and only
    // once: whoever takes the flag down makes the one wake-up call.
    if ring.producerWaiting.load(ordering: .sequentiallyConsistent) != 0 {
      let head = ring.head.load(ordering: .acquiring)
      if head &- newTail <= RingWait.refilled(slots: mask &+ 1)
        && ring.producerWaiting.exchange(0, ordering: .sequentiallyConsistent) != 0
      {
        Futex.wakeAll(ring.tailWord)
        ownWakeups += 1
      }
    }
  }
}

/// `latest`: each camera's newest complete frame newer than the last one taken.
final class RingLatestReceiver: RingReceiverBase, FrameReceiver {
  private var lastSequence: [Int64]
  private(set) var droppedFrames = 0

  override init(shape: TransportShape, mapping: RingMapping, watchdog: Watchdog) {
    lastSequence = Array(repeating: -1, count: shape.cameras)
    super.init(shape: shape, mapping: mapping, watchdog: watchdog)
  }

  func hasFrame(from camera: Int) -> Bool {
    let packed = rings[camera].newest.load(ordering: .acquiring)
    return packed != 0 && Int64((packed - 1) >> 8) > lastSequence[camera]
  }

  /// Claims the newest frame so the camera cannot write into it while it is read (it writes
  /// another slot instead).
  func withNextFrame<R>(from camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R) throws
    -> R
  {
    let ring = rings[camera]
    while true {
      let head = ring.head.load(ordering: .sequentiallyConsistent)
      let packed = ring.newest.load(ordering: .acquiring)
      if packed != 0 {
        let sequence = Int64((packed - 1) >> 8)
        let slot = Int((packed - 1) & 0xFF)
        // The camera wrote this word: a slot past its ring is refused before anything is read.
        guard slot <= Int(mask) else {
          throw GridError.protocolViolation(camera: camera, reason: "newest frame names slot \(slot)")
        }
        if sequence > lastSequence[camera] {
          let state = ring.slotState(slot)
          if state.claim(from: .ready, to: .reading) {
            defer { state.release(as: .ready) }
            let header = FrameHeader(decoding: ring.slotHeader(slot))
            try HeaderCheck.validate(header, camera: camera, geometry: geometry)
            guard Int64(header.sequence) == sequence else { continue }
            droppedFrames += Int(sequence - lastSequence[camera] - 1)
            lastSequence[camera] = sequence
            // Tells the camera how far behind we are (see `RingLatestPublisher`).
            ring.tail.store(UInt32(truncatingIfNeeded: sequence + 1), ordering: .relaxed)
            return try body(header, UnsafeRawBufferPointer(ring.pixels(slot)))
          }
          continue
        }
      }
      try waitForHead(of: camera, toDifferFrom: head)
    }
  }
}

enum RingPublishers {
  /// A camera's side of the ring it was handed, after checking the mapping's layout.
  static func make(
    shape: TransportShape, camera: Int, memory descriptor: consuming OwnedDescriptor, watch: CameraSideWatch
  ) throws -> FramePublisher {
    let layout = RingLayout(shape: shape)
    let memory = try SharedMemory(attaching: descriptor, size: layout.totalBytes)
    guard layout.validateHeader(memory.base) else {
      throw GridError.runtime(
        "shm-ring: the mapping handed to camera \(camera) has another layout or version")
    }
    let mapping = RingMapping(layout: layout, memory: memory)
    switch shape.policy {
    case .lockstep: return RingLockstepPublisher(mapping: mapping, camera: camera, watch: watch)
    case .latest: return RingLatestPublisher(mapping: mapping, camera: camera)
    }
  }
}

/// What both camera sides share: the ring, and publishing a new head (waking the consumer only
/// if it sleeps).
class RingPublisherBase {
  let mapping: RingMapping
  let ring: RingControl
  let mask: UInt32
  var head: UInt32 = 0

  init(mapping: RingMapping, camera: Int) {
    self.mapping = mapping
    self.ring = mapping.ring(camera)
    self.mask = UInt32(mapping.layout.slots - 1)
  }

  func advanceHead() {
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
}

/// `lockstep`: the next slot in order, waiting while the ring is full.
final class RingLockstepPublisher: RingPublisherBase, FramePublisher {
  private let watch: CameraSideWatch

  init(mapping: RingMapping, camera: Int, watch: CameraSideWatch) {
    self.watch = watch
    super.init(mapping: mapping, camera: camera)
  }

  func publish(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws {
    try waitForRoom()
    let slot = Int(head & mask)
    var header = FrameHeader.zero
    try fill(&header, ring.pixels(slot))
    header.encode(into: ring.slotHeader(slot))
    advanceHead()
  }

  /// Waits while the ring is full: spins, then sleeps until three quarters of it are free (the
  /// consumer wakes us only then, so a slow consumer costs one wake-up per three quarters of a
  /// ring, not per frame).
  private func waitForRoom() throws {
    let slots = mask &+ 1
    let ring = ring
    let head = head
    try RingWait.wait(
      until: { head &- ring.tail.load(ordering: .acquiring) < slots },
      orOnceAsleep: {
        head &- ring.tail.load(ordering: .sequentiallyConsistent) <= RingWait.refilled(slots: slots)
      },
      sleepingOn: ring.tailWord, flag: ring.producerWaiting, spins: mapping.layout.spins
    ) {
      if !watch.consumerIsAlive() { throw watch.consumerGone() }
    }
  }
}

/// `latest`: never blocks; a slot that is neither the newest frame nor being read is overwritten.
final class RingLatestPublisher: RingPublisherBase, FramePublisher {
  private var lastSlot = -1

  func publish(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws {
    if mapping.stopFlag.load(ordering: .relaxed) != 0 { throw TransportStopped() }
    let slot = claimSlot()
    var header = FrameHeader.zero
    try fill(&header, ring.pixels(slot))
    header.encode(into: ring.slotHeader(slot))
    ring.slotState(slot).release(as: .ready)
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
        if state.claim(from: .free, to: .writing) || state.claim(from: .ready, to: .writing) { return slot }
      }
      Futex.relax()
    }
  }
}
