import GridCore
import GridPosix
import GridTransports

/// What every bench file says about how it was made: the machine, the version, the settings.
public struct BenchContext: Sendable {
  public var version = GridStitchVersion.current
  public var cores: Int
  public var modelName: String
  public var kernel: String
  public var configuration: BenchConfiguration

  public init(cores: Int, modelName: String, kernel: String, configuration: BenchConfiguration) {
    self.cores = cores
    self.modelName = modelName
    self.kernel = kernel
    self.configuration = configuration
  }

  /// This machine, now.
  public static func current(_ configuration: BenchConfiguration) -> BenchContext {
    let machine = MachineInfo.current()
    return BenchContext(
      cores: machine.cores, modelName: machine.modelName, kernel: machine.kernel, configuration: configuration
    )
  }

  /// One line for chart titles: "Intel(R) Xeon(R) … · 2 cores · Linux 6.8.0 x86_64".
  public var machineLine: String { "\(modelName) · \(cores) cores · \(kernel)" }
}

/// The bench's files: `L.csv`, `L.json`, and the sweeps' CSV. Column names and their order are a
/// contract (tests pin them); the first five are the seed's, with the same meaning.
public enum BenchFiles {
  public static let csvColumns = [
    "groupname", "time_per_frame", "time_for_all_frames", "stddev_for_all_frames", "fps",
    "transport", "load", "launch", "sync", "period_us", "cameras", "grids", "repeats", "frames_per_s",
    "mb_per_s",
    "latency_p50_us", "latency_p99_us", "latency_max_us", "consumer_cpu_s", "cameras_cpu_s", "setup_seconds",
    "bound_fps", "efficiency", "switches_per_frame",
  ]

  /// A sweep's CSV: which point, then the bench columns.
  public static let sweepColumns = ["sweep", "value", "width", "height", "channels"] + csvColumns

  /// One row's cells, in `csvColumns` order; numbers as JSON-compatible text.
  static func cells(_ row: BenchRow) -> [(String, JSONObject.Value)] {
    [
      ("groupname", .string(row.transport.rawValue)),
      ("time_per_frame", .double(row.secondsPerGrid)),
      ("time_for_all_frames", .double(row.secondsForAllGrids)),
      ("stddev_for_all_frames", .double(row.secondsStandardDeviation)),
      ("fps", .double(row.fps)),
      ("transport", .string(row.transport.rawValue)),
      ("load", .string(row.load.rawValue)),
      ("launch", .string(row.launch.rawValue)),
      ("sync", .string(row.sync.rawValue)),
      ("period_us", .int(row.periodMicros)),
      ("cameras", .int(row.cameras)),
      ("grids", .int(row.grids)),
      ("repeats", .int(row.repeats)),
      ("frames_per_s", .double(row.framesPerSecond)),
      ("mb_per_s", .double(row.megabytesPerSecond)),
      ("latency_p50_us", .double(row.latencyP50Micros)),
      ("latency_p99_us", .double(row.latencyP99Micros)),
      ("latency_max_us", .double(row.latencyMaxMicros)),
      ("consumer_cpu_s", .double(row.consumerCPUSeconds)),
      ("cameras_cpu_s", .double(row.camerasCPUSeconds)),
      ("setup_seconds", .double(row.setupSeconds)),
      ("bound_fps", .double(row.bound.fps)),
      ("efficiency", .double(row.efficiency)),
      ("switches_per_frame", .double(row.switchesPerFrame)),
    ]
  }

