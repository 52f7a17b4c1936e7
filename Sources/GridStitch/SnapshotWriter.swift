import GridCore
import GridImage
import GridPosix
import GridTransports

/// Writes snapshots off the stitching thread, which it never makes wait on the disk: a due grid
/// reaches it as a copy (`GridCopies`, the one channel that copies grids off the stitching
/// thread, shared with the live view), and a background thread encodes it and writes
/// `grid-NNNNNN.png` atomically. When `depth` snapshots are already queued or being written (the
/// disk is slower than `--snapshot-every` asks), the new one is skipped and counted lost; the ones
/// already queued keep their order. A run that stops early (a signal, an error) abandons what is still
/// queued or in flight: the temporary file is removed at once, and again by the writer thread
/// whenever it returns from the slow call, which then publishes nothing.
final class SnapshotWriter: @unchecked Sendable {
  /// What became of a run's snapshots: written + lost = due (every Nth grid).
  struct Tally: Sendable {
    var written = 0
    var lost = 0
    /// `grid-latest.png`, if it landed.
    var latest: String?
    /// A stop signal that arrived while `finish` waited for the disk.
    var interruptedBy: Int32? = nil
  }

  /// A write that has spent longer than a tick (100 ms) on the disk (create, write, fsync,
  /// rename) means a slow disk: a run stopped early then waits for nothing.
  static let slowDiskNanos: UInt64 = 100_000_000
  /// The most a run stopped early waits for `grid-latest.png` while the disk keeps up (encoding
  /// is CPU work, and a loaded machine can make it slow).
  static let latestGraceNanos: UInt64 = 1_000_000_000

  private let folder: String
  private let width: Int
  private let height: Int
  private let channels: Int
  private let every: Int
  /// Test only (a slow disk): sleep this long before each `fsync`.
  private let slowDiskMicros: Int
  /// The most snapshots queued or being written at once.
  let depth: Int
  private let lock = ConditionLock()
  private var pending: [Job] = []
  /// Jobs being encoded or written, by job number.
  private var inFlight: [Int: InFlight] = [:]
  private var jobs = 0
  private var state = State.open
  private var thread: Thread?
  private var written = 0
  private var lost = 0
  private var latestWritten = false
  private var failure: String?

  /// A copy of a grid to write; the live view may hold the same copy.
  private struct Job: Sendable {
    var number: Int
    var pixels: GridPixels
    /// The grid count for `grid-NNNNNN.png`, or nil for `grid-latest.png`.
    var grid: Int?
  }

  private struct InFlight {
    var grid: Int?
    /// When the job's file was created (monotonic ns): from then on its time is the disk's.
    var onDiskSince: UInt64?
    var temporaryPath: String?
    /// Past the point of no return: the rename is being made.
    var committing = false
    /// Its temporary file is being created: `abandon` waits (a tick at most) for its name, so
    /// that no file created just as we stop outlives the process.
    var creating = false
  }

  private enum State {
    /// Taking snapshots.
    case open
    /// No more snapshots: the thread drains the queue and leaves.
    case closing
    /// Stopped early: nothing more is written or published.
    case abandoned
  }

  /// - Parameters:
  ///   - every: write every Nth grid (0 = only `grid-latest.png` at the end).
  ///   - slowDiskMicros: test only; the writer sleeps this long before each `fsync`.
  init(folder: String, canvas: GridCanvas, every: Int, slowDiskMicros: Int = 0) throws {
    self.folder = folder
    self.width = canvas.width
    self.height = canvas.height
    self.channels = canvas.frame.channels
    self.every = every
    self.slowDiskMicros = slowDiskMicros
    // Enough copies to ride out a slow write, at most 256 MiB of them.
    depth = every > 0 ? min(8, max(2, (256 << 20) / max(1, canvas.byteCount))) : 1
    // The thread holds the writer until it leaves: an abandoned writer stuck in a slow call keeps
    // its copies until it returns, whatever the run does meanwhile.
    thread = try Thread { [self] in self.drain() }
  }

  static func name(grid: Int) -> String {
    let digits = String(grid)
    return "grid-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".png"
  }

