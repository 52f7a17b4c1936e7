/// Text made safe inside XML or HTML content and attribute values: the SVG charts and the web
/// pages share it.
public enum Markup {
  public static func escape(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default:
        // Control characters are not allowed in XML 1.0 (and mean nothing in a page).
        if let ascii = character.asciiValue, ascii < 0x20, ascii != 0x09, ascii != 0x0A, ascii != 0x0D {
          out += " "
        } else {
          out.append(character)
        }
      }
    }
    return out
  }
}
