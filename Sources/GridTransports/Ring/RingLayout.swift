import Atomics
import GridCore
import GridPosix

/// The `shm-ring` mapping: a fixed, versioned header, then per camera a control block (producer
/// and consumer counters on their own cache lines) and a ring of `slots` slots, each a 64-byte
/// slot header (frame header, slot state) followed by the pixels, everything 64-byte aligned.
///
/// ```
/// [RingHeader 128][camera 0: control 256 | slot 0 | slot 1 | …][camera 1: …]…
/// ```
struct RingLayout {
  static let magic: UInt64 = 0x4753_5249_4E47_0001  // "GSRING", layout version 1
  static let headerBytes = 128
  static let controlBytes = 256

  let cameras: Int
  let slots: Int
  let frameBytes: Int
  let slotStride: Int
  let ringStride: Int
  /// How long a wait spins before it sleeps (`RingWait`).
  let spins: Int

  init(shape: TransportShape) {
    cameras = shape.cameras
    spins = RingWait.spins(cameras: shape.cameras, cores: ResourceUsage.onlineCores)
    slots = shape.slots
    frameBytes = shape.geometry.bytesPerFrame
    slotStride = 64 + (frameBytes + 63) / 64 * 64
    ringStride = Self.controlBytes + slots * slotStride
  }

  var totalBytes: Int { Self.headerBytes + cameras * ringStride }

  /// Bytes a run of this shape maps, computed without overflow; nil when it does not fit in Int.
  static func bytesNeeded(shape: TransportShape) -> Int? {
    let frame = shape.geometry.bytesPerFrame
    let (slotsBytes, o1) = (64 + (frame + 63) / 64 * 64).multipliedReportingOverflow(by: shape.slots)
    let (ring, o2) = (controlBytes).addingReportingOverflow(slotsBytes)
    let (all, o3) = ring.multipliedReportingOverflow(by: shape.cameras)
    if o1 || o2 || o3 { return nil }
    return all + headerBytes
  }

  /// The mapping's header: UInt64 words, written once by the consumer, read by every camera.
  enum HeaderWord: Int {
    case magic = 0
    case cameras = 1
    case slots = 2
    case frameBytes = 3
    /// Set by the consumer when the last grid is stitched: `latest` cameras stop.
    case stop = 4
  }