  /// After grid number `grid` (counting from 1) is stitched: whether the writer takes a copy of
  /// it (it is due, and fewer than `depth` snapshots are queued or being written). A due grid it
  /// has no room for is counted lost. Never waits. A `true` is answered by `queue` or `lose`.
  func wants(grid: Int) -> Bool {
    guard every > 0, grid % every == 0 else { return false }
    return lock.withLock {
      guard case .open = state, failure == nil else { return false }
      if pending.count + inFlight.values.count(where: { $0.grid != nil }) < depth { return true }
      lost += 1
      return false
    }
  }

  /// Queues the copy of grid `grid` that `wants(grid:)` asked for.
  func queue(_ pixels: GridPixels, grid: Int) {
    lock.withLock {
      guard case .open = state else {
        lost += 1
        return
      }
      pending.append(Job(number: nextJobNumber(), pixels: pixels, grid: grid))
      lock.broadcast()
    }
  }

  /// A grid `wants(grid:)` asked for that could not be copied.
  func lose() { lock.withLock { lost += 1 } }

  /// Copies grid `grid` and queues it, if the writer wants it (a channel of its own, for tests).
  func gridDone(_ canvas: GridCanvas, grid: Int) {
    guard wants(grid: grid) else { return }
    queue(canvas.withUnsafeBytes { GridPixels(copying: $0) }, grid: grid)
  }

  /// The first failed write, as the one line that ends the run (path and errno).
  func check() throws(GridError) {
    if let failure = lock.withLock({ failure }) { throw .runtime("snapshot \(failure)") }
  }

  /// Ends a run that was not stopped early: queues `grid-latest.png` (if `latest` is given) and
  /// waits for everything queued to land. A stop signal while it waits turns this into
  /// `abandon(latest:)`, bounded as that is, and is returned in the tally.
  func finish(latest: GridCanvas?) -> Tally {
    if let latest {
      let pixels = latest.withUnsafeBytes { GridPixels(copying: $0) }
      lock.withLock { pending.append(Job(number: nextJobNumber(), pixels: pixels, grid: nil)) }
    }
    lock.withLock {
      if case .open = state { state = .closing }
      lock.broadcast()
    }
    while true {
      let drained = lock.withLock {
        if pending.isEmpty && inFlight.isEmpty || failure != nil { return true }
        lock.wait(timeoutNanos: WatchdogTick.nanos)
        return false
      }
      if drained { break }
      if StopSignals.pending != nil { return abandon(latest: nil) }
    }
    thread?.join()
    thread = nil
    return lock.withLock {
      Tally(written: written, lost: lost + pending.count(where: { $0.grid != nil }), latest: latestPath)
    }
  }

  /// Ends a run stopped early, in bounded time whatever the disk does: queued snapshots are
  /// dropped (lost); `grid-latest.png` (if `latest` is given) is written by a thread of its own,
  /// beside any write in flight, and waited for only while no write has spent `slowDiskNanos` on
  /// the disk (and `latestGraceNanos` at most). Then whatever has not landed is abandoned and its
  /// temporary file removed. Safe to call more than once.
  @discardableResult
  func abandon(latest: GridCanvas?) -> Tally {
    let lastJob: Int? = lock.withLock {
      guard case .open = state else { return nil }
      state = .closing
      lost += pending.count(where: { $0.grid != nil })
      pending.removeAll()
      lock.broadcast()
      guard latest != nil, failure == nil, !diskIsSlow else { return nil }
      let number = nextJobNumber()
      inFlight[number] = InFlight(grid: nil)
      return number
    }
    if let latest, let number = lastJob {
      let lastJob = Job(number: number, pixels: latest.withUnsafeBytes { GridPixels(copying: $0) }, grid: nil)
      do {
        try Thread { [self] in self.perform(lastJob) }.detach()
      } catch {
        lock.withLock { _ = inFlight.removeValue(forKey: lastJob.number) }
      }
    }
    // Only the last grid is worth waiting for, and only while the disk keeps up.
    let deadline = MonotonicClock.nanos() &+ Self.latestGraceNanos
    var temporaries: [String] = []
    let tally: Tally = lock.withLock {
      if case .abandoned = state {
      } else {
        while let lastJob, inFlight[lastJob] != nil, !diskIsSlow, MonotonicClock.nanos() < deadline {
          lock.wait(timeoutNanos: 5_000_000)
        }
        state = .abandoned
        lost += pending.count(where: { $0.grid != nil })
        pending.removeAll()
        // A file being created right now gets its name published (or is dropped) within a tick.
        let created = MonotonicClock.nanos() &+ UInt64(WatchdogTick.nanos)
        while inFlight.values.contains(where: \.creating) && MonotonicClock.nanos() < created {
          lock.wait(timeoutNanos: 1_000_000)
        }
        for job in inFlight.values {
          if job.committing {
            // The rename is being made: it lands (or fails) whatever we do now.
            if job.grid != nil { written += 1 } else { latestWritten = true }
          } else {
            if job.grid != nil { lost += 1 }
            if let path = job.temporaryPath { temporaries.append(path) }
          }
        }
        lock.broadcast()
      }
      return Tally(written: written, lost: lost, latest: latestPath, interruptedBy: StopSignals.pending)
    }
    // A writer may sit in fsync for seconds more; its file must not outlive us.
    for path in temporaries { FileSystem.remove(path) }
    thread?.detach()
    thread = nil
    return tally
  }

