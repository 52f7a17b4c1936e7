/// A duration as the lines on stderr write it: seconds to the millisecond, without trailing
/// zeros ("3", "0.5", "1.25"). Every hub and camera line that names a time says it this way.
public enum SecondsText {
  public static func of(nanos: UInt64) -> String {
    let millis = nanos / 1_000_000 + (nanos % 1_000_000 >= 500_000 ? 1 : 0)
    return of(millis: millis)
  }

  public static func of(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0, seconds < 1e12 else { return "\(seconds)" }
    return of(millis: UInt64((seconds * 1000).rounded()))
  }

  private static func of(millis: UInt64) -> String {
    let whole = millis / 1000
    var fraction = millis % 1000
    guard fraction != 0 else { return "\(whole)" }
    var digits = 3
    while fraction % 10 == 0 {
      fraction /= 10
      digits -= 1
    }
    let text = String(fraction)
    return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
  }
}
