import GridTransports

/// The bench's charts: `L.svg` (one bar per transport, like the seed's) and the sweeps' line charts.
public enum BenchCharts {
  /// Bars of seconds for all grids (mean, ± sample standard deviation), grids/s written on each,
  /// and the bound as a dashed line at the seconds it would take.
  public static func bars(_ rows: [BenchRow], load: CameraLoad, bound: Bound, context: BenchContext) -> String
  {
    let ordered = rows.sorted { order($0.transport) < order($1.transport) }
    let config = context.configuration
    let grids = ordered.first?.grids ?? config.frames
    let repeats = ordered.first?.repeats ?? config.repeats
    let sync = ordered.first.map { $0.sync == .genlock ? ", genlock every \($0.periodMicros) µs" : "" } ?? ""
    let title =
      "gridstitch bench — load \(load.rawValue): \(config.cameras) cameras × \(config.geometry), "
      + "launch \(config.launch.rawValue)\(sync)"
    // Wide enough for the bars and for the title (about 10 px a character at 16 px bold).
    let width = max(760, 260 + 110 * Double(ordered.count), 40 + 10 * Double(title.count))
    let height = 500.0
    // The right margin holds the bound's label, clear of every bar's own label.
    let (left, right, top, bottom) = (90.0, width - 150, 78.0, height - 58)
    let boundSeconds = bound.fps.isFinite && bound.fps > 0 ? Double(grids) / bound.fps : nil
    let tallest = ordered.map { $0.secondsForAllGrids + $0.secondsStandardDeviation }.max() ?? 0
    let scale = AxisScale.linear(maximum: max(tallest, boundSeconds ?? 0) * 1.12, bottom: bottom, top: top)

    var svg = SVGDocument(width: width, height: height)
    svg.text(title, x: width / 2, y: 26, anchor: .middle, size: 16, bold: true)
    svg.text(context.machineLine, x: width / 2, y: 46, anchor: .middle, size: 12, [("fill", "#555555")])
    svg.text(
      "gridstitch \(context.version) · \(repeats) repeat\(repeats == 1 ? "" : "s") of \(grids) grids, "
        + "each in fresh processes",
      x: width / 2, y: 62, anchor: .middle, size: 11, [("fill", "#555555")])
    drawYAxis(&svg, scale: scale, left: left, right: right)
    svg.text(
      "seconds for all \(grids) grids (mean ± std)", x: 22, y: (top + bottom) / 2, anchor: .middle, size: 12,
      rotate: -90)

    let slot = (right - left) / Double(max(ordered.count, 1))
    let barWidth = min(slot * 0.6, 90)
    for (index, row) in ordered.enumerated() {
      let center = left + slot * (Double(index) + 0.5)
      let mean = row.secondsForAllGrids
      let spread = row.secondsStandardDeviation
      svg.rect(
        x: center - barWidth / 2, y: scale.pixel(mean), width: barWidth, height: bottom - scale.pixel(mean),
        [
          ("class", "bar"), ("data-transport", row.transport.rawValue),
          ("fill", ChartPalette.colour(order(row.transport))),
        ])
      if spread > 0 {
        let high = scale.pixel(mean + spread)
        let low = scale.pixel(max(mean - spread, 0))
        svg.group([("class", "error-bar"), ("stroke", "#222222"), ("stroke-width", "1.5")]) { group in
          group.line(x1: center, y1: low, x2: center, y2: high)
          group.line(x1: center - 8, y1: high, x2: center + 8, y2: high)
          group.line(x1: center - 8, y1: low, x2: center + 8, y2: low)
        }
      }
      svg.text(
        "\(Format.rate(row.fps)) grids/s", x: center, y: scale.pixel(mean + spread) - 7, anchor: .middle,
        size: 11,
        bold: true, [("class", "fps")])
      svg.text(row.transport.rawValue, x: center, y: bottom + 18, anchor: .middle, size: 12)
      svg.text(
        "\(Format.fixed(mean, 3)) s", x: center, y: bottom + 34, anchor: .middle, size: 10,
        [("fill", "#555555")])
    }
    if let boundSeconds {
      let y = scale.pixel(boundSeconds)
      svg.line(
        x1: left, y1: y, x2: right, y2: y,
        [("class", "bound"), ("stroke", "#c0392b"), ("stroke-width", "1.5"), ("stroke-dasharray", "6 4")])
      svg.text(
        "bound: \(Format.rate(bound.fps)) grids/s", x: right + 6, y: y + 4, size: 11, bold: true,
        [("class", "bound-label"), ("fill", "#c0392b")])
    }
    svg.line(x1: left, y1: bottom, x2: right, y2: bottom, [("stroke", "#222222")])
    return svg.rendered(title: title)
  }

