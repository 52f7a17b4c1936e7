import Glibc
import GridCore
import GridPosix
import GridTransports
import SystemPackage

/// `socketpair`, a transport of the tests' own: a unix stream socket pair per camera; the camera
/// writes header and pixels, the consumer reads a copy. It lives outside GridTransports and
/// plugs in through `TransportTable.register`, which is what it is here to show: a transport is
/// one folder (this one) and one table entry.
struct SocketPairUnit: ProcessTransportUnit {
  var name: String { "socketpair" }
  var summary: String { "tests only: a unix stream socket pair per camera; the consumer reads a copy" }
  // Both ends of each pair until the cameras have started; the scene's memfd.
  var traits: TransportTraits {
    TransportTraits(cameras: .processes, descriptorsPerCamera: 2, sharedDescriptors: 1)
  }
  var cameraDescriptorKinds: [DescriptorKind] { [.socket] }

  func makeCore(shape: TransportShape) throws -> any ProcessTransportCore {
    try SocketPairTransport(shape: shape)
  }

  func attach(shape: TransportShape, camera: Int, ends: consuming CameraEnds, watch: CameraSideWatch) throws
    -> FramePublisher
  {
    SocketPairPublisher(shape: shape, end: try ends.one(for: name))
  }
}

/// The consumer's side before the cameras start: every pair, both ends.
final class SocketPairTransport: ProcessTransportCore {
  private let shape: TransportShape
  private let consumerEnds: DescriptorSet
  private let cameraEnds: DescriptorSet

  init(shape: TransportShape) throws {
    self.shape = shape
    consumerEnds = DescriptorSet(count: shape.cameras)
    cameraEnds = DescriptorSet(count: shape.cameras)
    for camera in 0..<shape.cameras {
      var pair: [Int32] = [-1, -1]
      guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0
      else { throw SyscallError("socketpair") }
      let consumer = try FileDescriptors.moveHigh(OwnedDescriptor(taking: FileDescriptor(rawValue: pair[0])))
      try consumer.withDescriptor { (fd) throws(SyscallError) in try FileDescriptors.setNonBlocking(fd) }
      consumerEnds.adopt(consumer, at: camera)
      cameraEnds.adopt(
        try FileDescriptors.moveHigh(OwnedDescriptor(taking: FileDescriptor(rawValue: pair[1]))), at: camera)
    }
  }

  func withDescriptors<R>(forCamera camera: Int, _ body: ([FileDescriptor]) throws -> R) throws -> R {
    try cameraEnds.withDescriptors(at: [camera], body)
  }

  func closeCameraEnds() { cameraEnds.closeAll() }

  func makeReceiver(watchdog: Watchdog) throws -> FrameReceiver {
    SocketPairReceiver(shape: shape, ends: consumerEnds, watchdog: watchdog)
  }
}

/// Reads each frame whole into one buffer it owns, and lends it.
final class SocketPairReceiver: FrameReceiver {
  private let shape: TransportShape
  private let ends: DescriptorSet
  private let watchdog: Watchdog
  private let buffer: UnsafeMutableRawBufferPointer

  init(shape: TransportShape, ends: DescriptorSet, watchdog: Watchdog) {
    self.shape = shape
    self.ends = ends
    self.watchdog = watchdog
    buffer = .allocate(byteCount: FrameHeader.wireSize + shape.geometry.bytesPerFrame, alignment: 64)
  }

  deinit {
    ends.closeAll()
    buffer.deallocate()
  }

  func withNextFrame<R>(from camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R) throws
    -> R
  {
    let header = UnsafeMutableRawBufferPointer(rebasing: buffer[..<FrameHeader.wireSize])
    let pixels = UnsafeMutableRawBufferPointer(rebasing: buffer[FrameHeader.wireSize...])
    let decoded = try ends.withDescriptor(at: camera) { fd in
      guard let fd else { throw GridError.runtime("socketpair: camera \(camera) has no socket") }
      try readExactly(fd, into: header, camera: camera, watchdog: watchdog)
      let decoded = FrameHeader(decoding: header.baseAddress!)
      guard decoded.byteCount == pixels.count else {
        throw GridError.runtime(
          "socketpair: camera \(camera) sent \(decoded.byteCount) bytes, not \(pixels.count)")
      }
      try readExactly(fd, into: pixels, camera: camera, watchdog: watchdog)
      return decoded
    }
    return try body(decoded, UnsafeRawBufferPointer(pixels))
  }
}

/// The camera's side: fills one buffer it owns and writes it whole.
final class SocketPairPublisher: FramePublisher {
  private let end: DescriptorSet
  private let buffer: UnsafeMutableRawBufferPointer

  init(shape: TransportShape, end: consuming OwnedDescriptor) {
    self.end = DescriptorSet(count: 1)
    self.end.adopt(end, at: 0)
    buffer = .allocate(byteCount: FrameHeader.wireSize + shape.geometry.bytesPerFrame, alignment: 64)
  }

  deinit {
    end.closeAll()
    buffer.deallocate()
  }

  func publish(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws {
    var header = FrameHeader.zero
    let pixels = UnsafeMutableRawBufferPointer(rebasing: buffer[FrameHeader.wireSize...])
    try fill(&header, pixels)
    header.encode(into: buffer.baseAddress!)
    try end.withDescriptor(at: 0) { fd in
      guard let fd else { throw GridError.runtime("socketpair: the camera's socket is closed") }
      try FileDescriptors.writeAll(fd, UnsafeRawBufferPointer(buffer))
    }
  }
}
