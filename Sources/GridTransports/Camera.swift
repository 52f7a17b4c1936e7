import GridCore
import GridPosix

/// What a camera spends before each frame.
public enum CameraLoad: String, CaseIterable, Sendable {
  /// Sleeps `work-us` (a camera waiting on its sensor).
  case io
  /// Busy-spins `work-us` on the clock (a camera doing image processing).
  case cpu
  /// Nothing: pure transport cost.
  case none
}

/// When a camera captures. `free` is the seed's: each frame's load starts when the last frame
/// was handed over. `genlock` is a shared trigger: frame `n` of every camera is captured at
/// T0 + n × period, T0 fixed by the consumer at the start line.
public enum CameraSync: String, CaseIterable, Sendable {
  case free
  case genlock
}

/// A fault a camera injects on purpose, so tests can prove the consumer catches it. Hidden from
/// the CLI's help; `kind:camera:sequence`.
public struct Fault: Sendable, Hashable, CustomStringConvertible {
  public enum Kind: String, Sendable, CaseIterable {
    /// Flip one pixel byte after the checksum was taken.
    case tamper
    /// Claim to be another camera in the header.
    case wrongCamera = "wrong-camera"
    /// Claim an absurd pixel byte count in the header.
    case oversize
    /// SIGKILL itself while holding the frame buffer it was lent.
    case die
    /// Exit with status 7 before rendering the frame.
    case exit
    /// Hang before the frame, alive but silent (a stuck sensor).
    case stall
    /// Send the previous frame again in this frame's place.
    case duplicate
    /// Send this frame and the next one in swapped order.
    case reorder
    /// Send the frame without a checksum although the run verifies.
    case noChecksum = "no-checksum"
  }
  public var kind: Kind
  public var camera: Int
  public var sequence: UInt64

  public init(kind: Kind, camera: Int, sequence: UInt64) {
    self.kind = kind
    self.camera = camera
    self.sequence = sequence
  }

  public init?(parsing text: String) {
    let parts = text.split(separator: ":")
    guard parts.count == 3, let kind = Kind(rawValue: String(parts[0])), let camera = Int(parts[1]),
      let sequence = UInt64(parts[2])
    else { return nil }
    self.init(kind: kind, camera: camera, sequence: sequence)
  }

  public var description: String { "\(kind.rawValue):\(camera):\(sequence)" }
}

/// One camera: its load, its trigger, its renderer and (in tests) its fault. The same code runs
/// in a thread, a forked child, a spawned process, or inline for `serial`.
public struct Camera: Sendable {
  public let index: Int
  public let renderer: CameraRenderer
  public let load: CameraLoad
  public let workMicros: Int
  public let sync: CameraSync
  /// Under `genlock`, microseconds between triggers.
  public let periodMicros: Int
  /// Whether frames carry a checksum: only when the run verifies, so a camera that is not
  /// checked costs no more than its rendering.
  public let checksums: Bool
  public let fault: Fault?
  /// A video file or stream it films through FFmpeg's libraries (`--source`); nil: the test card.
  public let source: String?
  /// Whether its file loops, how RTSP travels, how long a live source may be silent.
  public let sourceSettings: SourceSettings

  /// The camera `orders` describe, filming through `renderer`, or `source` where one is given.
  public init(
    orders: CameraOrders, renderer: CameraRenderer, source: String? = nil,
    sourceSettings: SourceSettings = SourceSettings()
  ) {
    self.index = orders.camera
    self.renderer = renderer
    self.source = source
    self.sourceSettings = sourceSettings
    self.load = orders.load
    self.workMicros = orders.workMicros
    self.sync = orders.sync
    self.periodMicros = orders.periodMicros
    self.checksums = orders.checksums
    self.fault = orders.fault.flatMap { $0.camera == orders.camera ? $0 : nil }
  }

  /// The work before frame `seq`. `free`: sleep or spin `work-us` from now. `genlock`: sleep to
  /// the trigger T0 + seq × period (`start` is T0; a late camera does not sleep, so lateness never
  /// carries into the next frame); under `cpu` the spin of `work-us` then follows the trigger, as
  /// processing follows a sensor's exposure.
  @inline(__always)
  public func spendLoad(seq: UInt64, start: UInt64) {
    switch sync {
    case .free:
      switch load {
      case .io: MonotonicClock.sleep(micros: workMicros)
      case .cpu: MonotonicClock.spin(micros: workMicros)
      case .none: break
      }
    case .genlock:
      MonotonicClock.sleep(until: start &+ seq &* UInt64(periodMicros) &* 1000)
      if load == .cpu { MonotonicClock.spin(micros: workMicros) }
    }
  }

