import GridCore
import GridTransports

/// Everything `gridstitch bench` is asked to do. `validate()` checks every run it will start, so
/// a bad combination is a usage error before the first run, not a failure in the middle.
public struct BenchConfiguration: Sendable {
  public var transports: [TransportKind] = TransportKind.selfContained
  public var loads: [CameraLoad] = CameraLoad.allCases
  public var repeats = 3
  public var frames = 1000
  public var cameras = 16
  public var geometry = FrameGeometry(width: 320, height: 240, channels: 1)
  public var workMicros = 1000
  /// Sync modes to run, each a row per transport; `free` alone keeps the bench the seed's.
  public var syncs: [CameraSync] = [.free]
  /// Microseconds between `genlock` triggers; nil means `workMicros`.
  public var period: Int?
  public var launch: LaunchMode = .fork
  /// shm-ring slots per camera; nil lets each run size its own (`RunConfiguration.defaultSlots`).
  public var slots: Int?
  public var scenePath: String?
  public var outputDirectory = "timings"
  /// Put before every file name: `--prefix queue-` writes queue-io.csv, queue-io.svg, ….
  public var filePrefix = ""
  public var sweep: Sweep?
  /// The `gridstitch` that runs each repeat; nil means this executable.
  public var executable: String?
  /// `--source`: what every run's cameras film (camera i the (i mod count)th), as `run --source`
  /// takes it; none: the test card. A decode benchmark with `--loads none`.
  public var sources: [String] = []

  public init() {}

  public static let maxRepeats = 1000

  /// "all", or names separated by commas; the result is in `TransportKind` order, without repeats.
  public static func parseTransports(_ text: String) throws(GridError) -> [TransportKind] {
    try parseList(text, flag: "--transports", all: TransportKind.selfContained)
  }

  /// "all", or names separated by commas; the result is in `CameraSync` order, without repeats.
  public static func parseSyncs(_ text: String) throws(GridError) -> [CameraSync] {
    try parseList(text, flag: "--sync", all: CameraSync.allCases)
  }

  /// Microseconds between `genlock` triggers.
  public var periodMicros: Int { period ?? workMicros }

  /// "all", or names separated by commas; the result is in `CameraLoad` order, without repeats.
  public static func parseLoads(_ text: String) throws(GridError) -> [CameraLoad] {
    try parseList(text, flag: "--loads", all: CameraLoad.allCases)
  }

  private static func parseList<T: RawRepresentable & CaseIterable & Equatable>(
    _ text: String, flag: String, all: [T]
  ) throws(GridError) -> [T] where T.RawValue == String {
    let accepted = "use all, or a comma-separated list of \(all.map(\.rawValue).joined(separator: ", "))"
    let names = text.split(separator: ",", omittingEmptySubsequences: false).map {
      String($0.filter { $0 != " " })
    }
    if names == ["all"] { return all }
    var chosen: [T] = []
    for name in names {
      guard let value = T(rawValue: name), all.contains(value) else {
        throw .usage("\(flag) \(text.isEmpty ? "''" : text): '\(name)' is not accepted: \(accepted)")
      }
      if !chosen.contains(value) { chosen.append(value) }
    }
    return all.filter { chosen.contains($0) }
  }

  /// The `gridstitch run` settings of one run of this bench.
  public func runConfiguration(
    transport: TransportKind, load: CameraLoad, sync: CameraSync = .free, point: Sweep.Point
  ) -> RunConfiguration {
    var run = RunConfiguration()
    run.transport = transport
    run.load = load
    run.sync = sync
    run.period = period
    run.launch = launch
    run.cameras = point.cameras
    run.geometry = point.geometry
    run.frames = frames
    run.workMicros = workMicros
    run.slots = slots
    run.scenePath = scenePath
    run.sources = sources
    run.progress = false
    return run
  }

  /// Where the runs happen: the one point `--cameras`/`--width`/`--height` name, or the sweep's.
  public var points: [Sweep.Point] {
    sweep?.points(cameras: cameras, geometry: geometry) ?? [Sweep.Point(cameras: cameras, geometry: geometry)]
  }

  /// Sweep points whose grid is over the 1 GiB limit, with why: skipped, not an error.
  public var skippedPoints: [(point: Sweep.Point, reason: String)] {
    points.compactMap { point in
      let layout = GridLayout(cameras: point.cameras)
      let bytes = layout.gridBytes(point.geometry)
      guard bytes > RunConfiguration.maxGridBytes else { return nil }
      return (
        point,
        "a \(layout.rows)x\(layout.cols) grid of \(point.geometry) frames is \(bytes) bytes, "
          + "over the 1 GiB limit"
      )
    }
  }

  /// The points that will run.
  public var runnablePoints: [Sweep.Point] {
    let skipped = skippedPoints.map(\.point)
    return points.filter { !skipped.contains($0) }
  }

