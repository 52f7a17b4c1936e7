import GridCore
import GridPosix

/// `zmq`: camera DEALERs into one ROUTER with credit flow; camera processes of this run over
/// `ipc://`, or cameras on other hosts joining a hub that listens (`--listen`).
struct ZMQUnit: ProcessTransportUnit {
  var name: String { "zmq" }
  var summary: String {
    "ZeroMQ: camera DEALERs into one ROUTER, credit flow, zero-copy messages; ipc:// here, tcp:// from other hosts (--listen)"
  }
  // A connection per camera; libzmq's context, sockets, monitor and mailboxes.
  var traits: TransportTraits {
    TransportTraits(
      cameras: .processes, policies: [.lockstep, .latest], slots: true, listens: true,
      descriptorsPerCamera: 1, sharedDescriptors: 24)
  }
  var cameraDescriptorKinds: [DescriptorKind] { [.directory] }

  func makeCore(shape: TransportShape) throws -> any ProcessTransportCore {
    try ZMQLocalTransport(shape: shape)
  }

  /// Camera processes of this run, or a hub of remote cameras that returns once all have joined.
  func makeConsumer(_ request: ConsumerRequest) throws -> ConsumerSide {
    switch request.hub {
    case nil: return .launch(ProcessTransport(core: try makeCore(shape: request.shape)))
    case .senders: throw GridError.usage("transport 'zmq' does not read imagezmq senders")
    case .cameras(let orders):
      let hub = try ZMQRemoteHub(
        endpoint: orders.endpoint, orders: orders.orders, sceneChecksum: orders.sceneChecksum,
        security: orders.security, timeoutNanos: orders.timeoutNanos, stopOnLoss: orders.stopOnLoss,
        watchdog: request.watchdog, log: orders.log)
      orders.log(
        "gridstitch: waiting up to \(SecondsText.of(Double(orders.waitNanos) / 1e9)) s for "
          + "\(orders.orders.cameras) cameras at \(orders.endpoint)"
          + (orders.security == nil ? "" : " (CURVE)"))
      try hub.gather(waitNanos: orders.waitNanos)
      return .ready(hub)
    }
  }

  func attach(shape: TransportShape, camera: Int, ends: consuming CameraEnds, watch: CameraSideWatch) throws
    -> FramePublisher
  {
    try ZMQLocalTransport.attach(
      shape: shape, camera: camera, directory: try ends.one(for: name), watch: watch)
  }
}
