import GridCore
import RealModule

/// A hand-written, self-contained SVG document: no scripts, no external fonts or styles, every
/// text escaped. Coordinates are in pixels, y down.
struct SVGDocument {
  let width: Double
  let height: Double
  private var elements: [String] = []

  init(width: Double, height: Double) {
    self.width = width
    self.height = height
  }

  static func escape(_ text: String) -> String { Markup.escape(text) }

  static func number(_ value: Double) -> String { Format.number(value.isFinite ? value : 0, significant: 6) }

  private static func attributes(_ pairs: [(String, String)]) -> String {
    pairs.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
  }

  mutating func rect(x: Double, y: Double, width: Double, height: Double, _ extra: [(String, String)] = []) {
    let geometry = [
      ("x", Self.number(x)), ("y", Self.number(y)), ("width", Self.number(max(width, 0))),
      ("height", Self.number(max(height, 0))),
    ]
    elements.append("<rect\(Self.attributes(geometry + extra))/>")
  }

  mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, _ extra: [(String, String)] = []) {
    let geometry = [
      ("x1", Self.number(x1)), ("y1", Self.number(y1)), ("x2", Self.number(x2)), ("y2", Self.number(y2)),
    ]
    elements.append("<line\(Self.attributes(geometry + extra))/>")
  }

  mutating func circle(x: Double, y: Double, radius: Double, _ extra: [(String, String)] = []) {
    let geometry = [("cx", Self.number(x)), ("cy", Self.number(y)), ("r", Self.number(radius))]
    elements.append("<circle\(Self.attributes(geometry + extra))/>")
  }

  mutating func polyline(_ points: [(x: Double, y: Double)], _ extra: [(String, String)] = []) {
    let list = points.map { "\(Self.number($0.x)),\(Self.number($0.y))" }.joined(separator: " ")
    elements.append("<polyline\(Self.attributes([("points", list), ("fill", "none")] + extra))/>")
  }

  enum Anchor: String {
    case start, middle, end
  }

  mutating func text(
    _ text: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 12, bold: Bool = false,
    rotate: Double? = nil, _ extra: [(String, String)] = []
  ) {
    var pairs = [
      ("x", Self.number(x)), ("y", Self.number(y)), ("text-anchor", anchor.rawValue),
      ("font-size", Self.number(size)),
    ]
    if bold { pairs.append(("font-weight", "bold")) }
    if let rotate {
      pairs.append(("transform", "rotate(\(Self.number(rotate)) \(Self.number(x)) \(Self.number(y)))"))
    }
    elements.append("<text\(Self.attributes(pairs + extra))>\(Self.escape(text))</text>")
  }

  mutating func group(_ attributes: [(String, String)], _ body: (inout SVGDocument) -> Void) {
    elements.append("<g\(Self.attributes(attributes))>")
    body(&self)
    elements.append("</g>")
  }

  func rendered(title: String) -> String {
    let size = "width=\"\(Self.number(width))\" height=\"\(Self.number(height))\""
    let viewBox = "viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\""
    let font = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""
    return """
      <?xml version="1.0" encoding="UTF-8"?>
      <svg xmlns="http://www.w3.org/2000/svg" \(size) \(viewBox) \(font)>
      <title>\(Self.escape(title))</title>
      <rect x="0" y="0" width="\(Self.number(width))" height="\(Self.number(height))" fill="#ffffff"/>
      \(elements.joined(separator: "\n"))
      </svg>

      """
  }
}

/// Maps values to pixels along a y axis, linearly from 0 or by powers of ten, with its ticks.
struct AxisScale {
  enum Mapping { case linear, logarithmic }

  let mapping: Mapping
  let low: Double
  let high: Double
  /// Pixel of `low` (bottom) and of `high` (top).
  let bottom: Double
  let top: Double

  /// Linear from 0 to a round number at or above `maximum`.
  static func linear(maximum: Double, bottom: Double, top: Double) -> AxisScale {
    let step = niceStep(max(maximum, 1e-12) / 5)
    let high = (max(maximum, 1e-12) / step).rounded(.up) * step
    return AxisScale(mapping: .linear, low: 0, high: high, bottom: bottom, top: top)
  }

  /// Linear from 0 while the values span less than 10×, else logarithmic between powers of ten.
  static func fitting(_ values: [Double], bottom: Double, top: Double) -> AxisScale {
    let positive = values.filter { $0 > 0 && $0.isFinite }
    guard let smallest = positive.min(), let largest = positive.max() else {
      return linear(maximum: 1, bottom: bottom, top: top)
    }
    guard largest / smallest > 10 else { return linear(maximum: largest * 1.1, bottom: bottom, top: top) }
    let low = power10((log10(smallest)).rounded(.down))
    let high = power10((log10(largest)).rounded(.up))
    return AxisScale(
      mapping: .logarithmic, low: low, high: high == low ? low * 10 : high, bottom: bottom, top: top)
  }

  func pixel(_ value: Double) -> Double {
    switch mapping {
    case .linear:
      return bottom - (value - low) / (high - low) * (bottom - top)
    case .logarithmic:
      let clamped = min(max(value, low), high)
      let (lg, span) = (Self.log10, Self.log10(high) - Self.log10(low))
      return bottom - (lg(clamped) - lg(low)) / span * (bottom - top)
    }
  }

  var ticks: [Double] {
    switch mapping {
    case .linear:
      let step = Self.niceStep(high / 5)
      return (0...Int((high / step).rounded())).map { Double($0) * step }
    case .logarithmic:
      var ticks: [Double] = []
      var value = low
      while value <= high * 1.000001 {
        ticks.append(value)
        value *= 10
      }
      return ticks
    }
  }

  /// 1, 2 or 5 × a power of ten, at or above `raw`.
  static func niceStep(_ raw: Double) -> Double {
    let base = power10(log10(raw).rounded(.down))
    for factor in [1.0, 2, 5, 10] where base * factor >= raw * 0.999_999 { return base * factor }
    return base * 10
  }

  static func power10(_ exponent: Double) -> Double { Double.exp10(exponent) }

  static func log10(_ value: Double) -> Double { value > 0 ? Double.log10(value) : -.infinity }

  /// A tick label: "0.25", "1000", "1e+06" → "1000000" kept short with k/M suffixes.
  static func label(_ value: Double) -> String {
    if value >= 1e6 { return Format.number(value / 1e6, significant: 3) + "M" }
    if value >= 1e4 { return Format.number(value / 1e3, significant: 3) + "k" }
    return Format.number(value, significant: 3)
  }
}

/// Colours by transport position, so a transport keeps its colour across charts.
enum ChartPalette {
  static let colours = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#b07aa1", "#edc948", "#9c755f",
  ]

  static func colour(_ index: Int) -> String { colours[index % colours.count] }
}
