import Foundation
import GridTransports
import Testing

@testable import GridStitch

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Every element of an XML document, by name with its attributes; nil if it does not parse.
final class XMLElements: NSObject, XMLParserDelegate {
  var elements: [(name: String, attributes: [String: String])] = []

  static func parse(_ text: String) -> [(name: String, attributes: [String: String])]? {
    let parser = XMLParser(data: Data(text.utf8))
    let collector = XMLElements()
    parser.delegate = collector
    return parser.parse() ? collector.elements : nil
  }

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String]
  ) {
    elements.append((name, attributes))
  }
}

/// The charts are valid SVG with what they promise on them.
@Suite struct BenchChartTests {
  @Test func barChartParsesWithOneBarPerTransport() throws {
    let transports: [TransportKind] = [.serial, .threads, .pipe, .shmRing]
    // Rows out of order: bars come out in transport order anyway.
    let rows = benchRows(transports, loads: [.io]).reversed()
    let svg = BenchCharts.bars(
      Array(rows), load: .io, bound: rows.first!.bound, context: benchContext(model: "Fancy <CPU> & \"co\""))
    let elements = try #require(XMLElements.parse(svg), "the chart is not well-formed XML")
    #expect(elements.first?.name == "svg")
    #expect(elements.first?.attributes["xmlns"] == "http://www.w3.org/2000/svg")
    let bars = elements.filter { $0.name == "rect" && $0.attributes["class"] == "bar" }
    #expect(bars.map { $0.attributes["data-transport"] } == transports.map(\.rawValue))
    #expect(elements.filter { $0.attributes["class"] == "error-bar" }.count == transports.count)
    #expect(elements.filter { $0.attributes["class"] == "fps" }.count == transports.count)
    let bound = try #require(elements.first { $0.name == "line" && $0.attributes["class"] == "bound" })
    #expect(bound.attributes["stroke-dasharray"] != nil)
    // The bound is drawn at grids / bound_fps = 50 / 1000 s, below the fastest bar's top (0.1 s).
    let boundY = try #require(Double(bound.attributes["y1"] ?? ""))
    let fastestTop = try #require(Double(bars[0].attributes["y"] ?? ""))
    #expect(boundY > fastestTop)
    #expect(svg.contains("bound: 1000 grids/s"))
    #expect(svg.contains("Fancy &lt;CPU&gt; &amp; &quot;co&quot;"))
  }

  @Test func sweepChartParsesWithOneLinePerTransport() throws {
    let transports: [TransportKind] = [.threads, .shmRing]
    let sweep = try Sweep(parsing: "cameras=1,4,16")
    var rows: [BenchRow] = []
    for (index, point) in sweep.points(cameras: 16, geometry: .init()).enumerated() {
      for transport in transports {
        let seconds = 0.01 * Double(index * index + 1) * (transport == .threads ? 1 : 30)
        rows.append(
          BenchRow(
            transport: transport, load: .io, launch: .fork, point: point,
            bound: Bound(load: .io, fps: 900, basis: "test"), samples: [sample(seconds: seconds, grids: 50)]))
      }
    }
    var context = benchContext()
    context.configuration.transports = transports
    let svg = BenchCharts.sweep(sweep, rows: rows, load: .io, context: context)
    let elements = try #require(XMLElements.parse(svg), "the chart is not well-formed XML")
    let series = elements.filter { $0.name == "g" && $0.attributes["class"] == "series" }
    // Two charts (grids/s and MB/s), one line per transport in each.
    #expect(series.map { $0.attributes["data-transport"] } == ["threads", "shm-ring", "threads", "shm-ring"])
    #expect(elements.filter { $0.name == "circle" }.count == 2 * transports.count * 3)
    // grids/s spans 50/0.01 = 5000 down to 50/(0.05 × 30) ≈ 33: more than 10×, so log scale.
    #expect(svg.contains("grids/s (log scale)"))
  }

  @Test func axisScales() {
    let linear = AxisScale.linear(maximum: 3.7, bottom: 100, top: 0)
    #expect(linear.high == 4)
    #expect(linear.ticks == [0, 1, 2, 3, 4])
    #expect(linear.pixel(2) == 50)
    let log = AxisScale.fitting([3, 45, 2000], bottom: 300, top: 0)
    #expect(log.mapping == .logarithmic)
    #expect(log.ticks == [1, 10, 100, 1000, 10000])
    #expect(abs(log.pixel(100) - 150) < 1e-9)
    #expect(abs(AxisScale.log10(2) - 0.301_029_995_663_981_2) < 1e-12)
  }
}
