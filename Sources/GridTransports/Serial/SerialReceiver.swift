import GridCore
import GridPosix

/// `serial`: no transport at all. The consumer renders each camera itself, in turn, into one
/// buffer it owns — the seed's baseline.
public final class SerialReceiver: FrameReceiver {
  private let cameras: [Camera]
  private let startLine: StartLine
  private var start: UInt64?
  private var next: [UInt64]
  private let buffer: UnsafeMutableRawBufferPointer

  public init(cameras: [Camera], startLine: StartLine) {
    self.cameras = cameras
    self.startLine = startLine
    self.next = Array(repeating: 0, count: cameras.count)
    self.buffer = .allocate(byteCount: cameras[0].renderer.geometry.bytesPerFrame, alignment: 64)
  }

  deinit { buffer.deallocate() }

  public func withNextFrame<R>(from camera: Int, _ body: (FrameHeader, UnsafeRawBufferPointer) throws -> R)
    throws -> R
  {
    let source = cameras[camera]
    if start == nil {
      start = startLine.wait()
      if source.sync == .genlock { MonotonicClock.setTimerSlack(nanos: 1) }
    }
    guard let start else { throw GridError.runtime("serial: the run ended before its start") }
    source.spendLoad(seq: next[camera], start: start)
    var header = FrameHeader.zero
    source.render(seq: next[camera], header: &header, pixels: buffer)
    next[camera] += 1
    return try body(header, UnsafeRawBufferPointer(buffer))
  }
}
