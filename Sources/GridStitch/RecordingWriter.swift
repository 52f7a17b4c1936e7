import GridCore
import GridMedia
import GridPosix
import GridTransports

/// `--record PATH.mp4`: keeps the stitched grid as H.264 in a fragmented MP4, encoded off the
/// stitching thread, which it never makes wait. A grid reaches it as a copy (`GridCopies`, the
/// channel it shares with the snapshot writer and the live view) at most `--record-fps` times a
/// second of capture time: the first grid of each 1 / fps slot after the first grid's capture. A
/// background thread encodes it (GridMedia's `VideoRecorder`), shown at its slot's time, so
/// playback runs in real time at an even rate. When `depth` grids are already waiting or being
/// encoded (the encoder is behind), a due grid is left out and counted (`recording_dropped`). A
/// failed write (a full disk) ends the run with one line, as a snapshot's does. At the end,
/// whether every grid was done or a signal stopped the run, what is queued is encoded, the
/// encoder flushed and the file finished.
final class RecordingWriter: @unchecked Sendable {
  /// What became of a run's recording.
  struct Tally: Sendable {
    var path: String
    /// Grids in the file.
    var recorded = 0
    /// Grids due that the encoder was too far behind to take.
    var dropped = 0
    /// CPU time of the encoding thread (scaling, encoding, muxing, writing).
    var cpuSeconds = 0.0
  }

  let path: String
  /// The most grids waiting or being encoded at once.
  let depth: Int
  private let periodNanos: Double
  // The stitching thread's own.
  private var firstCapture: UInt64?
  private var lastSlot: Int64 = -1

  private let lock = ConditionLock()
  // Guarded by `lock`.
  private var pending: [Job] = []
  private var encoding = false
  private var closing = false
  private var failure: String?
  private var dropped = 0
  private var recorded = 0
  private var cpuSeconds = 0.0
  /// The thread has finished the file (or given up on it) and is leaving.
  private var done = false
  /// The encoder and muxer: the writer thread's alone once it runs.
  private var recorder: VideoRecorder?
  private var thread: Thread?

  private struct Job: Sendable {
    var pixels: GridPixels
    /// Seconds from the first grid's capture to the start of its slot.
    var seconds: Double
  }

  /// Opens the file and the encoder (a failure is one line: exit 1) and starts the thread.
  init(path: String, canvas: GridCanvas, framesPerSecond: Double) throws {
    self.path = path
    periodNanos = 1e9 / framesPerSecond
    // One being encoded and seven waiting ride out a slow stretch (a forced keyframe, the
    // encoder's thread descheduled while 17 processes share two cores: with three, 2 grids of 601
    // were left out of a 20 s genlock run at 30 fps); at most 256 MiB of them.
    depth = min(8, max(1, (256 << 20) / max(1, canvas.byteCount)))
    do {
      recorder = try VideoRecorder(
        path: path, width: canvas.width, height: canvas.height, channels: canvas.frame.channels,
        framesPerSecond: framesPerSecond)
    } catch {
      throw GridError.runtime("recording \(path): \(error)")
    }
    thread = try Thread { [self] in self.drain() }
  }

  /// After a grid captured at `captureNanos` is stitched (stitching thread): whether the
  /// recording takes a copy of it (it opens a new 1 / fps slot, and the encoder has room). A due
  /// grid without room is counted dropped. Never waits. A `true` is answered by `queue` or `lose`.
  func wants(captureNanos: UInt64) -> Bool {
    let first = firstCapture ?? captureNanos
    firstCapture = first
    let elapsed = captureNanos > first ? Double(captureNanos - first) : 0
    let slot = Int64(elapsed / periodNanos)
    guard slot > lastSlot else { return false }
    lastSlot = slot
    return lock.withLock {
      guard !closing, failure == nil else { return false }
      if pending.count + (encoding ? 1 : 0) < depth { return true }
      dropped += 1
      return false
    }
  }

  /// Queues the copy `wants(captureNanos:)` asked for: it is shown from the start of its slot,
  /// so a recording that keeps up has the even rate of `--record-fps`.
  func queue(_ pixels: GridPixels) {
    let job = Job(pixels: pixels, seconds: Double(lastSlot) * periodNanos / 1e9)
    lock.withLock {
      guard !closing, failure == nil else {
        dropped += 1
        return
      }
      pending.append(job)
      lock.broadcast()
    }
  }

  /// A grid `wants(captureNanos:)` asked for that could not be copied.
  func lose() { lock.withLock { dropped += 1 } }

  /// The first failed write, as the one line that ends the run (path and FFmpeg's reason).
  func check() throws(GridError) {
    if let failure = lock.withLock({ failure }) { throw .runtime("recording \(failure)") }
  }

  /// A run waits this long at most for the file to be finished: what is queued is a few grids,
  /// but a disk that stops answering must not hang the run's end.
  static let finishGraceNanos: UInt64 = 10_000_000_000

  /// Encodes what is queued, flushes the encoder and finishes the file; then the tally. Safe to
  /// call more than once. Bounded: after `finishGraceNanos` the thread is left to end by itself
  /// (its file then ends at the last fragment it wrote).
  func finish() -> Tally {
    let deadline = MonotonicClock.nanos() &+ Self.finishGraceNanos
    let waited = thread != nil
    let finished = lock.withLock {
      closing = true
      lock.broadcast()
      while waited, !done, MonotonicClock.nanos() < deadline { lock.wait(timeoutNanos: WatchdogTick.nanos) }
      return done
    }
    if finished { thread?.join() } else { thread?.detach() }
    thread = nil
    return lock.withLock { Tally(path: path, recorded: recorded, dropped: dropped, cpuSeconds: cpuSeconds) }
  }

  /// The writer thread: queued grids in order, then the end of the file.
  private func drain() {
    while true {
      let next = lock.withLock { () -> Job? in
        while true {
          if failure != nil { return nil }
          if !pending.isEmpty {
            encoding = true
            return pending.removeFirst()
          }
          if closing { return nil }
          lock.wait(timeoutNanos: WatchdogTick.nanos)
        }
      }
      guard let job = next else { break }
      guard let recorder else { break }
      settle(
        Result { () throws(MediaError) -> Void in
          try job.pixels.withUnsafeBytes { pixels throws(MediaError) in
            try recorder.append(pixels, seconds: job.seconds)
          }
        })
    }
    if let recorder { settle(Result { () throws(MediaError) -> Void in try recorder.finish() }) }
    // Frees the encoder and closes the file now, on this thread, not whenever the run lets go.
    let written = recorder?.framesWritten ?? 0
    recorder = nil
    let spent = ResourceUsage.threadCPUSeconds()
    lock.withLock {
      recorded = written
      cpuSeconds = spent
      done = true
      lock.broadcast()
    }
  }

  private func settle(_ outcome: Result<Void, MediaError>) {
    let written = recorder?.framesWritten ?? 0
    lock.withLock {
      encoding = false
      recorded = written
      if case .failure(let error) = outcome, failure == nil { failure = "\(path): \(error)" }
      lock.broadcast()
    }
  }
}
