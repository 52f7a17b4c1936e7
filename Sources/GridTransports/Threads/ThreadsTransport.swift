import GridCore
import GridPosix

/// `threads`: one thread per camera, each with a bounded blocking queue of `depth` buffers. Buffers
/// are handed over, not copied, and recycled: no allocation per frame.
public final class ThreadsTransport: FrameReceiver {
  private let queues: [FrameQueue]
  private var threads: [Thread] = []
  private let watchdog: Watchdog
  private let startLine: StartLine

  /// Camera threads start at once and wait at `startLine` for the consumer's T0.
  public init(cameras: [Camera], frames: Int, depth: Int = 4, watchdog: Watchdog, startLine: StartLine) throws
  {
    let bytes = cameras[0].renderer.geometry.bytesPerFrame
    self.queues = cameras.map { _ in FrameQueue(depth: depth, bytes: bytes) }
    self.watchdog = watchdog
    self.startLine = startLine
    for (camera, queue) in zip(cameras, queues) {
      threads.append(
        try Thread {
          guard let start = startLine.wait() else { return queue.stop() }
          do { try camera.run(frames: frames, publisher: queue, start: start) } catch { queue.stop() }
        })
    }
  }

  deinit {
    startLine.cancel()
    for queue in queues { queue.stop() }
    for thread in threads { thread.join() }
  }

  public func hasFrame(from camera: Int) -> Bool { queues[camera].hasFull }

  public func withNextFrame<R>(from camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R)
    throws -> R
  {
    let queue = queues[camera]
    let (slot, header) = try queue.take(camera: camera, watchdog: watchdog)
    defer { queue.recycle(slot) }
    return try body(header, UnsafeRawBufferPointer(queue.buffers[slot]))
  }
}

/// A camera's queue: `depth` buffers cycling between free (camera's) and full (consumer's).
/// Each side wakes the other only when it sleeps, and a camera that found no free buffer sleeps
/// until `refill` of them are free (three quarters of the queue): with more cameras than cores
/// a camera then renders a run of frames per wake-up, not one (the ring's rule, `RingWait`).
final class FrameQueue: FramePublisher, @unchecked Sendable {
  let buffers: [UnsafeMutableRawBufferPointer]
  private var headers: [FrameHeader]
  private let lock = ConditionLock()
  private let refill: Int
  // Both rings hold slot indices; `depth` entries each, so a push never overflows.
  private var free: [Int]
  private var freeHead = 0
  private var freeCount: Int
  private var full: [Int]
  private var fullHead = 0
  private var fullCount = 0
  private var stopped = false
  // Who sleeps on `lock`, so the other side knows whether to wake it.
  private var producerWaiting = false
  private var consumerWaiting = false

  init(depth: Int, bytes: Int) {
    buffers = (0..<depth).map { _ in .allocate(byteCount: bytes, alignment: 64) }
    headers = Array(repeating: .zero, count: depth)
    refill = depth - Int(RingWait.refilled(slots: UInt32(depth)))
    free = Array(0..<depth)
    freeCount = depth
    full = Array(repeating: 0, count: depth)
  }

  deinit { buffers.forEach { $0.deallocate() } }

  func stop() {
    lock.withLock {
      stopped = true
      lock.broadcast()
    }
  }

  /// Camera side: wait for a free buffer (once asleep, for `refill` of them), fill it, queue it.
  func publish(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws {
    let slot: Int? = lock.withLock {
      var wanted = 1
      while freeCount < wanted && !stopped {
        producerWaiting = true
        wanted = refill
        lock.wait(timeoutNanos: WatchdogTick.nanos)
      }
      producerWaiting = false
      if stopped { return nil }
      let slot = free[freeHead]
      freeHead = (freeHead + 1) % free.count
      freeCount -= 1
      return slot
    }
    guard let slot else { throw GridError.runtime("stopped") }
    var header = FrameHeader.zero
    try fill(&header, buffers[slot])
    lock.withLock {
      headers[slot] = header
      full[(fullHead + fullCount) % full.count] = slot
      fullCount += 1
      if consumerWaiting {
        consumerWaiting = false
        lock.broadcast()
      }
    }
  }

  var hasFull: Bool { lock.withLock { fullCount > 0 } }

  /// Consumer side: wait for the oldest full buffer.
  func take(camera: Int, watchdog: Watchdog) throws -> (slot: Int, header: FrameHeader) {
    while true {
      let taken: (Int, FrameHeader)? = lock.withLock {
        if fullCount == 0 {
          consumerWaiting = true
          lock.wait(timeoutNanos: WatchdogTick.nanos)
          consumerWaiting = false
        }
        guard fullCount > 0 else { return nil }
        let slot = full[fullHead]
        fullHead = (fullHead + 1) % full.count
        fullCount -= 1
        return (slot, headers[slot])
      }
      if let taken { return taken }
      if try !watchdog.isAlive(camera: camera) { throw watchdog.lost(camera: camera) }
    }
  }

  func recycle(_ slot: Int) {
    lock.withLock {
      free[(freeHead + freeCount) % free.count] = slot
      freeCount += 1
      if producerWaiting && freeCount >= refill {
        producerWaiting = false
        lock.broadcast()
      }
    }
  }
}
