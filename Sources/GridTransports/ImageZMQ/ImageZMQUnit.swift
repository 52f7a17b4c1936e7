import GridCore
import GridPosix

/// `imagezmq`: a hub for unchanged imagezmq senders; each sender's name becomes a tile.
struct ImageZMQUnit: TransportUnit {
  var name: String { "imagezmq" }
  var summary: String { "a hub for unchanged imagezmq senders (REQ or PUB): each sender name becomes a tile" }
  // libzmq's context, its I/O thread and sockets (about 10), and a connection per sender; its
  // descriptors are not kept above `FileDescriptors.floor`.
  var traits: TransportTraits {
    TransportTraits(
      cameras: .senders, policies: [.lockstep, .latest], listens: true, subscribes: true,
      carriesFrameHeaders: false, descriptorsPerCamera: 2, sharedDescriptors: 16)
  }

  /// Set-up waits here for the first frame of every sender.
  func makeConsumer(_ request: ConsumerRequest) throws -> ConsumerSide {
    guard case .senders(let settings) = request.hub else {
      throw GridError.usage("transport 'imagezmq' reads senders: give it their addresses")
    }
    return .ready(try ImageZMQHub.start(settings, watchdog: request.watchdog))
  }
}
