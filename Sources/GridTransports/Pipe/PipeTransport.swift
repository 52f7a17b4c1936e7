import GridCore
import GridPosix
import SystemPackage

/// `pipe`: one pipe per camera; each frame is header + pixels in one `writev`. The consumer reads
/// them into its own buffer — a copy, as the seed's pickling queue makes — after checking the
/// header, so a peer's claimed length never sizes anything.
final class PipeTransport: ProcessTransportCore {
  private let shape: TransportShape
  private let readEnds: DescriptorSet
  private let writeEnds: DescriptorSet

  init(shape: TransportShape) throws {
    self.shape = shape
    readEnds = DescriptorSet(count: shape.cameras)
    writeEnds = DescriptorSet(count: shape.cameras)
    for camera in 0..<shape.cameras {
      let ends = try PipeEnds()
      ends.writeEnd.withDescriptor {
        FileDescriptors.growPipe($0, to: FrameHeader.wireSize + shape.geometry.bytesPerFrame)
      }
      try ends.readEnd.withDescriptor { (readEnd) throws(SyscallError) in
        try FileDescriptors.setNonBlocking(readEnd)
      }
      readEnds.adopt(ends.readEnd, at: camera)
      writeEnds.adopt(ends.writeEnd, at: camera)
    }
  }

  func withDescriptors<R>(forCamera camera: Int, _ body: ([FileDescriptor]) throws -> R) throws -> R {
    try writeEnds.withDescriptors(at: [camera], body)
  }

  func closeCameraEnds() { writeEnds.closeAll() }

  func makeReceiver(watchdog: Watchdog) throws -> FrameReceiver {
    PipeReceiver(shape: shape, readEnds: readEnds, watchdog: watchdog)
  }
}

final class PipeReceiver: FrameReceiver {
  private let geometry: FrameGeometry
  private let readEnds: DescriptorSet
  private let watchdog: Watchdog
  private let header = UnsafeMutableRawBufferPointer.allocate(byteCount: FrameHeader.wireSize, alignment: 8)
  private let pixels: UnsafeMutableRawBufferPointer

  init(shape: TransportShape, readEnds: DescriptorSet, watchdog: Watchdog) {
    self.geometry = shape.geometry
    self.readEnds = readEnds
    self.watchdog = watchdog
    self.pixels = .allocate(byteCount: shape.geometry.bytesPerFrame, alignment: 64)
  }

  deinit {
    header.deallocate()
    pixels.deallocate()
  }

  func withNextFrame<R>(from camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R) throws
    -> R
  {
    let decoded = try readEnds.withDescriptor(at: camera) { readEnd in
      guard let readEnd else { throw watchdog.lost(camera: camera) }
      try readExactly(readEnd, into: header, camera: camera, watchdog: watchdog)
      let decoded = FrameHeader(decoding: header.baseAddress!)
      try HeaderCheck.validate(decoded, camera: camera, geometry: geometry)
      try readExactly(readEnd, into: pixels, camera: camera, watchdog: watchdog)
      return decoded
    }
    return try body(decoded, UnsafeRawBufferPointer(pixels))
  }
}

final class PipePublisher: FramePublisher {
  private let writeEnd: OwnedDescriptor
  private let header = UnsafeMutableRawBufferPointer.allocate(byteCount: FrameHeader.wireSize, alignment: 8)
  private let pixels: UnsafeMutableRawBufferPointer

  init(shape: TransportShape, writeEnd: consuming OwnedDescriptor) {
    self.writeEnd = writeEnd
    self.pixels = .allocate(byteCount: shape.geometry.bytesPerFrame, alignment: 64)
  }

  deinit {
    header.deallocate()
    pixels.deallocate()
  }

  func publish(_ fill: (inout FrameHeader, UnsafeMutableRawBufferPointer) throws -> Void) throws {
    var frame = FrameHeader.zero
    try fill(&frame, pixels)
    frame.encode(into: header.baseAddress!)
    try writeEnd.withDescriptor {
      try FileDescriptors.writeAll($0, UnsafeRawBufferPointer(header), UnsafeRawBufferPointer(pixels))
    }
  }
}
