import GridCore
import GridMedia
import GridPosix

/// A camera filming a video file or stream (`--source`) through FFmpeg's libraries, in its own
/// thread or process: it opens the source itself, decodes it on its one thread and scales each
/// frame into the buffer the transport lends, with its aspect kept (black bars). Files loop.
///
/// Pace: under `free` with `--load none` it decodes as fast as it can (a decode benchmark);
/// under `free` with a load it plays at the source's own rate, from its timestamps; under
/// `genlock` each trigger takes the newest frame whose time has come, as a triggered camera
/// takes the newest its sensor has. Capture time is the frame's timestamp on the monotonic
/// clock where the source sets the pace, and the moment it was decoded otherwise.
extension Camera {
  func film(_ source: String, frames: Int, publisher: FramePublisher, start: UInt64) throws {
    let input: MediaInput
    do {
      input = try MediaInput(url: source)
    } catch {
      throw GridError.runtime("camera \(index): source \(TerminalText.escaped(source)): \(error)")
    }
    let geometry = renderer.geometry
    var clock = SourceClock(framesPerSecond: input.framesPerSecond)
    func decode() throws {
      guard let stamp = try input.next(loop: true) else {
        throw GridError.runtime(
          "camera \(index): source \(TerminalText.escaped(source)) has no frame to show")
      }
      clock.advance(to: stamp)
    }
    try decode()
    for seq in 0..<UInt64(frames) {
      var capture: UInt64?
      switch sync {
      case .genlock:
        let trigger = start &+ seq &* UInt64(periodMicros) &* 1000
        try sleep(until: trigger, publisher: publisher)
        // The newest frame whose time has come (the first trigger shows the first frame).
        let due = trigger &- start
        while seq > 0 && clock.nanos &+ clock.frameNanos <= due { try decode() }
      case .free:
        if seq > 0 { try decode() }
        if load != .none {
          capture = start &+ clock.nanos
          try sleep(until: capture!, publisher: publisher)
        }
      }
      try publisher.publish { header, pixels in
        try input.draw(
          into: pixels, tileWidth: geometry.width, tileHeight: geometry.height, channels: geometry.channels)
        let bytes = geometry.bytesPerFrame
        header = FrameHeader(
          camera: UInt32(index), byteCount: UInt32(bytes), sequence: seq,
          captureNanos: capture ?? MonotonicClock.nanos(),
          checksum: checksums ? Checksum.of(UnsafeRawBufferPointer(rebasing: pixels[0..<bytes])) : nil)
      }
    }
    try publisher.finishPublishing()
  }

  /// Sleeps until `deadline` (monotonic ns), beating every 50 ms for a transport that must.
  private func sleep(until deadline: UInt64, publisher: FramePublisher) throws {
    guard publisher.needsKeepAlive else { return MonotonicClock.sleep(until: deadline) }
    while true {
      let now = MonotonicClock.nanos()
      guard now < deadline else { return }
      MonotonicClock.sleep(until: min(deadline, now &+ 50_000_000))
      try publisher.keepAlive()
    }
  }
}

/// A source's time in nanoseconds from its first frame, rising across its loops: a timestamp
/// lower than the last one is the source starting again, one frame after where it ended.
struct SourceClock {
  /// One frame's time, from the source's rate (25 fps where it gives none).
  let frameNanos: UInt64
  /// The time of the frame decoded last.
  private(set) var nanos: UInt64 = 0
  /// Where the current pass through the source starts, and its first timestamp.
  private var offset: UInt64 = 0
  private var first: Double?
  private var last: Double?
  private var started = false

  init(framesPerSecond: Double?) {
    let rate = framesPerSecond.flatMap { $0.isFinite && $0 >= 1 && $0 <= 1000 ? $0 : nil } ?? 25
    frameNanos = UInt64(1e9 / rate)
  }

  /// The frame just decoded has timestamp `stamp` (seconds; nil where the source gives none,
  /// which counts as one frame after the last).
  mutating func advance(to stamp: Double?) {
    defer { started = true }
    guard let stamp, stamp.isFinite else {
      if started { nanos &+= frameNanos }
      return
    }
    if let last, stamp <= last {
      // Looped: this pass starts one frame after the last one ended.
      offset = nanos &+ frameNanos
      first = stamp
    }
    let origin = first ?? stamp
    first = origin
    nanos = offset &+ UInt64(min(1e15, max(0, (stamp - origin) * 1e9)))
    last = stamp
  }
}

/// A camera's source tried before any camera starts: it opens, and gives a first frame.
public enum SourceProbe {
  /// Why `source` cannot be filmed (FFmpeg's call and words), or nil if it can.
  public static func problem(with source: String) -> String? {
    do {
      let input = try MediaInput(url: source)
      guard try input.next(loop: false) != nil else { return "it holds no video frame" }
      return nil
    } catch {
      return "\(error)"
    }
  }
}
