import GridCore
import GridPosix
import SystemPackage

/// `pipe`: one pipe per camera; each frame is header + pixels in one `writev`. The consumer reads
/// them into its own buffer — a copy, as the seed's pickling queue makes — after checking the
/// header, so a peer's claimed length never sizes anything.
final class PipeTransport: ProcessTransport {
  private let shape: TransportShape
  private var readEnds: [FileDescriptor] = []
  private var writeEnds: [FileDescriptor] = []

  init(shape: TransportShape) throws {
    self.shape = shape
    for _ in 0..<shape.cameras {
      let (readEnd, writeEnd) = try FileDescriptors.pipe()
      readEnds.append(readEnd)
      writeEnds.append(writeEnd)
      FileDescriptors.growPipe(writeEnd, to: FrameHeader.wireSize + shape.geometry.bytesPerFrame)
      try FileDescriptors.setNonBlocking(readEnd)
    }
  }

  deinit {
    closeCameraEnds()
    readEnds.forEach(FileDescriptors.close)
  }

  func descriptors(forCamera camera: Int) -> [FileDescriptor] { [writeEnds[camera]] }

  func closeCameraEnds() {
    writeEnds.forEach(FileDescriptors.close)
    writeEnds = []
  }

  func makeReceiver(watchdog: Watchdog) throws -> FrameReceiver {
    let receiver = PipeReceiver(shape: shape, readEnds: readEnds, watchdog: watchdog)
    readEnds = []
    return receiver
  }
}

final class PipeReceiver: FrameReceiver {
  private let geometry: FrameGeometry
  private let readEnds: [FileDescriptor]
  private let watchdog: Watchdog
  private let header = UnsafeMutableRawBufferPointer.allocate(byteCount: FrameHeader.wireSize, alignment: 8)
  private let pixels: UnsafeMutableRawBufferPointer

  init(shape: TransportShape, readEnds: [FileDescriptor], watchdog: Watchdog) {
    self.geometry = shape.geometry
    self.readEnds = readEnds
    self.watchdog = watchdog
    self.pixels = .allocate(byteCount: shape.geometry.bytesPerFrame, alignment: 64)
  }

  deinit {
    readEnds.forEach(FileDescriptors.close)
    header.deallocate()
    pixels.deallocate()
  }

  func withNextFrame<R>(from camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R) throws
    -> R
  {
    try readExactly(readEnds[camera], into: header, camera: camera, watchdog: watchdog)
    let decoded = FrameHeader(decoding: header.baseAddress!)
    try HeaderCheck.validate(decoded, camera: camera, geometry: geometry)
    try readExactly(readEnds[camera], into: pixels, camera: camera, watchdog: watchdog)
    return try body(decoded, UnsafeRawBufferPointer(pixels))
  }
}

final class PipePublisher: FramePublisher {
  private let writeEnd: FileDescriptor
  private let header = UnsafeMutableRawBufferPointer.allocate(byteCount: FrameHeader.wireSize, alignment: 8)
  private let pixels: UnsafeMutableRawBufferPointer

  init(shape: TransportShape, descriptors: [FileDescriptor]) throws {
    guard descriptors.count == 1 else { throw GridError.runtime("pipe camera needs 1 descriptor") }
    self.writeEnd = descriptors[0]
    self.pixels = .allocate(byteCount: shape.geometry.bytesPerFrame, alignment: 64)
  }

  deinit {
    FileDescriptors.close(writeEnd)
    header.deallocate()
    pixels.deallocate()
  }

  func publish(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws {
    var frame = FrameHeader.zero
    try fill(&frame, pixels)
    frame.encode(into: header.baseAddress!)
    try FileDescriptors.writeAll(writeEnd, UnsafeRawBufferPointer(header), UnsafeRawBufferPointer(pixels))
  }
}
