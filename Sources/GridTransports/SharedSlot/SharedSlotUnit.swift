import GridCore
import GridPosix

/// `shm-pipe` and `shm-mqueue`: one shared slot per camera, handed over by process-shared
/// semaphores, the header through a pipe or a POSIX message queue.
struct SharedSlotUnit: ProcessTransportUnit {
  let channel: SharedSlotTransport.Channel

  var name: String { channel == .pipe ? "shm-pipe" : "shm-mqueue" }
  var summary: String {
    "one shared-memory slot per camera handed over by process-shared semaphores, header through "
      + (channel == .pipe ? "a pipe" : "a POSIX message queue")
  }
  // A header pipe per camera (both ends until the cameras have started) or a message queue per
  // camera, and the slots' memfd.
  var traits: TransportTraits {
    TransportTraits(cameras: .processes, descriptorsPerCamera: channel == .pipe ? 2 : 1, sharedDescriptors: 1)
  }
  var cameraDescriptorKinds: [DescriptorKind] { [.memfd, channel == .pipe ? .pipeWriteEnd : .messageQueue] }
  func mappingBytes(shape: TransportShape) -> Int? { SlotLayout(shape: shape).totalBytes }

  func makeCore(shape: TransportShape) throws -> any ProcessTransportCore {
    try SharedSlotTransport(shape: shape, channel: channel)
  }

  func attach(shape: TransportShape, camera: Int, ends: consuming CameraEnds, watch: CameraSideWatch) throws
    -> FramePublisher
  {
    let pair = try ends.two(for: name)
    let memory = pair.first
    let header = pair.second
    return try SharedSlotPublisher(
      shape: shape, camera: camera, memory: memory,
      channel: channel == .pipe ? .pipe(header) : .messageQueue(header), watch: watch)
  }
}
