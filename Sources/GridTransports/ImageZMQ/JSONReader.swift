/// A strict reader of one small JSON text (RFC 8259) from an untrusted peer: a bounded input, a
/// bounded depth, UTF-8 checked, every error a one-line reason with its byte offset. Numbers are
/// kept only as whole numbers (anything with a fraction, an exponent or beyond `Int` is
/// `.number(nil)`): imagezmq's metadata needs nothing else.
enum JSONValue: Equatable {
  case object([(key: String, value: JSONValue)])
  case array([JSONValue])
  case string(String)
  /// A number; its value if it is a whole number that fits `Int`.
  case number(Int?)
  case bool(Bool)
  case null

  static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.object(let a), .object(let b)):
      a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    case (.array(let a), .array(let b)): a == b
    case (.string(let a), .string(let b)): a == b
    case (.number(let a), .number(let b)): a == b
    case (.bool(let a), .bool(let b)): a == b
    case (.null, .null): true
    default: false
    }
  }

  /// Names the kind of value, for messages.
  var kind: String {
    switch self {
    case .object: "an object"
    case .array: "an array"
    case .string: "a string"
    case .number: "a number"
    case .bool: "a boolean"
    case .null: "null"
    }
  }
}

struct JSONReadError: Error, Equatable {
  let reason: String
}

struct JSONReader {
  static let maxDepth = 16

  private let bytes: UnsafeRawBufferPointer
  private var index = 0
  private var depth = 0

  /// Reads the whole of `bytes` as one JSON value (whitespace around it allowed, nothing else).
  static func read(_ bytes: UnsafeRawBufferPointer) throws(JSONReadError) -> JSONValue {
    var reader = JSONReader(bytes: bytes)
    reader.skipSpace()
    let value = try reader.value()
    reader.skipSpace()
    guard reader.index == bytes.count else { throw reader.fail("unexpected data after the value") }
    return value
  }

  private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  private func fail(_ reason: String) -> JSONReadError {
    JSONReadError(reason: "\(reason) at byte \(index)")
  }

  private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

  private mutating func skipSpace() {
    while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
  }

