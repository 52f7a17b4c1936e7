import GridCore
import GridPosix

/// `pipe`: a pipe per camera; the consumer reads a copy of every frame.
struct PipeUnit: ProcessTransportUnit {
  var name: String { "pipe" }
  var summary: String { "camera processes write header + pixels into a pipe; the consumer reads a copy" }
  // A pipe per camera, both ends until the cameras have started; the shared memfd counted anyway.
  var traits: TransportTraits {
    TransportTraits(cameras: .processes, descriptorsPerCamera: 2, sharedDescriptors: 1)
  }
  var cameraDescriptorKinds: [DescriptorKind] { [.pipeWriteEnd] }

  func makeCore(shape: TransportShape) throws -> any ProcessTransportCore { try PipeTransport(shape: shape) }

  func attach(shape: TransportShape, camera: Int, ends: consuming CameraEnds, watch: CameraSideWatch) throws
    -> FramePublisher
  {
    PipePublisher(shape: shape, writeEnd: try ends.one(for: name))
  }
}
