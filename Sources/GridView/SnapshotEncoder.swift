import GridCore
import GridImage
import GridPosix
import NIOCore

/// `/snapshot.png`, costing what a viewer is worth: one PNG encode per grid version shared by
/// every request, at most one encode in flight, and encoding at most a tenth of the time (after
/// an encode of `d`, requests get that picture for the next `9 d`). A 59 MB grid takes about a
/// second to encode; six clients looping on it cut the pipeline's rate by two thirds when each
/// request encoded its own.
actor SnapshotEncoder {
  /// The newest picture, its grid's version, and when the next encode may start (uptime ns).
  private var cached: (version: Int, png: ByteBuffer)?
  private var nextAllowed: UInt64 = 0
  private var inFlight: Task<ByteBuffer, any Error>?
  /// Encodes run, for tests.
  private(set) var encodes = 0
  private let encode: @Sendable (LiveGrid) throws -> [UInt8]

  init(encode: @escaping @Sendable (LiveGrid) throws -> [UInt8] = SnapshotEncoder.png) {
    self.encode = encode
  }

  /// The newest picture while encodes are rationed or one is in flight; nil when a request should
  /// fetch a fresh grid (each fetch makes the pipeline copy one, so only a request that will
  /// encode it fetches one).
  func rationed() -> ByteBuffer? {
    guard let cached, inFlight != nil || MonotonicClock.nanos() < nextAllowed else { return nil }
    return cached.png
  }

  /// The PNG of `grid`, or of a newer grid, or, while encodes are rationed, the newest made.
  func png(of grid: LiveGrid) async throws -> ByteBuffer {
    while true {
      if let cached, cached.version >= grid.version || MonotonicClock.nanos() < nextAllowed {
        return cached.png
      }
      if let inFlight {
        _ = try? await inFlight.value  // the actor is free meanwhile; look again after it
        continue
      }
      let encode = self.encode
      let version = grid.version
      // The task runs on this actor: it records its picture before anyone awaiting it resumes, so a
      // waiter finds the picture (or a free slot) when it looks again.
      let task = Task<ByteBuffer, any Error> {
        let started = MonotonicClock.nanos()
        do {
          let png = try await Self.offThread { ByteBuffer(bytes: try encode(grid)) }
          self.finished(version: version, png: png, took: MonotonicClock.nanos() &- started)
          return png
        } catch {
          self.finished(version: version, png: nil, took: 0)
          throw error
        }
      }
      inFlight = task
      encodes += 1
      return try await task.value
    }
  }

  private func finished(version: Int, png: ByteBuffer?, took: UInt64) {
    inFlight = nil
    guard let png else { return }
    if version > cached?.version ?? Int.min { cached = (version, png) }
    nextAllowed = MonotonicClock.nanos() &+ 9 &* took
  }

  static func png(_ grid: LiveGrid) throws -> [UInt8] {
    try grid.withUnsafeBytes { pixels in
      try PNG.encode(
        width: grid.width, height: grid.height, channels: grid.channels, pixels: pixels, path: "snapshot.png")
    }
  }

  /// Runs `work` on a thread of its own: a second-long encode must not hold one of the few
  /// threads the server's tasks share.
  private static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      do {
        try GridPosix.Thread { continuation.resume(with: Result { try work() }) }.detach()
      } catch {
        continuation.resume(throwing: error)
      }
    }
  }
}
