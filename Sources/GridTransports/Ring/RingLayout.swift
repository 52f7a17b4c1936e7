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

  init(shape: TransportShape) {
    cameras = shape.cameras
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

  // Header words (all UInt64): magic, cameras, slots, frameBytes, stop flag. Written once, read often.
  func headerWord(_ base: UnsafeMutableRawPointer, _ index: Int) -> UnsafeAtomic<UInt64> {
    UnsafeAtomic(at: (base + index * 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
  }
  func magicWord(_ base: UnsafeMutableRawPointer) -> UnsafeAtomic<UInt64> { headerWord(base, 0) }
  func stopFlag(_ base: UnsafeMutableRawPointer) -> UnsafeAtomic<UInt64> { headerWord(base, 4) }

  func writeHeader(_ base: UnsafeMutableRawPointer) {
    headerWord(base, 1).store(UInt64(cameras), ordering: .relaxed)
    headerWord(base, 2).store(UInt64(slots), ordering: .relaxed)
    headerWord(base, 3).store(UInt64(frameBytes), ordering: .relaxed)
    magicWord(base).store(Self.magic, ordering: .releasing)
  }

  /// A camera checks the mapping it was handed is the one it expects before touching a slot.
  func validateHeader(_ base: UnsafeMutableRawPointer) -> Bool {
    magicWord(base).load(ordering: .acquiring) == Self.magic
      && headerWord(base, 1).load(ordering: .relaxed) == UInt64(cameras)
      && headerWord(base, 2).load(ordering: .relaxed) == UInt64(slots)
      && headerWord(base, 3).load(ordering: .relaxed) == UInt64(frameBytes)
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
  let base: UnsafeMutableRawPointer
  let slots: Int
  let slotStride: Int
  let frameBytes: Int

  private func word(_ offset: Int) -> UnsafeMutableRawPointer { base + offset }
  private func atomic(_ offset: Int) -> UnsafeAtomic<UInt32> {
    UnsafeAtomic(at: word(offset).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
  }

  var head: UnsafeAtomic<UInt32> { atomic(0) }
  var headWord: UnsafeMutablePointer<UInt32> { word(0).assumingMemoryBound(to: UInt32.self) }
  var tail: UnsafeAtomic<UInt32> { atomic(64) }
  var tailWord: UnsafeMutablePointer<UInt32> { word(64).assumingMemoryBound(to: UInt32.self) }
  var consumerWaiting: UnsafeAtomic<UInt32> { atomic(128) }
  var producerWaiting: UnsafeAtomic<UInt32> { atomic(132) }
  /// `latest` policy: (sequence << 8 | slot) + 1 of the newest complete frame; 0 before the first.
  var newest: UnsafeAtomic<UInt64> {
    UnsafeAtomic(at: word(192).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
  }

  /// Wake-up calls this ring's camera made (its own line's neighbour: only the camera writes it).
  var wakeups: UnsafeAtomic<UInt64> {
    UnsafeAtomic(at: word(200).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
  }

  func slotBase(_ slot: Int) -> UnsafeMutableRawPointer { base + RingLayout.controlBytes + slot * slotStride }
  func slotHeader(_ slot: Int) -> UnsafeMutableRawPointer { slotBase(slot) }
  /// `latest` policy: 0 free, 1 writing, 2 ready, 3 reading.
  func slotState(_ slot: Int) -> UnsafeAtomic<UInt32> {
    UnsafeAtomic(at: (slotBase(slot) + 32).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
  }
  func pixels(_ slot: Int) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(start: slotBase(slot) + 64, count: frameBytes)
  }
}

enum SlotState {
  static let free: UInt32 = 0
  static let writing: UInt32 = 1
  static let ready: UInt32 = 2
  static let reading: UInt32 = 3
}

/// Spin, then sleep: `spins` polls with the pause hint before the futex.
enum RingWait {
  static let spins = 256
}
