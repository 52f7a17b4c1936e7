/// Number formatting for the bench's files and table, without Foundation.
enum Format {
  /// `value` with exactly `digits` decimals ("12.30").
  static func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    guard abs(value * scale) < 9e18 else { return String(Int64(value.rounded())) }
    let rounded = Int64((value * scale).rounded())
    var text = String(rounded.magnitude)
    while text.count <= digits { text = "0" + text }
    let sign = rounded < 0 ? "-" : ""
    guard digits > 0 else { return sign + text }
    let point = text.index(text.endIndex, offsetBy: -digits)
    return sign + text[..<point] + "." + text[point...]
  }

  /// Up to `significant` significant digits, no exponent, no trailing zeros ("0.000512", "943.2").
  /// Non-finite values are empty (an empty CSV cell).
  static func number(_ value: Double, significant: Int = 9) -> String {
    guard value.isFinite else { return "" }
    if value == 0 { return "0" }
    var magnitude = 0
    var probe = abs(value)
    while probe >= 10 {
      probe /= 10
      magnitude += 1
    }
    while probe < 1 {
      probe *= 10
      magnitude -= 1
    }
    let digits = min(max(significant - 1 - magnitude, 0), 15)
    var text = fixed(value, digits)
    if text.contains(".") {
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
    }
    return text
  }

  /// A rate for people: 3 significant figures, at most one decimal under 100 ("943", "51.8", "0.52").
  static func rate(_ value: Double) -> String {
    guard value.isFinite else { return "∞" }
    let digits = abs(value) >= 100 ? 0 : (abs(value) >= 1 ? 1 : 2)
    return fixed(value, digits)
  }

  /// Pads `text` on the left to `width` characters.
  static func right(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
  }

  /// Pads `text` on the right to `width` characters.
  static func left(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
  }
}
