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
  @Option(help: "Runs of each transport × load, each in fresh processes.") var repeats = 3
  @Option(help: "Grids per run.") var frames = 1000
  @Option(help: "Cameras, 1 to 64.") var cameras = 16
  @Option(help: "Frame width in pixels.") var width = 320
  @Option(help: "Frame height in pixels.") var height = 240
  @Option(help: "1 (grey) or 3 (RGB).") var channels = 1
  @Option(name: .customLong("work-us"), help: "Microseconds of load per frame.") var workMicros = 1000
  @Option(help: "How camera processes start: fork or spawn.") var launch: LaunchMode = .fork
  @Option(help: "shm-ring: slots per camera ring, a power of two.") var slots = 4
  @Option(help: "Scene the cameras film (default: assets/scene.png).") var scene: String?
  @Option(help: "Folder for the CSV, JSON and SVG files.") var output = "timings"
  @Option(help: "Scale one parameter instead: cameras=1,4,16,64 or size=240x320,480x640 (HxW).")
  var sweep: String?

  static let transportNames = TransportKind.allCases.map(\.rawValue).joined(separator: ", ")

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
    config.cameras = cameras
    config.geometry = FrameGeometry(width: width, height: height, channels: channels)
    config.workMicros = workMicros
    config.launch = launch
    config.slots = slots
    config.scenePath = scene
    config.outputDirectory = output
    return config
  }

  func run() throws {
    let config = try benchConfiguration()
    try config.validate()
    let outcome = try BenchRunner.run(config) { Console.error($0) }
    Console.out(outcome.table)
  }
}