  /// `spendLoad` for a publisher that must keep talking while the camera waits (a remote
  /// camera's heartbeats): waits of over 50 ms are cut into 50 ms pieces with `keepAlive` between.
  func spendLoad(seq: UInt64, start: UInt64, keepAlive: () throws -> Void) throws {
    let piece: UInt64 = 50_000_000
    func wait(until deadline: UInt64, spinning: Bool) throws {
      while true {
        let now = MonotonicClock.nanos()
        guard now < deadline else { return }
        let step = min(deadline, now &+ piece)
        if spinning {
          while MonotonicClock.nanos() < step {}
        } else {
          MonotonicClock.sleep(until: step)
        }
        try keepAlive()
      }
    }
    let work = UInt64(workMicros) &* 1000
    switch sync {
    case .free:
      switch load {
      case .io: try wait(until: MonotonicClock.nanos() &+ work, spinning: false)
      case .cpu: try wait(until: MonotonicClock.nanos() &+ work, spinning: true)
      case .none: break
      }
    case .genlock:
      try wait(until: start &+ seq &* UInt64(periodMicros) &* 1000, spinning: false)
      if load == .cpu { try wait(until: MonotonicClock.nanos() &+ work, spinning: true) }
    }
  }

  /// Renders frame `seq` into a lent buffer and fills its header (capture time is now).
  @inline(__always)
  public func render(seq: UInt64, header: inout FrameHeader, pixels: UnsafeMutableRawBufferPointer) {
    let capture = MonotonicClock.nanos()
    let bytes = renderer.geometry.bytesPerFrame
    renderer.render(camera: index, seq: seq, into: pixels)
    header = FrameHeader(
      camera: UInt32(index), byteCount: UInt32(bytes), sequence: seq, captureNanos: capture,
      checksum: checksums ? Checksum.of(UnsafeRawBufferPointer(rebasing: pixels[0..<bytes])) : nil)
    if let fault, fault.sequence == seq { inject(fault, header: &header, pixels: pixels) }
  }

  private func inject(_ fault: Fault, header: inout FrameHeader, pixels: UnsafeMutableRawBufferPointer) {
    switch fault.kind {
    case .tamper: pixels[pixels.count / 2] ^= 0x01
    case .wrongCamera: header.camera = UInt32((index + 1) % 256)
    case .oversize: header.byteCount = UInt32.max - 1
    case .die: ProcessIdentity.raiseSignal(9)
    case .noChecksum: header.checksum = nil
    case .exit, .stall, .duplicate, .reorder: break
    }
  }

  /// Produces `frames` frames through `publisher`: load, then render into the lent buffer.
  /// `start` is T0, the start line's CLOCK_MONOTONIC time (used under `genlock`).
  public func run(frames: Int, publisher: FramePublisher, start: UInt64) throws {
    if sync == .genlock { MonotonicClock.setTimerSlack(nanos: 1) }
    if let source { return try film(source, frames: frames, publisher: publisher, start: start) }
    for seq in 0..<UInt64(frames) {
      if let fault, fault.sequence == seq {
        if fault.kind == .exit { ProcessIdentity.exitNow(7) }
        while fault.kind == .stall { MonotonicClock.sleep(micros: 1_000_000) }
      }
      if publisher.needsKeepAlive {
        try spendLoad(seq: seq, start: start, keepAlive: publisher.keepAlive)
      } else {
        spendLoad(seq: seq, start: start)
      }
      let sent = sequenceSent(at: seq)
      try publisher.publish { header, pixels in render(seq: sent, header: &header, pixels: pixels) }
    }
    try publisher.finishPublishing()
  }

  /// The frame sent in slot `seq`: `seq` itself, unless a duplicate or reorder fault says otherwise.
  private func sequenceSent(at seq: UInt64) -> UInt64 {
    guard let fault else { return seq }
    switch fault.kind {
    case .duplicate where seq == fault.sequence && seq > 0: return seq - 1
    case .reorder where seq == fault.sequence: return seq + 1
    case .reorder where seq == fault.sequence + 1: return seq - 1
    default: return seq
    }
  }
}

/// The checks every receiver makes on a header before it lends the frame: the right camera and a
/// byte count equal to the geometry (so nothing is ever sized from a peer's claim).
public enum HeaderCheck {
  public static func validate(_ header: FrameHeader, camera: Int, geometry: FrameGeometry) throws(GridError) {
    guard header.camera == UInt32(camera) else {
      throw .protocolViolation(camera: camera, reason: "header names camera \(header.camera)")
    }
    guard Int(header.byteCount) == geometry.bytesPerFrame else {
      throw .protocolViolation(
        camera: camera,
        reason: "header claims \(header.byteCount) pixel bytes, the geometry has \(geometry.bytesPerFrame)")
    }
  }
}
