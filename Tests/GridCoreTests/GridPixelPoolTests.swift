import GridCore
import Testing

/// The live view's copies reuse a few buffers: a buffer comes back when the last grid holding it
/// goes, and none is made past the limit.
@Suite struct GridPixelPoolTests {
  @Test func buffersComeBackAndStayWithinTheLimit() {
    let pool = GridPixelPool(byteCount: 4, limit: 2)
    let first: [UInt8] = [1, 2, 3, 4]
    var a: GridPixels? = first.withUnsafeBytes { pool.copy($0) }
    let b = [UInt8]([5, 6, 7, 8]).withUnsafeBytes { pool.copy($0) }
    #expect(a != nil && b != nil)
    // Both buffers are held: no third is made.
    #expect([UInt8]([9, 9, 9, 9]).withUnsafeBytes { pool.copy($0) } == nil)
    #expect(pool.buffersMade == 2)
    let grid = LiveGrid(version: 1, width: 2, height: 2, channels: 1, pixels: b!)
    #expect(grid.withUnsafeBytes { Array($0) } == [5, 6, 7, 8])
    // Once the last holder of `a` lets go, its buffer is reused, not a new one made.
    a = nil
    let c = [UInt8]([10, 11, 12, 13]).withUnsafeBytes { pool.copy($0) }
    #expect(c != nil && pool.buffersMade == 2)
    let reused = LiveGrid(version: 2, width: 2, height: 2, channels: 1, pixels: c!)
    #expect(reused.withUnsafeBytes { Array($0) } == [10, 11, 12, 13])
    // The grid holding `b` still reads its own pixels.
    #expect(grid.withUnsafeBytes { Array($0) } == [5, 6, 7, 8])
  }
}
