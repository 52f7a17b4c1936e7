import GridCore
import GridPosix

/// `serial`: no transport at all; the consumer renders each camera itself, in turn.
struct SerialUnit: TransportUnit {
  var name: String { "serial" }
  var summary: String { "the consumer renders each camera itself, in turn (the seed's baseline)" }
  var traits: TransportTraits { TransportTraits(cameras: .inline) }

  func makeConsumer(_ request: ConsumerRequest) throws -> ConsumerSide {
    .ready(SerialReceiver(cameras: request.cameras, startLine: request.startLine))
  }
}
