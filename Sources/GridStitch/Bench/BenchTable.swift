import GridTransports

/// The table `gridstitch bench` prints on stdout at the end: one block per load (or per sweep).
public enum BenchTable {
  static let headers = [
    "transport", "grids/s", "± s", "s/all", "MB/s", "p50 µs", "p99 µs", "consumer s", "cameras s",
    "switches/frame", "efficiency",
  ]

  static func cells(_ row: BenchRow) -> [String] {
    [
      row.transport.rawValue, Format.rate(row.fps), Format.fixed(row.secondsStandardDeviation, 3),
      Format.fixed(row.secondsForAllGrids, 3), Format.rate(row.megabytesPerSecond),
      Format.fixed(row.latencyP50Micros, 0), Format.fixed(row.latencyP99Micros, 0),
      Format.fixed(row.consumerCPUSeconds, 2), Format.fixed(row.camerasCPUSeconds, 2),
      Format.fixed(row.switchesPerFrame, 2), Format.fixed(row.efficiency * 100, 1) + "%",
    ]
  }

  /// One load's block: a heading with the bound, then a line per transport.
  public static func block(load: CameraLoad, bound: Bound, rows: [BenchRow]) -> String {
    let sync =
      rows.first.map { $0.sync == .free ? "" : " · \($0.sync.rawValue) every \($0.periodMicros) µs" } ?? ""
    let heading = "load \(load.rawValue)\(sync) · bound \(Format.rate(bound.fps)) grids/s (\(bound.basis))"
    return heading + "\n" + aligned([headers] + rows.map(cells), leftColumns: 1)
  }

  /// A sweep's block: a line per point × transport.
  public static func sweepBlock(_ sweep: Sweep, load: CameraLoad, rows: [BenchRow]) -> String {
    let heading = "sweep \(sweep.name) · load \(load.rawValue)"
    let table =
      [[sweep.name] + headers + ["bound grids/s"]]
      + rows.map { [sweep.label(of: $0.point)] + cells($0) + [Format.rate($0.bound.fps)] }
    return heading + "\n" + aligned(table, leftColumns: 2)
  }

  /// Columns padded to their widest cell; the first `leftColumns` flush left, numbers flush right.
  static func aligned(_ table: [[String]], leftColumns: Int) -> String {
    let columns = table.map(\.count).max() ?? 0
    let widths = (0..<columns).map { column in
      table.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
    }
    return table.map { line in
      line.enumerated().map { column, cell in
        column < leftColumns ? Format.left(cell, widths[column]) : Format.right(cell, widths[column])
      }.joined(separator: "  ")
    }.joined(separator: "\n")
  }
}