  func word(_ base: UnsafeMutableRawPointer, _ word: HeaderWord) -> UnsafeAtomic<UInt64> {
    UnsafeAtomic(at: (base + word.rawValue * 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
  }

  func stopFlag(_ base: UnsafeMutableRawPointer) -> UnsafeAtomic<UInt64> { word(base, .stop) }

  func writeHeader(_ base: UnsafeMutableRawPointer) {
    word(base, .cameras).store(UInt64(cameras), ordering: .relaxed)
    word(base, .slots).store(UInt64(slots), ordering: .relaxed)
    word(base, .frameBytes).store(UInt64(frameBytes), ordering: .relaxed)
    word(base, .magic).store(Self.magic, ordering: .releasing)
  }

  /// A camera checks the mapping it was handed is the one it expects before touching a slot.
  func validateHeader(_ base: UnsafeMutableRawPointer) -> Bool {
    word(base, .magic).load(ordering: .acquiring) == Self.magic
      && word(base, .cameras).load(ordering: .relaxed) == UInt64(cameras)
      && word(base, .slots).load(ordering: .relaxed) == UInt64(slots)
      && word(base, .frameBytes).load(ordering: .relaxed) == UInt64(frameBytes)
  }

  func ring(_ base: UnsafeMutableRawPointer, camera: Int) -> RingControl {
    RingControl(
      base: base + Self.headerBytes + camera * ringStride, slots: slots, slotStride: slotStride,
      frameBytes: frameBytes)
  }
}

/// One camera's ring. Line 0: `head` (frames published, the producer's). Line 1: `tail` (frames
/// released, the consumer's). Line 2: the waiter flags. Line 3 (the camera's): for `latest` the
/// newest slot, and the count of wake-up calls the camera made.
/// Counters are 32-bit so they can be futex words; differences use wrapping arithmetic.
struct RingControl {
  /// Byte offsets in the control block.
  enum Offset {
    static let head = 0
    static let tail = 64
    static let consumerWaiting = 128
    static let producerWaiting = 132
    static let newest = 192
    static let wakeups = 200
  }
  /// Byte offsets in a slot: its 64-byte header line, then the pixels.
  enum SlotOffset {
    static let frameHeader = 0
    static let state = 32
    static let pixels = 64
  }

  /// Into the run's `SharedMemory`, which `RingMapping` holds beside every `RingControl` made
  /// from it (receivers and publishers keep the mapping), so the memory outlives this view.
  let base: UnsafeMutableRawPointer
  let slots: Int
  let slotStride: Int
  let frameBytes: Int

  private func word(_ offset: Int) -> UnsafeMutableRawPointer { base + offset }
  private func atomic(_ offset: Int) -> UnsafeAtomic<UInt32> {
    UnsafeAtomic(at: word(offset).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
  }
  private func atomic64(_ offset: Int) -> UnsafeAtomic<UInt64> {
    UnsafeAtomic(at: word(offset).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
  }

  var head: UnsafeAtomic<UInt32> { atomic(Offset.head) }
  var headWord: UnsafeMutablePointer<UInt32> { word(Offset.head).assumingMemoryBound(to: UInt32.self) }
  var tail: UnsafeAtomic<UInt32> { atomic(Offset.tail) }
  var tailWord: UnsafeMutablePointer<UInt32> { word(Offset.tail).assumingMemoryBound(to: UInt32.self) }
  var consumerWaiting: UnsafeAtomic<UInt32> { atomic(Offset.consumerWaiting) }
  var producerWaiting: UnsafeAtomic<UInt32> { atomic(Offset.producerWaiting) }
  /// `latest` policy: (sequence << 8 | slot) + 1 of the newest complete frame; 0 before the first.
  var newest: UnsafeAtomic<UInt64> { atomic64(Offset.newest) }
  /// Wake-up calls this ring's camera made (its own line's neighbour: only the camera writes it).
  var wakeups: UnsafeAtomic<UInt64> { atomic64(Offset.wakeups) }

  func slotBase(_ slot: Int) -> UnsafeMutableRawPointer { base + RingLayout.controlBytes + slot * slotStride }
  func slotHeader(_ slot: Int) -> UnsafeMutableRawPointer { slotBase(slot) + SlotOffset.frameHeader }
  /// `latest` policy: who has the slot.
  func slotState(_ slot: Int) -> SlotStateWord {
    SlotStateWord(
      atomic: UnsafeAtomic(
        at: (slotBase(slot) + SlotOffset.state).assumingMemoryBound(to: UInt32.AtomicRepresentation.self)))
  }
  func pixels(_ slot: Int) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(start: slotBase(slot) + SlotOffset.pixels, count: frameBytes)
  }
}

/// Who has a `latest` slot.
enum SlotState: UInt32 {
  case free = 0
  case writing = 1
  case ready = 2
  case reading = 3
}

/// A slot's state word in the shared mapping, typed.
struct SlotStateWord {
  let atomic: UnsafeAtomic<UInt32>

  /// Hands the slot on; everything written to it before is visible to whoever claims it next.
  func release(as state: SlotState) {
    atomic.store(state.rawValue, ordering: .releasing)
  }

  /// Moves the slot from `expected` to `desired`; false if another side has it.
  func claim(from expected: SlotState, to desired: SlotState) -> Bool {
    atomic.compareExchange(
      expected: expected.rawValue, desired: desired.rawValue, ordering: .acquiringAndReleasing
    ).exchanged
  }
}

/// The one wait both sides of a ring use: spin briefly with the pause hint, then sleep on a futex
/// word with a waiter flag raised, so the other side makes a wake-up call only when we sleep.
enum RingWait {
  /// A spin pays only while the other side is running on another core at that moment. With more
  /// than two cameras a core it seldom is, and every pause spent spinning is taken from the very
  /// process being waited for: measured here (2 cores), spinning made 16 cameras 6% slower and
  /// 64 cameras 20–30% slower at `--load none`, and 1 camera 40% faster. So: spin up to 256
  /// pauses with at most two cameras a core, else sleep at once.
  static func spins(cameras: Int, cores: Int) -> Int { cameras <= 2 * max(cores, 1) ? 256 : 0 }

  /// A camera that found its ring full sleeps until at most this many of its frames are still
  /// unread: a quarter of the ring (none of two slots). Each wake-up then buys a run of frames,
  /// and with more cameras than cores the switches a frame are what a run costs: at `--load
  /// none`, 16 cameras, 4 slots, waking at half the ring made 0.61 switches a frame and at a
  /// quarter 0.40, 14% more grids a second (README, "Faster than no pipeline").
  static func refilled(slots: UInt32) -> UInt32 { slots / 4 }

  /// Returns once `ready()` holds (while spinning) or `readyToWake()` holds (once asleep: a
  /// camera sleeps until three quarters of its ring are free, not one slot). `onTimeout` runs after every
  /// sleep that ran out its tick, to ask whether the other side is still there; it may throw.
  static func wait(
    until ready: () -> Bool, orOnceAsleep readyToWake: () -> Bool,
    sleepingOn word: UnsafeMutablePointer<UInt32>,
    flag: UnsafeAtomic<UInt32>, spins: Int, onTimeout: () throws -> Void
  ) rethrows {
    var spun = 0
    while !ready() {
      if spun < spins {
        spun += 1
        Futex.relax()
        continue
      }
      flag.store(1, ordering: .sequentiallyConsistent)
      let observed = UnsafeAtomic<UInt32>(
        at: UnsafeMutableRawPointer(word).assumingMemoryBound(to: UInt32.AtomicRepresentation.self)
      ).load(ordering: .sequentiallyConsistent)
      if readyToWake() {
        flag.store(0, ordering: .relaxed)
        return
      }
      let result = Futex.wait(word, expected: observed, timeoutNanos: WatchdogTick.nanos)
      flag.store(0, ordering: .relaxed)
      if readyToWake() { return }
      if result == .timedOut || result == .interrupted { try onTimeout() }
    }
  }
}