  private var latestPath: String? { latestWritten ? folder + "/grid-latest.png" : nil }

  /// Inside the lock: some write has spent longer than `slowDiskNanos` on the disk.
  private var diskIsSlow: Bool {
    let now = MonotonicClock.nanos()
    return inFlight.values.contains { job in job.onDiskSince.map { now &- $0 > Self.slowDiskNanos } ?? false }
  }

  /// Inside the lock.
  private func nextJobNumber() -> Int {
    jobs += 1
    return jobs
  }

  /// The writer thread: queued jobs in order, until closed, abandoned or failed.
  private func drain() {
    while true {
      let next = lock.withLock { () -> Job? in
        while true {
          if case .abandoned = state { return nil }
          if failure != nil { return nil }
          if !pending.isEmpty {
            let job = pending.removeFirst()
            inFlight[job.number] = InFlight(grid: job.grid)
            return job
          }
          if case .closing = state { return nil }
          lock.wait(timeoutNanos: WatchdogTick.nanos)
        }
      }
      guard let job = next else { return }
      perform(job)
    }
  }

  /// Writes one job (already in `inFlight`) and records what became of it.
  private func perform(_ job: Job) {
    let name = job.grid.map(Self.name(grid:)) ?? "grid-latest.png"
    let outcome = write(job, to: folder + "/" + name)
    lock.withLock {
      if case .abandoned = state {
      } else {
        switch outcome {
        case .written:
          if job.grid != nil { written += 1 } else { latestWritten = true }
        case .failed(let reason):
          if failure == nil { failure = reason }
        case .abandoned:
          break
        }
      }
      inFlight[job.number] = nil
      lock.broadcast()
    }
  }

  private enum Outcome {
    case written
    case failed(String)
    case abandoned
  }

  /// Encodes and writes one snapshot. Publishes its temporary name first, so `abandon` can remove
  /// it while this thread is stuck in a slow call; checks for abandonment before the rename.
  private func write(_ job: Job, to path: String) -> Outcome {
    do {
      let encoded = try job.pixels.withUnsafeBytes {
        try PNG.encode(width: width, height: height, channels: channels, pixels: $0, path: path)
      }
      let mayCreate = lock.withLock {
        if case .abandoned = state { return false }
        inFlight[job.number]?.creating = true
        return true
      }
      guard mayCreate else { return .abandoned }
      let created: AtomicFile
      do {
        created = try AtomicFile(creating: path)
      } catch {
        lock.withLock {
          inFlight[job.number]?.creating = false
          lock.broadcast()
        }
        throw error
      }
      let file = created
      let temporary = file.temporaryPath
      let go = lock.withLock {
        // Published even when abandoned: `abandon` removes it, since we may not get to.
        inFlight[job.number]?.creating = false
        inFlight[job.number]?.temporaryPath = temporary
        lock.broadcast()
        if case .abandoned = state { return false }
        inFlight[job.number]?.onDiskSince = MonotonicClock.nanos()
        return true
      }
      guard go else { return .abandoned }  // dropping `file` removes it
      try file.write(encoded)
      if slowDiskMicros > 0 { MonotonicClock.sleep(micros: slowDiskMicros) }
      try file.sync()
      let commit = lock.withLock {
        if case .abandoned = state { return false }
        inFlight[job.number]?.committing = true
        return true
      }
      guard commit else { return .abandoned }  // dropping `file` removes it
      try file.commit()
      return .written
    } catch let error as ImageError {
      return .failed(error.description)
    } catch let error as FileError {
      return .failed(error.description)
    } catch {
      return .failed("\(path): \(error)")
    }
  }
}
