import CFFmpeg

/// What `--source` names, read: a file, a network stream, or a V4L2 device (`v4l2:/dev/videoN`,
/// opened through libavdevice). A live source (a stream or a device) has no end to loop to: when
/// it stops, its camera shows NO SIGNAL and opens it again.
public struct MediaSource: Sendable, Equatable {
  /// As the user gave it.
  public let spec: String
  /// What FFmpeg opens: the path, the URL, or the device's path.
  public let url: String
  /// libavformat's input format, where the source names one (`video4linux2` for a device).
  public let inputFormat: String?
  /// A network stream or a device: it arrives in real time, may stop, and is reconnected.
  public let isLive: Bool

  /// The schemes of network streams FFmpeg opens.
  static let liveSchemes: Set<String> = [
    "rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "rtp", "srt",
  ]

  public init(_ spec: String) {
    self.spec = spec
    if spec.hasPrefix("v4l2:") {
      url = String(spec.dropFirst(5))
      inputFormat = "video4linux2"
      isLive = true
      return
    }
    url = spec
    inputFormat = nil
    if let colon = spec.firstIndex(of: ":"), spec[colon...].hasPrefix("://") {
      isLive = Self.liveSchemes.contains(spec[..<colon].lowercased())
    } else {
      isLive = false
    }
  }

  /// Whether it is an RTSP stream (which `--rtsp-transport` concerns).
  public var isRTSP: Bool { url.lowercased().hasPrefix("rtsp://") || url.lowercased().hasPrefix("rtsps://") }

  /// The demuxer's options: RTSP's transport (`tcp`: interleaved in the RTSP connection, or
  /// `udp`), and for a network stream a socket timeout of `timeoutNanos`, so that no read waits
  /// longer than that even where the interrupt callback is not asked.
  public func options(rtspTransport: String = "tcp", timeoutNanos: UInt64) -> [String: String] {
    guard isLive, inputFormat == nil else { return [:] }
    let micros = String(max(1, timeoutNanos / 1000))
    if isRTSP { return ["rtsp_transport": rtspTransport, "timeout": micros] }
    return ["rw_timeout": micros]
  }
}

/// Ends FFmpeg's blocking calls on a source (`AVIOInterruptCB`, in CFFmpeg's shim): past a
/// deadline, or at once after `stop` (from any thread). It outlives every `MediaInput` it is
/// given to: each holds it.
public final class MediaInterrupt: @unchecked Sendable {
  private let state: UnsafeMutablePointer<gs_interrupt>

  public init() {
    state = .allocate(capacity: 1)
    state.initialize(to: gs_interrupt(deadline_nanos: 0, stopped: 0))
  }

  deinit { state.deallocate() }

  /// Blocking calls give up `nanos` from now (0: never, unless stopped).
  public func arm(nanos: UInt64) { gs_interrupt_arm(state, Int64(clamping: nanos)) }

  /// Every blocking call gives up at once, from now on.
  public func stop() { gs_interrupt_stop(state) }

  /// Whether `stop` was called.
  public var isStopped: Bool { gs_interrupt_is_stopped(state) != 0 }

  /// Installs it on `context` (inside `MediaInput` only).
  func install(on context: UnsafeMutablePointer<AVFormatContext>) { gs_interrupt_install(context, state) }
}