  private mutating func expect(_ literal: StaticString) throws(JSONReadError) {
    let count = literal.utf8CodeUnitCount
    guard index + count <= bytes.count else { throw fail("unexpected end") }
    for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
      throw fail("invalid literal")
    }
    index += count
  }

  private mutating func value() throws(JSONReadError) -> JSONValue {
    guard let byte = current else { throw fail("unexpected end") }
    switch byte {
    case UInt8(ascii: "{"): return try object()
    case UInt8(ascii: "["): return try array()
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"):
      try expect("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try expect("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try expect("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
    default: throw fail("unexpected character")
    }
  }

  private mutating func enter() throws(JSONReadError) {
    depth += 1
    guard depth <= Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth)") }
  }

  private mutating func object() throws(JSONReadError) -> JSONValue {
    try enter()
    defer { depth -= 1 }
    index += 1
    var members: [(key: String, value: JSONValue)] = []
    skipSpace()
    if current == UInt8(ascii: "}") {
      index += 1
      return .object(members)
    }
    while true {
      skipSpace()
      guard current == UInt8(ascii: "\"") else { throw fail("expected a key") }
      let key = try string()
      skipSpace()
      guard current == UInt8(ascii: ":") else { throw fail("expected ':'") }
      index += 1
      skipSpace()
      members.append((key, try value()))
      skipSpace()
      guard let byte = current else { throw fail("unexpected end") }
      index += 1
      if byte == UInt8(ascii: "}") { return .object(members) }
      guard byte == UInt8(ascii: ",") else {
        index -= 1
        throw fail("expected ',' or '}'")
      }
    }
  }

  private mutating func array() throws(JSONReadError) -> JSONValue {
    try enter()
    defer { depth -= 1 }
    index += 1
    var elements: [JSONValue] = []
    skipSpace()
    if current == UInt8(ascii: "]") {
      index += 1
      return .array(elements)
    }
    while true {
      skipSpace()
      elements.append(try value())
      skipSpace()
      guard let byte = current else { throw fail("unexpected end") }
      index += 1
      if byte == UInt8(ascii: "]") { return .array(elements) }
      guard byte == UInt8(ascii: ",") else {
        index -= 1
        throw fail("expected ',' or ']'")
      }
    }
  }

  private mutating func number() throws(JSONReadError) -> JSONValue {
    var whole = true
    var negative = false
    var magnitude: UInt64 = 0
    var fits = true
    if current == UInt8(ascii: "-") {
      negative = true
      index += 1
    }
    guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
      throw fail("expected a digit")
    }
    if first == UInt8(ascii: "0") {
      index += 1
    } else {
      while let digit = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) {
        let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
        let (plus, overflow2) = times.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
        if overflow1 || overflow2 { fits = false } else { magnitude = plus }
        index += 1
      }
    }
    if current == UInt8(ascii: ".") {
      whole = false
      index += 1
      try digits()
    }
    if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
      whole = false
      index += 1
      if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
      try digits()
    }
    guard whole, fits, magnitude <= UInt64(Int.max) else { return .number(nil) }
    return .number(negative ? -Int(magnitude) : Int(magnitude))
  }

  private mutating func digits() throws(JSONReadError) {
    guard let digit = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else {
      throw fail("expected a digit")
    }
    while let digit = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) { index += 1 }
  }

  private mutating func string() throws(JSONReadError) -> String {
    index += 1
    var scalars = String.UnicodeScalarView()
    while true {
      guard let byte = current else { throw fail("unterminated string") }
      switch byte {
      case UInt8(ascii: "\""):
        index += 1
        return String(scalars)
      case UInt8(ascii: "\\"):
        index += 1
        guard let escape = current else { throw fail("unterminated string") }
        index += 1
        switch escape {
        case UInt8(ascii: "\""): scalars.append("\"")
        case UInt8(ascii: "\\"): scalars.append("\\")
        case UInt8(ascii: "/"): scalars.append("/")
        case UInt8(ascii: "b"): scalars.append("\u{08}")
        case UInt8(ascii: "f"): scalars.append("\u{0C}")
        case UInt8(ascii: "n"): scalars.append("\n")
        case UInt8(ascii: "r"): scalars.append("\r")
        case UInt8(ascii: "t"): scalars.append("\t")
        case UInt8(ascii: "u"): scalars.append(try escapedScalar())
        default:
          index -= 1
          throw fail("invalid escape")
        }
      case 0..<0x20: throw fail("control character in a string")
      case 0..<0x80:
        scalars.append(Unicode.Scalar(byte))
        index += 1
      default: scalars.append(try utf8Scalar())
      }
    }
  }

  /// After "\u": four hex digits, and a second escape for a surrogate pair.
  private mutating func escapedScalar() throws(JSONReadError) -> Unicode.Scalar {
    let high = try hex4()
    if (0xD800..<0xDC00).contains(high) {
      guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
        bytes[index + 1] == UInt8(ascii: "u")
      else { throw fail("lone surrogate") }
      index += 2
      let low = try hex4()
      guard (0xDC00..<0xE000).contains(low) else { throw fail("lone surrogate") }
      return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
    }
    guard let scalar = Unicode.Scalar(high) else { throw fail("lone surrogate") }
    return scalar
  }

  private mutating func hex4() throws(JSONReadError) -> UInt32 {
    guard index + 4 <= bytes.count else { throw fail("unterminated escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw fail("invalid \\u escape")
      }
      value = value << 4 | UInt32(digit)
      index += 1
    }
    return value
  }

  /// One multi-byte UTF-8 sequence, checked: no overlong forms, no surrogates, at most U+10FFFF.
  private mutating func utf8Scalar() throws(JSONReadError) -> Unicode.Scalar {
    let lead = bytes[index]
    let (length, initial, minimum): (Int, UInt32, UInt32)
    switch lead {
    case 0xC2...0xDF: (length, initial, minimum) = (2, UInt32(lead & 0x1F), 0x80)
    case 0xE0...0xEF: (length, initial, minimum) = (3, UInt32(lead & 0x0F), 0x800)
    case 0xF0...0xF4: (length, initial, minimum) = (4, UInt32(lead & 0x07), 0x10000)
    default: throw fail("invalid UTF-8")
    }
    guard index + length <= bytes.count else { throw fail("invalid UTF-8") }
    var value = initial
    for offset in 1..<length {
      let byte = bytes[index + offset]
      guard byte & 0xC0 == 0x80 else { throw fail("invalid UTF-8") }
      value = value << 6 | UInt32(byte & 0x3F)
    }
    guard value >= minimum, let scalar = Unicode.Scalar(value) else { throw fail("invalid UTF-8") }
    index += length
    return scalar
  }
}
