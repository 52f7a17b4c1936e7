import Foundation
import GridCore
import GridImage
import Hummingbird

/// Encodes the newest grid as JPEG on a thread of its own, only while someone watches, and hands
/// each viewer the newest frame only: every viewer's stream buffers one frame, so a slow viewer
/// skips frames instead of slowing anyone down or growing memory. When nothing changes it
/// re-sends the newest frame about once a second, so a browser that shows a part only when the
/// next boundary arrives keeps the picture current.
final class LiveEncoder: @unchecked Sendable {
  struct Frame: Sendable {
    let version: Int
    let jpeg: ByteBuffer
  }

  private let source: any LiveSource
  private let periodNanos: UInt64
  private let condition = NSCondition()
  // Guarded by `condition`.
  private var viewers: [Int: AsyncStream<Frame>.Continuation] = [:]
  private var arrived: Set<Int> = []
  private var nextID = 0
  private var latest: Frame?
  /// When `latest` was encoded (uptime ns).
  private var latestAt: UInt64 = 0
  private var stopped = false
  private var failure: String?
  private let exited = DispatchSemaphore(value: 0)

  init(source: any LiveSource, framesPerSecond: Int) {
    self.source = source
    periodNanos = 1_000_000_000 / UInt64(max(1, framesPerSecond))
    let thread = Thread { [self] in
      self.loop()
      self.exited.signal()
    }
    thread.name = "gridstitch-jpeg"
    thread.start()
  }

  /// The newest frames from now on, starting with the newest there is.
  func subscribe() -> AsyncStream<Frame> {
    let (stream, continuation) = AsyncStream.makeStream(of: Frame.self, bufferingPolicy: .bufferingNewest(1))
    condition.lock()
    if stopped {
      condition.unlock()
      continuation.finish()
      return stream
    }
    let id = nextID
    nextID += 1
    viewers[id] = continuation
    arrived.insert(id)
    condition.broadcast()
    condition.unlock()
    source.addViewer()
    continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
    return stream
  }

  /// One frame of the grid as it is now (or the last one, once the run has ended).
  func currentFrame(timeoutNanos: UInt64 = 3_000_000_000) async -> Frame? {
    let stream = subscribe()
    return await withTaskGroup(of: Frame?.self) { group in
      group.addTask {
        for await frame in stream { return frame }
        return nil
      }
      group.addTask {
        try? await Task.sleep(nanoseconds: timeoutNanos)
        return nil
      }
      let first = await group.next() ?? nil
      group.cancelAll()
      return first
    }
  }

  var encodeFailure: String? {
    condition.lock()
    defer { condition.unlock() }
    return failure
  }

  /// Ends every viewer's stream and the thread.
  func stop() {
    condition.lock()
    stopped = true
    condition.broadcast()
    condition.unlock()
    _ = exited.wait(timeout: .now() + 5)
  }

  private func unsubscribe(_ id: Int) {
    condition.lock()
    let removed = viewers.removeValue(forKey: id) != nil
    arrived.remove(id)
    condition.unlock()
    if removed { source.removeViewer() }
  }

  private func loop() {
    let encoder: JPEGEncoder
    do {
      encoder = try JPEGEncoder()
    } catch {
      condition.lock()
      failure = error.description
      stopped = true
      let all = Array(viewers.values)
      viewers.removeAll()
      condition.unlock()
      all.forEach { $0.finish() }
      return
    }
    var lastSent: UInt64 = 0
    while true {
      condition.lock()
      while !stopped && viewers.isEmpty { condition.wait() }
      if stopped {
        let all = Array(viewers.values)
        viewers.removeAll()
        condition.unlock()
        all.forEach { $0.finish() }
        return
      }
      let known = latest?.version
      condition.unlock()

      var frame: Frame?
      if let grid = source.latestGrid(), grid.version != known {
        do {
          let bytes = try grid.pixels.withUnsafeBytes { pixels in
            try encoder.encode(
              width: grid.width, height: grid.height, channels: grid.channels, pixels: pixels)
          }
          frame = Frame(version: grid.version, jpeg: ByteBuffer(bytes: bytes))
        } catch {
          condition.lock()
          failure = "\(error)"
          condition.unlock()
        }
      }
      let now = DispatchTime.now().uptimeNanoseconds
      // A frame older than two periods may be stale (the pipeline copies only while someone
      // watches): newcomers then wait for the next grid, unless the run has ended.
      let ended = source.hasEnded
      condition.lock()
      if let frame {
        latest = frame
        latestAt = now
      }
      let current = latest != nil && (now &- latestAt <= 2 * periodNanos || ended)
      var targets: [AsyncStream<Frame>.Continuation] = []
      if latest != nil {
        // Everyone gets a new frame; when nothing changed, newcomers at once if it is current,
        // and everyone once a second (the newest there is, even if the pipeline is stuck).
        if frame != nil || now &- lastSent >= 1_000_000_000 {
          targets = Array(viewers.values)
          lastSent = now
          arrived.removeAll()
        } else if current {
          targets = arrived.compactMap { viewers[$0] }
          arrived.removeAll()
        }
      }
      let sending = latest
      condition.unlock()
      if let sending { targets.forEach { $0.yield(sending) } }

      // Look again after half a frame period, or at once when a newcomer arrives meanwhile.
      condition.lock()
      if arrived.isEmpty && !stopped {
        _ = condition.wait(until: Date(timeIntervalSinceNow: Double(periodNanos) / 2e9))
      } else if !stopped && !current {
        // Newcomers wait for a fresh grid: look again soon, without spinning.
        _ = condition.wait(until: Date(timeIntervalSinceNow: Double(periodNanos) / 4e9))
      }
      condition.unlock()
    }
  }
}
