import GridCore

/// Reads the one JSON object `gridstitch run --json` prints, into a `JSONObject` (key order kept).
/// Enough JSON for that: objects, arrays, strings with escapes, numbers, true, false, null.
enum JSONParser {
  static func object(from text: String) throws(GridError) -> JSONObject {
    var parser = Cursor(bytes: Array(text.utf8))
    let value = try parser.value()
    parser.skipSpace()
    guard parser.atEnd else { throw parser.failure("text after the object") }
    guard case .object(let object) = value else { throw parser.failure("not a JSON object") }
    return object
  }

  private struct Cursor {
    let bytes: [UInt8]
    var index = 0
    var depth = 0

    var atEnd: Bool { index >= bytes.count }

    func failure(_ reason: String) -> GridError {
      .runtime("cannot read a run's JSON: \(reason) at byte \(index)")
    }

    mutating func skipSpace() {
      while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func expect(_ byte: UInt8) throws(GridError) {
      skipSpace()
      guard index < bytes.count, bytes[index] == byte else {
        throw failure("expected '\(Character(Unicode.Scalar(byte)))'")
      }
      index += 1
    }

    mutating func value() throws(GridError) -> JSONObject.Value {
      skipSpace()
      guard index < bytes.count else { throw failure("unexpected end") }
      switch bytes[index] {
      case UInt8(ascii: "{"): return .object(try object())
      case UInt8(ascii: "["): return try array()
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"): return try literal("true", .bool(true))
      case UInt8(ascii: "f"): return try literal("false", .bool(false))
      case UInt8(ascii: "n"): return try literal("null", .null)
      default: return try number()
      }
    }

    mutating func nested<T>(_ body: (inout Cursor) throws(GridError) -> T) throws(GridError) -> T {
      depth += 1
      defer { depth -= 1 }
      guard depth <= 64 else { throw failure("nested too deeply") }
      return try body(&self)
    }

    mutating func object() throws(GridError) -> JSONObject {
      try nested { (cursor: inout Cursor) throws(GridError) -> JSONObject in
        try cursor.expect(UInt8(ascii: "{"))
        var object = JSONObject()
        cursor.skipSpace()
        if cursor.index < cursor.bytes.count, cursor.bytes[cursor.index] == UInt8(ascii: "}") {
          cursor.index += 1
          return object
        }
        while true {
          cursor.skipSpace()
          let key = try cursor.string()
          try cursor.expect(UInt8(ascii: ":"))
          object[key] = try cursor.value()
          cursor.skipSpace()
          guard cursor.index < cursor.bytes.count else { throw cursor.failure("unterminated object") }
          let next = cursor.bytes[cursor.index]
          cursor.index += 1
          if next == UInt8(ascii: "}") { return object }
          guard next == UInt8(ascii: ",") else { throw cursor.failure("expected ',' or '}'") }
        }
      }
    }

    mutating func array() throws(GridError) -> JSONObject.Value {
      try nested { (cursor: inout Cursor) throws(GridError) -> JSONObject.Value in
        try cursor.expect(UInt8(ascii: "["))
        var values: [JSONObject.Value] = []
        cursor.skipSpace()
        if cursor.index < cursor.bytes.count, cursor.bytes[cursor.index] == UInt8(ascii: "]") {
          cursor.index += 1
          return .array(values)
        }
        while true {
          values.append(try cursor.value())
          cursor.skipSpace()
          guard cursor.index < cursor.bytes.count else { throw cursor.failure("unterminated array") }
          let next = cursor.bytes[cursor.index]
          cursor.index += 1
          if next == UInt8(ascii: "]") { return .array(values) }
          guard next == UInt8(ascii: ",") else { throw cursor.failure("expected ',' or ']'") }
        }
      }
    }

    mutating func literal(_ word: String, _ value: JSONObject.Value) throws(GridError) -> JSONObject.Value {
      let expected = Array(word.utf8)
      guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected
      else {
        throw failure("unknown literal")
      }
      index += expected.count
      return value
    }

    mutating func number() throws(GridError) -> JSONObject.Value {
      let start = index
      var isInteger = true
      while index < bytes.count {
        let byte = bytes[index]
        if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
          isInteger = false
        } else if !(byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) && byte != UInt8(ascii: "-")
          && byte != UInt8(ascii: "+")
        {
          break
        }
        index += 1
      }
      let text = String(decoding: bytes[start..<index], as: UTF8.self)
      if isInteger, let integer = Int(text) { return .int(integer) }
      guard !text.isEmpty, let double = Double(text) else { throw failure("not a number: '\(text)'") }
      return .double(double)
    }

    mutating func string() throws(GridError) -> String {
      try expect(UInt8(ascii: "\""))
      var scalars = String.UnicodeScalarView()
      var run: [UInt8] = []
      func flush() {
        scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
        run.removeAll(keepingCapacity: true)
      }
      while index < bytes.count {
        let byte = bytes[index]
        index += 1
        if byte == UInt8(ascii: "\"") {
          flush()
          return String(scalars)
        }
        guard byte == UInt8(ascii: "\\") else {
          run.append(byte)
          continue
        }
        flush()
        guard index < bytes.count else { break }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "n"): scalars.append("\n")
        case UInt8(ascii: "t"): scalars.append("\t")
        case UInt8(ascii: "r"): scalars.append("\r")
        case UInt8(ascii: "b"): scalars.append("\u{08}")
        case UInt8(ascii: "f"): scalars.append("\u{0C}")
        case UInt8(ascii: "u"):
          guard index + 4 <= bytes.count,
            let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
          else { throw failure("bad \\u escape") }
          index += 4
          scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
        default: scalars.append(Unicode.Scalar(escape))
        }
      }
      throw failure("unterminated string")
    }
  }
}

extension JSONObject.Value {
  /// A number as a Double, whether it was written as an integer or not.
  var number: Double? {
    switch self {
    case .int(let value): Double(value)
    case .double(let value): value
    default: nil
    }
  }
}
