import Synchronization

/// A copy of a stitched grid's pixels, never changed once made. The snapshot writer and the live
/// view hold the same copy when both want the same grid. When the last holder lets go, the memory
/// goes back to the pool it came from, for a later copy: a 59 MB grid copied 15 times a second
/// into fresh memory cost the stitching thread a fault per page.
public final class GridPixels: Sendable {
  /// Owned here; written only before the pixels are handed out.
  private nonisolated(unsafe) let bytes: UnsafeMutableRawBufferPointer
  private let pool: GridPixelPool?

  /// Pixels of their own, freed with them.
  public init(copying source: UnsafeRawBufferPointer) {
    bytes = .allocate(byteCount: source.count, alignment: 64)
    bytes.copyMemory(from: source)
    pool = nil
  }

  fileprivate init(bytes: UnsafeMutableRawBufferPointer, pool: GridPixelPool) {
    self.bytes = bytes
    self.pool = pool
  }

  deinit {
    if let pool { pool.giveBack(bytes) } else { bytes.deallocate() }
  }

  /// Lends the pixels to `body`, and only to it.
  public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try body(UnsafeRawBufferPointer(bytes))
  }
}

/// At most `limit` buffers of one size, reused: a copy takes a buffer no copy holds, and none is
/// made past the limit (the taker then goes without: viewers keep the grid they have, a
/// snapshot is counted lost).
public final class GridPixelPool: Sendable {
  public let byteCount: Int
  public let limit: Int
  /// Buffers no grid holds, and how many exist in all. A buffer is reached only through the lock,
  /// or through the one `GridPixels` it was handed to.
  private struct Stock: ~Copyable, @unchecked Sendable {
    var free: [UnsafeMutableRawBufferPointer] = []
    var made = 0
  }
  private let stock = Mutex(Stock())

  public init(byteCount: Int, limit: Int) {
    precondition(byteCount > 0 && limit > 0)
    self.byteCount = byteCount
    self.limit = limit
  }

  deinit {
    stock.withLock { stock in stock.free.forEach { $0.deallocate() } }
  }

  /// Pixels holding a copy of `source` (`byteCount` bytes), or nil when every buffer is held.
  public func copy(_ source: UnsafeRawBufferPointer) -> GridPixels? {
    precondition(source.count == byteCount)
    let taken: UnsafeMutableRawBufferPointer? = stock.withLock { stock in
      if let bytes = stock.free.popLast() { return bytes }
      guard stock.made < limit else { return nil }
      stock.made += 1
      return .allocate(byteCount: byteCount, alignment: 64)
    }
    guard let taken else { return nil }
    taken.copyMemory(from: source)
    return GridPixels(bytes: taken, pool: self)
  }

  /// Buffers made so far (for tests).
  public var buffersMade: Int { stock.withLock { $0.made } }

  fileprivate func giveBack(_ bytes: UnsafeMutableRawBufferPointer) {
    nonisolated(unsafe) let bytes = bytes
    stock.withLock { $0.free.append(bytes) }
  }
}
