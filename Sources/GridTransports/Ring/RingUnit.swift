import GridCore
import GridPosix

/// `shm-ring`: a lock-free ring of slots per camera in one shared memfd.
struct RingUnit: ProcessTransportUnit {
  var name: String { "shm-ring" }
  var summary: String {
    "lock-free ring of slots per camera in shared memory; cameras render into a loaned slot, zero copy"
  }
  // One memfd for every camera's ring.
  var traits: TransportTraits {
    TransportTraits(
      cameras: .processes, policies: [.lockstep, .latest], slots: true, deepensUnpaced: true,
      countsWakeups: true,
      descriptorsPerCamera: 0, sharedDescriptors: 1)
  }
  var cameraDescriptorKinds: [DescriptorKind] { [.memfd] }
  func mappingBytes(shape: TransportShape) -> Int? { RingLayout.bytesNeeded(shape: shape) }

  func makeCore(shape: TransportShape) throws -> any ProcessTransportCore { try RingTransport(shape: shape) }

  func attach(shape: TransportShape, camera: Int, ends: consuming CameraEnds, watch: CameraSideWatch) throws
    -> FramePublisher
  {
    try RingPublishers.make(shape: shape, camera: camera, memory: try ends.one(for: name), watch: watch)
  }
}
