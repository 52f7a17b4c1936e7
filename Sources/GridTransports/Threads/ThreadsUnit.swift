import GridCore
import GridPosix

/// `threads`: a camera thread each, in the consumer's process.
struct ThreadsUnit: TransportUnit {
  var name: String { "threads" }
  var summary: String {
    "camera threads, bounded blocking queue of 4 buffers per camera, buffers handed over, no copy"
  }
  var traits: TransportTraits { TransportTraits(cameras: .threads) }

  func makeConsumer(_ request: ConsumerRequest) throws -> ConsumerSide {
    .ready(
      try ThreadsTransport(
        cameras: request.cameras, frames: request.frames, watchdog: request.watchdog,
        startLine: request.startLine))
  }
}
