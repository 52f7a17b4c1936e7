import GridCore
import GridPosix
import GridZMQ
import SystemPackage

/// `zmq` with camera processes of this run. The hub's ROUTER listens on an `ipc://` socket in a
/// private folder (mode 0700, an unguessable name) rather than on loopback tcp: no other user can
/// connect, nothing reaches the network stack, and no port can be taken from under it. Each
/// camera is handed a path-only descriptor of the folder and connects through
/// /proc/self/fd/N/hub, so the folder is removed as soon as every camera has said hello (their
/// connections stay), and again on every other ending. A consumer SIGKILLed during set-up cannot
/// remove it; the folder's name carries the consumer's pid, and the next `zmq` run removes the
/// folders of consumers that are gone.
final class ZMQLocalTransport: ProcessTransportCore {
  static let socketName = "hub"
  static let folderPrefix = "gridstitch-zmq-"
  private let shape: TransportShape
  private let folder: TemporaryFolder
  private let directory: DescriptorSet

  init(shape: TransportShape) throws {
    self.shape = shape
    TemporaryFolder.removeAbandoned(prefix: Self.folderPrefix)
    folder = try TemporaryFolder(ownedPrefix: Self.folderPrefix)
    directory = DescriptorSet(count: 1)
    directory.adopt(try FileDescriptors.openDirectory(folder.path), at: 0)
  }

  func withDescriptors<R>(forCamera camera: Int, _ body: ([FileDescriptor]) throws -> R) throws -> R {
    try directory.withDescriptors(at: [0], body)
  }

  func closeCameraEnds() { directory.closeAll() }

  /// Binds only now, after every camera has forked: libzmq's threads must not be forked.
  func makeReceiver(watchdog: Watchdog) throws -> FrameReceiver {
    let hub = try ZMQLocalHub(shape: shape, watchdog: watchdog, folder: folder)
    try hub.gather()
    return hub
  }

  /// The routing id of local camera `camera`.
  static func routingID(camera: Int) -> [UInt8] { [0x47, UInt8(camera)] }

  /// A camera process's side: connect through the folder's descriptor and say hello.
  static func attach(
    shape: TransportShape, camera: Int, directory: consuming OwnedDescriptor, watch: CameraSideWatch
  ) throws -> FramePublisher {
    let link = try ZMQCameraLink(
      endpoint: directory.withDescriptor { "ipc:///proc/self/fd/\($0.rawValue)/\(socketName)" },
      routingID: routingID(camera: camera),
      watch: .parent(watch))
    // libzmq reconnects through the folder's descriptor too, so the link keeps it.
    link.anchor.adopt(directory, at: 0)
    try link.hello(ZMQWire.Hello(requestedCamera: Int32(camera), sceneGrey: 0, sceneRGB: 0))
    return try ZMQPublisher(link: link, shape: shape)
  }
}

/// The hub of local cameras: each says hello with the routing id of its number.
final class ZMQLocalHub: ZMQHub {
  private let folder: TemporaryFolder

  init(shape: TransportShape, watchdog: Watchdog, folder: TemporaryFolder) throws {
    self.folder = folder
    try super.init(
      shape: shape, watchdog: watchdog, cameras: .local, context: ZMQContext(ioThreads: ZMQHub.ioThreads),
      log: { line in
        _ = try? FileDescriptor.standardError.writeAll(Array((TerminalText.escaped(line) + "\n").utf8))
      })
    try socket.bind("ipc://\(folder.path)/\(ZMQLocalTransport.socketName)")
  }

  /// Waits until every camera has said hello (they are at the start line, so this is set-up
  /// time), removes the folder, and grants each camera its credit.
  func gather() throws {
    defer { folder.remove() }
    try gather(until: { !ids.contains(where: { $0 == nil }) }) {
      for camera in 0..<shape.cameras where ids[camera] == nil {
        if try !watchdog.isAlive(camera: camera) { throw watchdog.lost(camera: camera) }
      }
    }
    for camera in 0..<shape.cameras { grant(camera, shape.slots) }
  }

  override func arrived(id: [UInt8], hello: ZMQWire.Hello, from part: ZMQMessage, fd: Int32) throws {
    let camera = Int(hello.requestedCamera)
    guard (0..<shape.cameras).contains(camera), id == ZMQLocalTransport.routingID(camera: camera),
      ids[camera] == nil
    else {
      reject(part, why: "a hello from a peer that is not camera \(camera) of this run")
      return
    }
    register(camera, id: id, name: "camera \(camera)", peer: "", fd: nil, joining: false)
  }
}