  /// `L.csv`: the header, then one line per row.
  public static func csv(_ rows: [BenchRow]) -> String {
    var lines = [csvColumns.joined(separator: ",")]
    for row in rows { lines.append(cells(row).map { csvField($0.1) }.joined(separator: ",")) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `sweep-NAME-L.csv`: one line per point × transport.
  public static func sweepCSV(_ sweep: Sweep, rows: [BenchRow]) -> String {
    var lines = [sweepColumns.joined(separator: ",")]
    for row in rows {
      let point: [JSONObject.Value] = [
        .string(sweep.name), .string(sweep.label(of: row.point)), .int(row.point.geometry.width),
        .int(row.point.geometry.height), .int(row.point.geometry.channels),
      ]
      lines.append((point + cells(row).map(\.1)).map(csvField).joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func csvField(_ value: JSONObject.Value) -> String {
    switch value {
    case .string(let text):
      guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
      return "\"" + text.replacingAll("\"", with: "\"\"") + "\""
    case .int(let number): return String(number)
    case .double(let number): return Format.number(number)
    case .bool(let flag): return flag ? "true" : "false"
    case .null, .object, .array: return ""
    }
  }

  /// `L.json`: the machine, the version, the settings, the bound, the rows (the CSV's columns as
  /// keys) and every repeat's own numbers.
  /// Under several sync modes `bound` is the first's, and `bounds` names each.
  public static func json(
    _ rows: [BenchRow], load: CameraLoad, bound: Bound, context: BenchContext,
    bounds: [(sync: CameraSync, bound: Bound)] = []
  ) -> JSONObject {
    var object = JSONObject()
    object["gridstitch_version"] = .string(context.version)
    var machine = JSONObject()
    machine["cores"] = .int(context.cores)
    machine["model_name"] = .string(context.modelName)
    machine["kernel"] = .string(context.kernel)
    object["machine"] = .object(machine)
    object["load"] = .string(load.rawValue)
    object["settings"] = .object(settings(context.configuration))
    var boundObject = JSONObject()
    boundObject["fps"] = .double(bound.fps)
    boundObject["basis"] = .string(bound.basis)
    object["bound"] = .object(boundObject)
    if !bounds.isEmpty {
      var named = JSONObject()
      for (sync, bound) in bounds {
        var entry = JSONObject()
        entry["fps"] = .double(bound.fps)
        entry["basis"] = .string(bound.basis)
        named[sync.rawValue] = .object(entry)
      }
      object["bounds"] = .object(named)
    }
    object["rows"] = .array(
      rows.map { row in
        var entry = JSONObject()
        for (key, value) in cells(row) { entry[key] = value }
        return .object(entry)
      })
    object["runs"] = .array(
      rows.flatMap { row in
        row.samples.enumerated().map { index, sample in
          var run = JSONObject()
          run["transport"] = .string(row.transport.rawValue)
          run["sync"] = .string(row.sync.rawValue)
          run["repeat"] = .int(index + 1)
          run["grids"] = .int(sample.grids)
          run["frames"] = .int(sample.frames)
          run["seconds"] = .double(sample.seconds)
          run["setup_seconds"] = .double(sample.setupSeconds)
          run["mb_per_s"] = .double(sample.megabytesPerSecond)
          run["latency_p50_us"] = .double(sample.latencyP50Micros)
          run["latency_p99_us"] = .double(sample.latencyP99Micros)
          run["latency_max_us"] = .double(sample.latencyMaxMicros)
          run["consumer_cpu_s"] = .double(sample.consumerCPUSeconds)
          run["cameras_cpu_s"] = .double(sample.camerasCPUSeconds)
          run["context_switches"] = .int(sample.contextSwitches)
          return .object(run)
        }
      })
    return object
  }

  static func settings(_ config: BenchConfiguration) -> JSONObject {
    var settings = JSONObject()
    settings["transports"] = .array(config.transports.map { .string($0.rawValue) })
    settings["repeats"] = .int(config.repeats)
    settings["frames"] = .int(config.frames)
    settings["cameras"] = .int(config.cameras)
    settings["width"] = .int(config.geometry.width)
    settings["height"] = .int(config.geometry.height)
    settings["channels"] = .int(config.geometry.channels)
    settings["work_us"] = .int(config.workMicros)
    settings["syncs"] = .array(config.syncs.map { .string($0.rawValue) })
    settings["period_us"] = .int(config.periodMicros)
    settings["launch"] = .string(config.launch.rawValue)
    // null: each run sized its own rings (`RunConfiguration.defaultSlots`).
    settings["slots"] = config.slots.map { .int($0) } ?? .null
    return settings
  }

  /// Writes `text` to `folder/name` through a temporary name; returns the path.
  static func write(_ text: String, folder: String, name: String) throws(GridError) -> String {
    let path = folder + "/" + name
    do {
      try FileSystem.writeAtomically(path, text)
    } catch {
      throw .runtime("bench: \(error)")
    }
    return path
  }
}

extension String {
  /// Every `target` replaced by `replacement` (no Foundation).
  func replacingAll(_ target: Character, with replacement: String) -> String {
    var out = ""
    for character in self {
      if character == target { out += replacement } else { out.append(character) }
    }
    return out
  }
}
