import ArgumentParser
import GridCore
import GridStitch
import GridTransports

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run every transport × load, each repeat in fresh processes; write CSV, JSON and SVG charts.",
    discussion: """
      Progress goes to stderr, one line per run; the table goes to stdout at the end. For each load L the
      output folder gets L.csv, L.json and L.svg. With --sweep (one load) it gets sweep-NAME-L.csv and .svg;
      size points whose grid would exceed 1 GiB are skipped with a message (pass fewer --cameras).
      """)

  @Option(help: "Transports: all, or a comma-separated list of \(Bench.transportNames).")
  var transports = "all"
  @Option(help: "Loads, comma-separated: io, cpu, none (default: all three; io with --sweep).")
  var loads: String?
  @Option(parsing: .unconditional, help: "Runs of each transport × load, each in fresh processes.")
  var repeats = 3
  @Option(parsing: .unconditional, help: "Grids per run.") var frames = 1000
  @OptionGroup var camera: CameraOptions
  @Option(help: "Folder for the CSV, JSON and SVG files.") var output = "timings"
  @Option(help: "Sync modes, comma-separated: free (the seed's, the default), genlock; a row for each.")
  var sync = "free"
  @Option(help: "Put before every file name, e.g. queue- for the seed's queue benchmark (queue-io.csv).")
  var prefix = ""
  @Option(help: "Scale one parameter instead: cameras=1,4,16,64 or size=240x320,480x640 (HxW).")
  var sweep: String?
  @Option(
    help: """
      A video file or stream every run's cameras film, as run --source takes it (repeatable). With \
      --transports all, the transports whose cameras can film (all but serial).
      """)
  var source: [String] = []

  static let transportNames = TransportKind.selfContained.map(\.rawValue).joined(separator: ", ")

  func benchConfiguration() throws(GridError) -> BenchConfiguration {
    var config = BenchConfiguration()
    config.transports = try BenchConfiguration.parseTransports(transports)
    let sweep = try self.sweep.map { (text) throws(GridError) in try Sweep(parsing: text) }
    config.sweep = sweep
    config.loads =
      try loads.map { (text) throws(GridError) in try BenchConfiguration.parseLoads(text) }
      ?? (sweep == nil ? CameraLoad.allCases : [.io])
    config.repeats = repeats
    config.frames = frames
    config.cameras = camera.cameras
    config.geometry = FrameGeometry(width: camera.width, height: camera.height, channels: camera.channels)
    config.workMicros = camera.workMicros
    config.syncs = try BenchConfiguration.parseSyncs(sync)
    config.period = camera.periodMicros
    config.filePrefix = prefix
    config.launch = camera.launch
    config.slots = camera.slots
    config.scenePath = camera.scene
    config.outputDirectory = output
    config.sources = source
    // Only cameras a run starts film a source: `all` means the transports whose cameras can.
    if !source.isEmpty && transports == "all" {
      config.transports = config.transports.filter { $0.traits.cameras != .inline }
    }
    return config
  }

  func run() throws {
    let config = try benchConfiguration()
    try config.validate()
    let outcome = try BenchRunner.run(config) { Console.error($0) }
    try Console.out(outcome.table)
  }
}
