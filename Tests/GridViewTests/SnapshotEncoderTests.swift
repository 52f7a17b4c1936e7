import Foundation
import GridCore
import Synchronization
import Testing

@testable import GridView

/// `/snapshot.png` costs one encode per grid version, one at a time, at most a tenth of the time.
@Suite struct SnapshotEncoderTests {
  /// An encoder that takes `millis` and counts how many run at once.
  final class CountingEncode: Sendable {
    let running = Atomic<Int>(0)
    let mostAtOnce = Atomic<Int>(0)
    let millis: Int
    init(millis: Int) { self.millis = millis }

    func encode(_ grid: LiveGrid) throws -> [UInt8] {
      let now = running.add(1, ordering: .sequentiallyConsistent).newValue
      _ = mostAtOnce.max(now, ordering: .sequentiallyConsistent)
      usleep(UInt32(millis * 1000))
      running.subtract(1, ordering: .sequentiallyConsistent)
      return [UInt8(truncatingIfNeeded: grid.version)]
    }
  }

  static func grid(_ version: Int) -> LiveGrid {
    LiveGrid(version: version, width: 2, height: 2, channels: 1, pixels: [0, 0, 0, 0])
  }

  @Test(.timeLimit(.minutes(1)))
  func requestsForOneGridShareOneEncode() async throws {
    let counting = CountingEncode(millis: 50)
    let encoder = SnapshotEncoder(encode: counting.encode)
    let pictures = try await withThrowingTaskGroup(of: [UInt8].self) { group in
      for _ in 0..<20 { group.addTask { Array(buffer: try await encoder.png(of: Self.grid(7))) } }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(pictures.count == 20 && pictures.allSatisfy { $0 == [7] })
    #expect(await encoder.encodes == 1)
    #expect(counting.mostAtOnce.load(ordering: .sequentiallyConsistent) == 1)
  }

  @Test(.timeLimit(.minutes(1)))
  func newerGridsWaitTheirTurnAndAreRationed() async throws {
    let counting = CountingEncode(millis: 40)
    let encoder = SnapshotEncoder(encode: counting.encode)
    // Twelve requests, each for a newer grid, all at once: never two encodes at a time, and after
    // the first the rest get its picture while encodes are rationed (9 × 40 ms).
    let pictures = try await withThrowingTaskGroup(of: [UInt8].self) { group in
      for version in 1...12 { group.addTask { Array(buffer: try await encoder.png(of: Self.grid(version))) } }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(pictures.count == 12)
    #expect(counting.mostAtOnce.load(ordering: .sequentiallyConsistent) == 1)
    #expect(await encoder.encodes < 12)
    #expect(await encoder.rationed() != nil)
    // Once the ration has passed, a newer grid is encoded again.
    try await Task.sleep(nanoseconds: 600_000_000)
    #expect(await encoder.rationed() == nil)
    let before = await encoder.encodes
    #expect(Array(buffer: try await encoder.png(of: Self.grid(40))) == [40])
    #expect(await encoder.encodes == before + 1)
  }
}
