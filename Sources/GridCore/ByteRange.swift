/// One byte range of a file, from a `Range` header: `bytes=FIRST-`, `bytes=FIRST-LAST` or
/// `bytes=-SUFFIX`, clamped to the file; nil for anything else (several ranges, other units, a
/// range past the end), which the gallery answers 416. The header is a client's bytes: lengths
/// are checked before any number is read.
public struct ByteRange: Equatable, Sendable {
  /// The first and last byte asked for, both inside the file.
  public let first: Int
  public let last: Int

  public init(first: Int, last: Int) {
    self.first = first
    self.last = last
  }

  /// The range `header` asks of a file of `size` bytes.
  public init?(header: String, size: Int) {
    guard header.hasPrefix("bytes="), size > 0 else { return nil }
    let spec = header.dropFirst(6)
    let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.count == 2, !spec.contains(","), parts[0].count <= 19, parts[1].count <= 19 else {
      return nil
    }
    let digits = { (text: Substring) in !text.isEmpty && text.allSatisfy { $0.isASCII && $0.isNumber } }
    if parts[0].isEmpty {
      guard digits(parts[1]), let suffix = Int(parts[1]), suffix > 0 else { return nil }
      first = max(0, size - suffix)
      last = size - 1
    } else {
      guard digits(parts[0]), let from = Int(parts[0]), from < size else { return nil }
      first = from
      if parts[1].isEmpty {
        last = size - 1
      } else {
        guard digits(parts[1]), let to = Int(parts[1]), to >= from else { return nil }
        last = min(to, size - 1)
      }
    }
  }
}