  /// Two line charts, grids/s above MB/s, one line per transport over the sweep's points (in
  /// order, evenly spaced), the bound dashed; log scale when a chart's values span more than 10×.
  public static func sweep(_ sweep: Sweep, rows: [BenchRow], load: CameraLoad, context: BenchContext)
    -> String
  {
    let config = context.configuration
    let points = uniquePoints(rows)
    let transports = config.transports.filter { kind in rows.contains { $0.transport == kind } }
    let width = max(760, 260 + 110 * Double(points.count))
    let panelHeight = 280.0
    let height = 90 + 2 * (panelHeight + 40) + 20
    let (left, right) = (90.0, width - 170)

    var svg = SVGDocument(width: width, height: height)
    let sync = rows.first.map { $0.sync == .genlock ? ", genlock every \($0.periodMicros) µs" : "" } ?? ""
    let title = "gridstitch bench — sweep \(sweep.name), load \(load.rawValue)\(sync)"
    svg.text(title, x: width / 2, y: 26, anchor: .middle, size: 16, bold: true)
    svg.text(context.machineLine, x: width / 2, y: 46, anchor: .middle, size: 12, [("fill", "#555555")])
    let held =
      switch sweep {
      case .cameras: "\(config.geometry) frames"
      case .size: "\(config.cameras) cameras"
      }
    svg.text(
      "gridstitch \(context.version) · \(held) · \(config.frames) grids × \(config.repeats) "
        + "repeat\(config.repeats == 1 ? "" : "s") · launch \(config.launch.rawValue)", x: width / 2, y: 62,
      anchor: .middle, size: 11,
      [("fill", "#555555")])

    func x(_ index: Int) -> Double {
      points.count == 1
        ? (left + right) / 2 : left + 30 + (right - left - 60) * Double(index) / Double(points.count - 1)
    }
    let panels: [(name: String, value: (BenchRow) -> Double, bound: (BenchRow) -> Double)] = [
      ("grids/s", { $0.fps }, { $0.bound.fps }),
      (
        "MB/s", { $0.megabytesPerSecond },
        { $0.bound.fps * Double($0.cameras * $0.point.geometry.bytesPerFrame) / 1e6 }
      ),
    ]
    for (panelIndex, panel) in panels.enumerated() {
      let top = 90 + Double(panelIndex) * (panelHeight + 40)
      let bottom = top + panelHeight
      let boundValues = points.compactMap { point in rows.first { $0.point == point }.map(panel.bound) }
      let scale = AxisScale.fitting(rows.map(panel.value) + boundValues, bottom: bottom, top: top)
      drawYAxis(&svg, scale: scale, left: left, right: right)
      let axisName = panel.name + (scale.mapping == .logarithmic ? " (log scale)" : "")
      svg.text(axisName, x: 22, y: (top + bottom) / 2, anchor: .middle, size: 12, rotate: -90)
      svg.line(x1: left, y1: bottom, x2: right, y2: bottom, [("stroke", "#222222")])
      for (index, point) in points.enumerated() {
        svg.text(sweep.label(of: point), x: x(index), y: bottom + 16, anchor: .middle, size: 11)
      }
      svg.text(
        sweep.name == "size" ? "frame size (HxW)" : "cameras", x: (left + right) / 2, y: bottom + 32,
        anchor: .middle, size: 11, [("fill", "#555555")])
      let boundLine = points.enumerated().compactMap { index, point in
        rows.first { $0.point == point }.map { (x: x(index), y: scale.pixel(panel.bound($0))) }
      }
      svg.polyline(
        boundLine,
        [("class", "bound"), ("stroke", "#c0392b"), ("stroke-width", "1.5"), ("stroke-dasharray", "6 4")])
      for transport in transports {
        let colour = ChartPalette.colour(order(transport))
        let line = points.enumerated().compactMap { index, point in
          rows.first { $0.point == point && $0.transport == transport }.map {
            (x: x(index), y: scale.pixel(panel.value($0)))
          }
        }
        svg.group([("class", "series"), ("data-transport", transport.rawValue)]) { group in
          group.polyline(line, [("stroke", colour), ("stroke-width", "2")])
          for mark in line { group.circle(x: mark.x, y: mark.y, radius: 3.5, [("fill", colour)]) }
        }
      }
      // Legend beside each panel.
      var legendY = top + 10
      for transport in transports {
        let colour = ChartPalette.colour(order(transport))
        svg.line(
          x1: right + 16, y1: legendY, x2: right + 40, y2: legendY,
          [("stroke", colour), ("stroke-width", "2")])
        svg.text(transport.rawValue, x: right + 46, y: legendY + 4, size: 11)
        legendY += 18
      }
      svg.line(
        x1: right + 16, y1: legendY, x2: right + 40, y2: legendY,
        [("stroke", "#c0392b"), ("stroke-width", "1.5"), ("stroke-dasharray", "6 4")])
      svg.text("bound", x: right + 46, y: legendY + 4, size: 11)
    }
    return svg.rendered(title: title)
  }

  private static func drawYAxis(_ svg: inout SVGDocument, scale: AxisScale, left: Double, right: Double) {
    svg.line(x1: left, y1: scale.bottom, x2: left, y2: scale.top, [("stroke", "#222222")])
    for tick in scale.ticks {
      let y = scale.pixel(tick)
      svg.line(x1: left, y1: y, x2: right, y2: y, [("stroke", "#e4e4e4")])
      svg.line(x1: left - 5, y1: y, x2: left, y2: y, [("stroke", "#222222")])
      svg.text(AxisScale.label(tick), x: left - 8, y: y + 4, anchor: .end, size: 11)
    }
  }

  private static func uniquePoints(_ rows: [BenchRow]) -> [Sweep.Point] {
    var points: [Sweep.Point] = []
    for row in rows where !points.contains(row.point) { points.append(row.point) }
    return points
  }

  static func order(_ transport: TransportKind) -> Int {
    TransportKind.allCases.firstIndex(of: transport) ?? 0
  }
}
