import GridCore
import GridImage
import GridPosix

/// Encodes snapshots off the timed path: the consumer copies a grid into a free buffer and queues
/// it; a background thread writes `grid-NNNNNN.png`. The queue is bounded: when both buffers are
/// busy the consumer waits, so no snapshot is ever silently lost.
final class SnapshotWriter: @unchecked Sendable {
  private let folder: String
  private let width: Int
  private let height: Int
  private let channels: Int
  private let lock = ConditionLock()
  private var free: [UnsafeMutableRawBufferPointer]
  private var pending: [(buffer: UnsafeMutableRawBufferPointer, grid: Int)] = []
  private var closed = false
  private var thread: Thread?
  private(set) var written = 0
  private(set) var failure: String?
  private let all: [UnsafeMutableRawBufferPointer]

  init(folder: String, canvas: GridCanvas, depth: Int = 2) throws {
    self.folder = folder
    self.width = canvas.width
    self.height = canvas.height
    self.channels = canvas.frame.channels
    all = (0..<depth).map { _ in .allocate(byteCount: canvas.bytes.count, alignment: 64) }
    free = all
    // The thread holds the writer until `finish()` joins it (the pipeline always calls it).
    thread = try Thread { [self] in self.drain() }
  }

  deinit { all.forEach { $0.deallocate() } }

  static func name(grid: Int) -> String {
    let digits = String(grid)
    return "grid-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".png"
  }

  /// Copies the grid and queues it (waits if both buffers are being written).
  func enqueue(_ canvas: GridCanvas, grid: Int) {
    let buffer: UnsafeMutableRawBufferPointer = lock.withLock {
      while free.isEmpty { lock.wait(timeoutNanos: 100_000_000) }
      return free.removeLast()
    }
    buffer.copyMemory(from: UnsafeRawBufferPointer(canvas.bytes))
    lock.withLock {
      pending.append((buffer, grid))
      lock.broadcast()
    }
  }

  /// Waits until every queued snapshot is on disk, then stops the thread.
  func finish() {
    lock.withLock {
      closed = true
      lock.broadcast()
    }
    thread?.join()
    thread = nil
  }

  private func drain() {
    while true {
      let next: (UnsafeMutableRawBufferPointer, Int)? = lock.withLock {
        while pending.isEmpty && !closed { lock.wait(timeoutNanos: 100_000_000) }
        return pending.isEmpty ? nil : pending.removeFirst()
      }
      guard let (buffer, grid) = next else { return }
      do {
        try PNG.write(
          path: folder + "/" + Self.name(grid: grid), width: width, height: height, channels: channels,
          pixels: UnsafeRawBufferPointer(buffer))
        lock.withLock { written += 1 }
      } catch {
        lock.withLock { if failure == nil { failure = error.description } }
      }
      lock.withLock {
        free.append(buffer)
        lock.broadcast()
      }
    }
  }
}
