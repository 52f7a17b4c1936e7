/// Text from a peer, made safe to print: every control character (C0, DEL, C1), and every
/// character that reorders or hides what follows it (bidi embeddings, overrides and isolates,
/// direction marks), written as a visible escape. A peer's name or reason can then neither move
/// the cursor, set a terminal's title, clear a screen, start a forged line nor turn the rest of a
/// line around.
public enum TerminalText {
  public static func escaped(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
      if !needsEscape(scalar) {
        out.unicodeScalars.append(scalar)
      } else if scalar.value < 0x100 {
        out += "\\x" + hex(scalar.value, digits: 2)
      } else {
        out += "\\u{" + hex(scalar.value, digits: 4) + "}"
      }
    }
    return out
  }

  static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x7F...0x9F: true
    case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x061C: true
    default: false
    }
  }

  private static func hex(_ value: UInt32, digits: Int) -> String {
    let text = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
  }
}
