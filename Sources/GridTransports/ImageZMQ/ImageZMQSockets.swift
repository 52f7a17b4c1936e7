import GridCore
import GridZMQ

/// The imagezmq hub's sockets: a ROUTER bound at `--listen` for REQ senders, a SUB connected to
/// each `--subscribe` for PUB senders, their connection events (for the peer table's ledger), and
/// what the hub polls.
struct ImageZMQSockets {
  private(set) var router: ZMQSocket?
  private(set) var subscriber: ZMQSocket?
  private(set) var monitors: [ZMQMonitor] = []
  var pollItems: [ZMQPollItem] = []

  /// Binds and connects; a taken address or a refused endpoint is one line naming the flag.
  init(_ settings: ImageZMQSettings, context: ZMQContext) throws {
    do {
      if let listen = settings.listen {
        let socket = try ZMQSocket(context, .router)
        try Self.configure(socket)
        if settings.listenIPv6 { try socket.enableIPv6() }
        do {
          try socket.bind(listen)
        } catch {
          let reason = error.addressInUse ? "the address is already in use" : "\(error)"
          throw GridError.runtime("--listen \(listen): \(reason)")
        }
        router = socket
        monitors.append(try socket.monitor(events: [.accepted, .disconnected], name: "imagezmq-router"))
        pollItems.append(ZMQPollItem(socket: socket, events: .readable))
      }
      if !settings.subscribe.isEmpty {
        let socket = try ZMQSocket(context, .sub)
        try Self.configure(socket)
        if settings.subscribe.contains(where: { $0.contains("[") }) { try socket.enableIPv6() }
        try socket.subscribeToAll()
        monitors.append(try socket.monitor(events: [.connected, .disconnected], name: "imagezmq-subscriber"))
        for endpoint in settings.subscribe {
          do {
            try socket.connect(endpoint)
          } catch {
            throw GridError.runtime("--subscribe \(endpoint): \(error)")
          }
        }
        subscriber = socket
        pollItems.append(ZMQPollItem(socket: socket, events: .readable))
      }
    } catch let error as ZMQError {
      throw GridError.runtime("imagezmq: \(error)")
    }
  }

  private static func configure(_ socket: ZMQSocket) throws(ZMQError) {
    try socket.setMaxMessageSize(Int64(ImageZMQSettings.maxMessageBytes))
    try socket.setReceiveHighWaterMark(ImageZMQSettings.queuedPerSender)
    try socket.setHandshakeTimeout(millis: ZMQHub.handshakeMillis)
  }

  /// Closes both, giving replies a moment to leave; calling it again does nothing.
  mutating func close() {
    for socket in [router, subscriber].compactMap({ $0 }) {
      try? socket.setLinger(millis: 200)
      socket.close()
    }
    router = nil
    subscriber = nil
    monitors = []
    pollItems = []
  }
}
