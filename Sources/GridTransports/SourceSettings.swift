import GridCore
import GridMedia

/// How a camera treats its source beyond what it films: whether a file loops, how RTSP travels,
/// and how long a live source may be silent before its tile says NO SIGNAL. It travels with the
/// source (`produce --source … --no-loop --rtsp-transport … --source-timeout …`), not in the
/// orders: a hub does not know what its remote cameras film.
public struct SourceSettings: Sendable, Equatable {
  /// RTSP's transport: interleaved in the RTSP connection (`tcp`), or RTP over `udp`.
  public enum RTSPTransport: String, Sendable, CaseIterable {
    case tcp, udp
  }

  /// A file starts again at its end (`--no-loop`: its camera ends there).
  public var loop = true
  public var rtspTransport = RTSPTransport.tcp
  /// A live source silent this long shows NO SIGNAL (`--camera-timeout`; 2 s unless given).
  public var silenceNanos: UInt64 = SourceSettings.defaultSilenceNanos

  public static let defaultSilenceNanos: UInt64 = 2_000_000_000

  public init(
    loop: Bool = true, rtspTransport: RTSPTransport = .tcp, silenceNanos: UInt64 = defaultSilenceNanos
  ) {
    self.loop = loop
    self.rtspTransport = rtspTransport
    self.silenceNanos = silenceNanos
  }

  /// From a command line: `timeout` in seconds, 0.05 to 3600 (as `--camera-timeout`'s).
  public static func given(loop: Bool, rtspTransport: RTSPTransport, timeout: Double) throws(GridError)
    -> SourceSettings
  {
    guard timeout >= 0.05 && timeout <= 3600 else {
      throw .usage("--camera-timeout \(timeout) is out of range: use 0.05 to 3600 seconds")
    }
    return SourceSettings(loop: loop, rtspTransport: rtspTransport, silenceNanos: UInt64(timeout * 1e9))
  }

  /// The demuxer's options for `source`.
  public func options(for source: MediaSource) -> [String: String] {
    source.options(rtspTransport: rtspTransport.rawValue, timeoutNanos: silenceNanos)
  }

  /// As `produce`'s arguments (a spawned camera's), beside `--source`.
  public var arguments: [String] {
    (loop ? [] : ["--no-loop"]) + [
      "--rtsp-transport", rtspTransport.rawValue, "--source-timeout", String(Double(silenceNanos) / 1e9),
    ]
  }
}
