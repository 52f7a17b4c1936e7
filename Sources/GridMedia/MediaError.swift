import CFFmpeg

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

  /// `av_strerror`'s words for `code`.
  static func words(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    let found = buffer.withUnsafeMutableBufferPointer { av_strerror(code, $0.baseAddress, $0.count) }
    guard found == 0 else { return "error \(code)" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