  public func validate() throws(GridError) {
    guard !transports.isEmpty else { throw .usage("--transports names none: name at least one") }
    guard !loads.isEmpty else { throw .usage("--loads names none: name at least one") }
    guard (1...Self.maxRepeats).contains(repeats) else {
      throw .usage("--repeats \(repeats) is out of range: use 1 to \(Self.maxRepeats)")
    }
    guard !outputDirectory.isEmpty else { throw .usage("--output '' is not accepted: name a folder") }
    guard !syncs.isEmpty else { throw .usage("--sync names none: name at least one") }
    guard !filePrefix.contains("/") else {
      throw .usage("--prefix \(filePrefix) is not accepted: a prefix of file names cannot name a folder")
    }
    if let sweep {
      guard syncs.count == 1 else {
        throw .usage("--sweep \(sweep) runs one sync mode, but --sync names \(syncs.count): name one")
      }
      guard loads.count == 1 else {
        throw .usage(
          "--sweep \(sweep) runs one load, but --loads names \(loads.count): name one, e.g. --loads io")
      }
      let runnable = runnablePoints
      guard !runnable.isEmpty else {
        throw .usage(
          "--sweep \(sweep): every point's grid is over the 1 GiB limit with --cameras \(cameras): "
            + "use fewer cameras"
        )
      }
    }
    for point in runnablePoints {
      for transport in transports {
        for load in loads {
          for sync in syncs {
            try runConfiguration(transport: transport, load: load, sync: sync, point: point).validate()
          }
        }
      }
    }
  }
}

/// One parameter scaled over several values, the rest held: `cameras=1,4,16,64` or
/// `size=240x320,480x640` (size is HxW: rows x columns, as image shapes are written).
public enum Sweep: Sendable, Equatable, CustomStringConvertible {
  case cameras([Int])
  /// Heights and widths, in pixels.
  case size([(height: Int, width: Int)])

  /// Where one set of runs happens.
  public struct Point: Sendable, Hashable {
    public var cameras: Int
    public var geometry: FrameGeometry

    public init(cameras: Int, geometry: FrameGeometry) {
      self.cameras = cameras
      self.geometry = geometry
    }
  }

  public init(parsing text: String) throws(GridError) {
    let accepted = "use cameras=1,4,16,64 or size=240x320,480x640 (HxW)"
    let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2 else { throw .usage("--sweep \(text) is not accepted: \(accepted)") }
    let values = parts[1].split(separator: ",").map { String($0.filter { $0 != " " }) }
    guard !values.isEmpty else { throw .usage("--sweep \(text) names no values: \(accepted)") }
    switch parts[0] {
    case "cameras":
      var counts: [Int] = []
      for value in values {
        guard let count = Int(value), (1...RunConfiguration.maxCameras).contains(count) else {
          throw .usage(
            "--sweep \(text): '\(value)' is not a camera count: use 1 to \(RunConfiguration.maxCameras)")
        }
        if !counts.contains(count) { counts.append(count) }
      }
      self = .cameras(counts.sorted())
    case "size":
      var sizes: [(height: Int, width: Int)] = []
      for value in values {
        let sides = value.split(separator: "x").compactMap { Int($0) }
        guard sides.count == 2, value.split(separator: "x").count == 2,
          sides.allSatisfy({ (1...RunConfiguration.maxSide).contains($0) })
        else {
          throw .usage(
            "--sweep \(text): '\(value)' is not a size: use HEIGHTxWIDTH, each 1 to "
              + "\(RunConfiguration.maxSide)"
          )
        }
        if !sizes.contains(where: { $0.height == sides[0] && $0.width == sides[1] }) {
          sizes.append((sides[0], sides[1]))
        }
      }
      self = .size(sizes.sorted { $0.height * $0.width < $1.height * $1.width })
    default:
      throw .usage("--sweep \(text): '\(parts[0])' cannot be swept: \(accepted)")
    }
  }

  /// "cameras" or "size", as in the file names.
  public var name: String {
    switch self {
    case .cameras: "cameras"
    case .size: "size"
    }
  }

  public var description: String {
    switch self {
    case .cameras(let counts): "cameras=" + counts.map(String.init).joined(separator: ",")
    case .size(let sizes): "size=" + sizes.map { "\($0.height)x\($0.width)" }.joined(separator: ",")
    }
  }

  /// The points, holding everything else at `cameras` and `geometry`.
  public func points(cameras: Int, geometry: FrameGeometry) -> [Point] {
    switch self {
    case .cameras(let counts):
      return counts.map { Point(cameras: $0, geometry: geometry) }
    case .size(let sizes):
      return sizes.map {
        Point(
          cameras: cameras,
          geometry: FrameGeometry(width: $0.width, height: $0.height, channels: geometry.channels))
      }
    }
  }

  /// The x-axis label of `point`: the camera count, or HxW.
  public func label(of point: Point) -> String {
    switch self {
    case .cameras: String(point.cameras)
    case .size: "\(point.geometry.height)x\(point.geometry.width)"
    }
  }

  public static func == (lhs: Sweep, rhs: Sweep) -> Bool { lhs.description == rhs.description }
}
