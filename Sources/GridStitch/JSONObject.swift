/// A JSON object that keeps its keys in the order they were added (the key order is part of the
/// contract users read).
public struct JSONObject: Sendable {
  public enum Value: Sendable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    case object(JSONObject)
    case array([Value])
  }

  public private(set) var entries: [(String, Value)] = []

  public init() {}

  public subscript(key: String) -> Value? {
    get { entries.first { $0.0 == key }?.1 }
    set {
      if let index = entries.firstIndex(where: { $0.0 == key }) {
        if let newValue { entries[index].1 = newValue } else { entries.remove(at: index) }
      } else if let newValue {
        entries.append((key, newValue))
      }
    }
  }

  public var keys: [String] { entries.map(\.0) }

  public func rendered(indent: String? = nil, level: Int = 0) -> String {
    if entries.isEmpty { return "{}" }
    let pad = indent.map { "\n" + String(repeating: $0, count: level + 1) } ?? ""
    let close = indent.map { "\n" + String(repeating: $0, count: level) } ?? ""
    let separator = indent == nil ? ", " : ","
    let body = entries.map { key, value in
      pad + Self.quote(key) + ": " + Self.render(value, indent: indent, level: level + 1)
    }.joined(separator: separator)
    return "{" + body + close + "}"
  }

  static func render(_ value: Value, indent: String?, level: Int) -> String {
    switch value {
    case .string(let text): quote(text)
    case .int(let number): String(number)
    case .double(let number): number.isFinite ? formatDouble(number) : "null"
    case .bool(let flag): flag ? "true" : "false"
    case .null: "null"
    case .object(let object): object.rendered(indent: indent, level: level)
    case .array(let values):
      "[" + values.map { render($0, indent: indent, level: level) }.joined(separator: ", ") + "]"
    }
  }

  /// Whole numbers without a fraction; anything else at full precision (Swift's shortest exact
  /// form, which JSON accepts, exponent included).
  static func formatDouble(_ value: Double) -> String {
    if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
  }

  public static func quote(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}
