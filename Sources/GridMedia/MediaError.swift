import CFFmpeg
import Glibc

/// A failed FFmpeg call: which call, on what, and `av_strerror`'s words for its code.
public struct MediaError: Error, Equatable, CustomStringConvertible {
  /// The call and what it was given, e.g. `avformat_open_input(clip.mp4)`.
  public let call: String
  /// FFmpeg's error code (a negative errno, or one of its own tags); 0 for a check of ours.
  public let code: Int32
  public let reason: String

  init(_ call: String, code: Int32) {
    self.call = call
    self.code = code
    self.reason = Self.words(code)
  }

  /// A check of ours, not FFmpeg's (no code).
  init(_ call: String, reason: String) {
    self.call = call
    self.code = 0
    self.reason = reason
  }

  public var description: String { "\(call): \(reason)" }

  /// Whether nothing answered at the source's address: the connection was refused, or there is
  /// no route to its host. Such an attempt costs the far side nothing (a refusal is its kernel's
  /// reset), so a camera may try again soon without pressing on a server in trouble.
  public var nothingAnswered: Bool { [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(-code) }

  /// `av_strerror`'s words for `code`.
  static func words(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard let strerror = try? FFmpeg.functions().av_strerror else { return "error \(code)" }
    let found = buffer.withUnsafeMutableBufferPointer { strerror(code, $0.baseAddress, $0.count) }
    guard found == 0 else { return "error \(code)" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

/// FFmpeg's functions, loaded the first time a process opens a source (`gs_ffmpeg_load`): a
/// process that films nothing maps none of FFmpeg's libraries. FFmpeg's own log is silenced at
/// once: its lines quote the source, and every failure reaches us as a code anyway.
enum FFmpeg {
  /// Made once (Swift's lazy global initialisation is thread-safe).
  private static let loaded: Result<gs_ffmpeg_table, MediaError> = {
    var table = gs_ffmpeg_table()
    var error = [CChar](repeating: 0, count: 512)
    let status = error.withUnsafeMutableBufferPointer { gs_ffmpeg_load(&table, $0.baseAddress, $0.count) }
    guard status == 0 else {
      let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      return .failure(MediaError("FFmpeg's libraries", reason: reason))
    }
    table.av_log_set_level!(AV_LOG_QUIET)
    return .success(table)
  }()

  static func functions() throws(MediaError) -> gs_ffmpeg_table { try loaded.get() }

  /// libavdevice, loaded and registered once, by the first camera that films a device.
  private static let devices: Result<Void, MediaError> = {
    var error = [CChar](repeating: 0, count: 512)
    let status = error.withUnsafeMutableBufferPointer { gs_avdevice_load($0.baseAddress, $0.count) }
    guard status == 0 else {
      let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      return .failure(MediaError("libavdevice", reason: reason))
    }
    return .success(())
  }()

  static func loadDevices() throws(MediaError) { try devices.get() }
}
