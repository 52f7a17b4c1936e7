import GridCore
import GridMedia
import GridPosix

/// A camera filming a video file or stream (`--source`) through FFmpeg's libraries, in its own
/// thread or process: it opens the source itself, decodes it and scales each frame into the
/// buffer the transport lends, with its aspect kept (black bars). Files loop unless `--no-loop`.
/// Every frame's header carries the source's state and figures (`SourceSignal`).
///
/// Pace: under `free` with `--load none` it decodes as fast as it can (a decode benchmark);
/// under `free` with a load it plays at the source's own rate, from its timestamps; under
/// `genlock` each trigger takes the newest frame whose time has come, as a triggered camera
/// takes the newest its sensor has. Capture time is the frame's timestamp on the monotonic
/// clock where the source sets the pace, and the moment it was decoded otherwise.
extension Camera {
  func film(_ spec: String, frames: Int, publisher: FramePublisher, start: UInt64) throws {
    let source = MediaSource(spec)
    if source.isLive {
      return try filmLive(source, frames: frames, publisher: publisher, start: start)
    }
    let input: MediaInput
    do {
      input = try MediaInput(source: source, options: sourceSettings.options(for: source))
    } catch {
      throw GridError.runtime("camera \(index): source \(TerminalText.escaped(spec)): \(error)")
    }
    let geometry = renderer.geometry
    let loop = sourceSettings.loop
    var clock = SourceClock(framesPerSecond: input.framesPerSecond)
    // A file that is not looped ends: its camera shows its last frame once more, says so, and ends.
    var ended = false
    func decode() throws {
      guard !ended else { return }
      guard let stamp = try input.next(loop: loop) else {
        guard !loop && input.decodedFrames > 0 else {
          throw GridError.runtime(
            "camera \(index): source \(TerminalText.escaped(spec)) has no frame to show")
        }
        ended = true
        return
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
        while seq > 0 && !ended && clock.nanos &+ clock.frameNanos <= due { try decode() }
      case .free:
        if seq > 0 { try decode() }
        if load != .none && !ended {
          capture = start &+ clock.nanos
          try sleep(until: capture!, publisher: publisher)
        }
      }
      let figures = SourceCount(
        state: ended ? .ended : .playing, decodedFrames: input.decodedFrames,
        decodeErrors: input.decodeErrors,
        reconnects: 0)
      try publisher.publish { header, pixels in
        try input.draw(
          into: pixels, tileWidth: geometry.width, tileHeight: geometry.height, channels: geometry.channels)
        header = frameHeader(seq: seq, capture: capture ?? MonotonicClock.nanos(), pixels: pixels, figures)
      }
      if ended { break }
    }
    try publisher.finishPublishing()
  }

  /// A live source (a stream, a device): a thread of the camera's own reads and decodes it
  /// (`LiveReader`), so that a source that stalls never stalls the camera. The camera keeps its
  /// pace and sends the newest frame, or the NO SIGNAL card once the source has been silent for
  /// `--camera-timeout`; the reader reconnects with backoff meanwhile.
  private func filmLive(_ source: MediaSource, frames: Int, publisher: FramePublisher, start: UInt64) throws {
    let geometry = renderer.geometry
    let reader = try LiveReader(source: source, settings: sourceSettings, geometry: geometry)
    defer { reader.stop() }
    var shown = 0
    for seq in 0..<UInt64(frames) {
      switch sync {
      case .genlock:
        try sleep(until: start &+ seq &* UInt64(periodMicros) &* 1000, publisher: publisher)
      case .free:
        // At the rate it arrives; while it is silent, the card at 10 frames a second.
        let deadline = MonotonicClock.nanos() &+ LiveReader.silentFrameNanos
        while !reader.awaitFrame(after: shown, until: min(deadline, MonotonicClock.nanos() &+ 50_000_000)) {
          if MonotonicClock.nanos() >= deadline { break }
          if publisher.needsKeepAlive { try publisher.keepAlive() }
        }
      }
      try publisher.publish { header, pixels in
        let view = reader.show(into: pixels)
        shown = view.figures.decodedFrames
        header = frameHeader(
          seq: seq, capture: view.decodedAt ?? MonotonicClock.nanos(), pixels: pixels, view.figures)
      }
    }
    try publisher.finishPublishing()
  }

  /// A filmed frame's header: the source's state and, in turn by `seq`, one of its counters.
  private func frameHeader(
    seq: UInt64, capture: UInt64, pixels: UnsafeMutableRawBufferPointer, _ figures: SourceCount
  ) -> FrameHeader {
    let bytes = renderer.geometry.bytesPerFrame
    return FrameHeader(
      camera: UInt32(index), byteCount: UInt32(bytes), sequence: seq, captureNanos: capture,
      checksum: checksums ? Checksum.of(UnsafeRawBufferPointer(rebasing: pixels[0..<bytes])) : nil,
      source: figures.signal(seq: seq))
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

/// A camera's figures of its source at one frame.
struct SourceCount {
  var state: SourceSignal.State
  var decodedFrames: Int
  var decodeErrors: Int
  var reconnects: Int

  /// What frame `seq`'s header says: the state, and the counters in turn.
  func signal(seq: UInt64) -> SourceSignal {
    let counter = SourceSignal.Counter(rawValue: UInt32(seq % 3)) ?? .decodedFrames
    let value: Int
    switch counter {
    case .decodedFrames: value = decodedFrames
    case .decodeErrors: value = decodeErrors
    case .reconnects: value = reconnects
    }
    return SourceSignal(state: state, counter: counter, value: SourceSignal.saturated(value))
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
  public static func problem(with spec: String, settings: SourceSettings = SourceSettings()) -> String? {
    let source = MediaSource(spec)
    // A live source gets as long as its camera would wait on it.
    let interrupt = MediaInterrupt()
    interrupt.arm(nanos: max(settings.silenceNanos, 5_000_000_000))
    do {
      let input = try MediaInput(
        source: source, options: settings.options(for: source), interrupt: source.isLive ? interrupt : nil)
      guard try input.next(loop: false) != nil else { return "it holds no video frame" }
      return nil
    } catch {
      return "\(error)"
    }
  }
}
