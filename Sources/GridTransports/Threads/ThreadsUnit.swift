import GridCore
import GridPosix

/// `threads`: a camera thread each, in the consumer's process.
struct ThreadsUnit: TransportUnit {
  var name: String { "threads" }
  var summary: String {
    "camera threads, a bounded queue of --slots buffers per camera, buffers handed over, no copy"
  }
  var traits: TransportTraits { TransportTraits(cameras: .threads, slots: true, deepensUnpaced: true) }

  func makeConsumer(_ request: ConsumerRequest) throws -> ConsumerSide {
    .ready(
      try ThreadsTransport(
        cameras: request.cameras, frames: request.frames, depth: request.shape.slots,
        watchdog: request.watchdog,
        startLine: request.startLine))
  }
}
