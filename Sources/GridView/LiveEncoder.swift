import GridCore
import GridImage
import GridPosix
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
  private let condition = ConditionLock()
  // Guarded by `condition`.
  private var viewers: [Int: AsyncStream<Frame>.Continuation] = [:]
  private var arrived: Set<Int> = []
  private var nextID = 0
  private var latest: Frame?
  /// When `latest` was encoded (uptime ns).
  private var latestAt: UInt64 = 0
  private var stopped = false
  private var failure: String?
  private let exited = Outcome<Void>()

  init(source: any LiveSource, framesPerSecond: Int) {
    self.source = source
    periodNanos = 1_000_000_000 / UInt64(max(1, framesPerSecond))
    do {
      try GridPosix.Thread { [self] in
        self.loop()
        self.exited.settle(.success(()))
      }.detach()
    } catch {
      failure = "cannot start the JPEG encoder: \(error)"
      stopped = true
      exited.settle(.success(()))
    }
  }

  /// The newest frames from now on, starting with the newest there is.
  func subscribe() -> AsyncStream<Frame> {
    let (stream, continuation) = AsyncStream.makeStream(of: Frame.self, bufferingPolicy: .bufferingNewest(1))
    let id: Int? = condition.withLock {
      guard !stopped else { return nil }
      let id = nextID
      nextID += 1
      viewers[id] = continuation
      arrived.insert(id)
      condition.broadcast()
      return id
    }
    guard let id else {
      continuation.finish()
      return stream
    }
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

  var encodeFailure: String? { condition.withLock { failure } }

  /// Ends every viewer's stream and the thread.
  func stop() {
    condition.withLock {
      stopped = true
      condition.broadcast()
    }
    _ = exited.wait(timeoutNanos: 5_000_000_000)
  }

  private func unsubscribe(_ id: Int) {
    let removed = condition.withLock {
      arrived.remove(id)
      return viewers.removeValue(forKey: id) != nil
    }
    if removed { source.removeViewer() }
  }

  private func loop() {
    let encoder: JPEGEncoder
    do {
      encoder = try JPEGEncoder()
    } catch {
      let all = condition.withLock {
        failure = error.description
        stopped = true
        defer { viewers.removeAll() }
        return Array(viewers.values)
      }
      all.forEach { $0.finish() }
      return
    }
    var lastSent: UInt64 = 0
    while true {
      // Once stopped, the streams to finish; else the version last encoded.
      let state: (known: Int?, ending: [AsyncStream<Frame>.Continuation]?) = condition.withLock {
        while !stopped && viewers.isEmpty { condition.wait(timeoutNanos: 1_000_000_000) }
        guard stopped else { return (latest?.version, nil) }
        defer { viewers.removeAll() }
        return (nil, Array(viewers.values))
      }
      if let ending = state.ending {
        ending.forEach { $0.finish() }
        return
      }
      let known = state.known

      var frame: Frame?
      if let grid = source.latestGrid(), grid.version != known {
        do {
          let bytes = try grid.withUnsafeBytes { pixels in
            try encoder.encode(
              width: grid.width, height: grid.height, channels: grid.channels, pixels: pixels)
          }
          frame = Frame(version: grid.version, jpeg: ByteBuffer(bytes: bytes))
        } catch {
          condition.withLock { failure = "\(error)" }
        }
      }
      let now = MonotonicClock.nanos()
      // A frame older than two periods may be stale (the pipeline copies only while someone
      // watches): newcomers then wait for the next grid, unless the run has ended.
      let ended = source.hasEnded
      let (sending, targets, current) = condition.withLock {
        () -> (Frame?, [AsyncStream<Frame>.Continuation], Bool) in
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
        return (latest, targets, current)
      }
      if let sending { targets.forEach { $0.yield(sending) } }

      // Look again after half a frame period, or at once when a newcomer arrives meanwhile.
      condition.withLock {
        if arrived.isEmpty && !stopped {
          condition.wait(timeoutNanos: Int64(periodNanos / 2))
        } else if !stopped && !current {
          // Newcomers wait for a fresh grid: look again soon, without spinning.
          condition.wait(timeoutNanos: Int64(periodNanos / 4))
        }
      }
    }
  }
}
