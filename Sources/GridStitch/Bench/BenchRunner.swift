import GridCore
import GridPosix
import GridTransports

/// What `gridstitch bench` produced: the table for stdout, the files written, the rows.
public struct BenchOutcome: Sendable {
  public var table: String
  public var files: [String]
  public var rows: [BenchRow]
}

/// `gridstitch bench`: every transport × load (or every sweep point × transport), each repeat a
/// fresh `gridstitch run --json` process, measured against the bound taken in the same invocation.
public enum BenchRunner {
  /// Runs the bench; `progress` gets one line per run (the CLI prints them on stderr). Each load's
  /// files are written as soon as its runs are done, so an interrupted bench keeps what finished.
  public static func run(_ config: BenchConfiguration, progress: (String) -> Void) throws(GridError)
    -> BenchOutcome
  {
    try config.validate()
    guard let executable = config.executable ?? ResourceUsage.executablePath() else {
      throw .runtime("bench: cannot find this executable (/proc/self/exe) to run each repeat")
    }
    try Pipeline.prepareOutput(config.outputDirectory)
    let scratch: TemporaryFolder
    do {
      scratch = try TemporaryFolder(prefix: "gridstitch-bench-")
    } catch {
      throw .runtime("bench: cannot make a folder for the runs' output: \(error)")
    }
    // Removed when the bench ends, however it ends; not before (ARC may end a lifetime at last use).
    defer { withExtendedLifetime(scratch) {} }
    StopSignals.install()
    let context = BenchContext.current(config)
    let meter = BoundMeter(
      cores: context.cores, workMicros: config.workMicros, periodMicros: config.periodMicros)
    let outcome = try withoutActuallyEscaping(progress) { (progress) throws(GridError) -> BenchOutcome in
      var session = Session(
        config: config, executable: executable, scratch: scratch.path, progress: progress, meter: meter)
      if let sweep = config.sweep { return try session.sweep(sweep, context: context) }
      return try session.everyLoad(context: context)
    }
    return outcome
  }

  private struct Session {
    let config: BenchConfiguration
    let executable: String
    let scratch: String
    let progress: (String) -> Void
    var meter: BoundMeter
    var done = 0
    var total = 0
    /// Width of the widest run label, so progress lines line up.
    var labelWidth = 4

    /// "io", or "io genlock": how progress lines and table blocks name a load under a sync mode.
    func label(_ load: CameraLoad, _ sync: CameraSync) -> String {
      sync == .free ? load.rawValue : "\(load.rawValue) \(sync.rawValue)"
    }

    /// A file's name without its extension: the prefix, the name, and "-genlock" under genlock.
    func fileName(_ name: String, _ sync: CameraSync) -> String {
      config.filePrefix + name + (sync == .free ? "" : "-\(sync.rawValue)")
    }

    mutating func everyLoad(context: BenchContext) throws(GridError) -> BenchOutcome {
      let point = Sweep.Point(cameras: config.cameras, geometry: config.geometry)
      let syncs = config.syncs
      total = config.loads.count * syncs.count * config.repeats * config.transports.count
      labelWidth = config.loads.flatMap { load in syncs.map { label(load, $0).count } }.max() ?? 4
      progress(
        "bench: \(count(config.transports.count, "transport")) × \(count(config.loads.count, "load")) × "
          + (syncs.count > 1 ? "\(syncs.count) sync modes × " : "")
          + "\(count(config.repeats, "repeat")) = \(count(total, "run")) of \(config.frames) grids, "
          + "\(config.cameras) cameras × \(config.geometry)"
      )
      // Every bound before the first run, while the machine is as quiet as it will be.
      var bounds: [CameraLoad: [(sync: CameraSync, bound: Bound)]] = [:]
      for load in config.loads {
        for sync in syncs {
          let bound = meter.bound(load: load, cameras: point.cameras, geometry: point.geometry, sync: sync)
          bounds[load, default: []].append((sync, bound))
          progress("bound \(label(load, sync)): \(Format.rate(bound.fps)) grids/s (\(bound.basis))")
        }
      }
      var blocks: [String] = []
      var files: [String] = []
      var allRows: [BenchRow] = []
      let folder = config.outputDirectory
      for load in config.loads {
        var rows: [BenchRow] = []
        for (sync, bound) in bounds[load]! {
          let measured = try measure(
            load: load, sync: sync, point: point, bound: bound, label: label(load, sync))
          let chart = BenchCharts.bars(measured, load: load, bound: bound, context: context)
          files.append(
            try BenchFiles.write(chart, folder: folder, name: fileName(load.rawValue, sync) + ".svg"))
          blocks.append(BenchTable.block(load: load, bound: bound, rows: measured))
          rows += measured
        }
        let name = config.filePrefix + load.rawValue
        files.append(try BenchFiles.write(BenchFiles.csv(rows), folder: folder, name: name + ".csv"))
        let json = BenchFiles.json(
          rows, load: load, bound: bounds[load]![0].bound, context: context,
          bounds: syncs.count > 1 ? bounds[load]! : [])
        files.append(
          try BenchFiles.write(json.rendered(indent: "  ") + "\n", folder: folder, name: name + ".json"))
        allRows += rows
      }
      return BenchOutcome(table: table(blocks, files: files), files: files, rows: allRows)
    }

    mutating func sweep(_ sweep: Sweep, context: BenchContext) throws(GridError) -> BenchOutcome {
      let load = config.loads[0]
      let sync = config.syncs[0]
      for (point, reason) in config.skippedPoints {
        progress(
          "skipping \(sweep.name) \(sweep.label(of: point)): \(reason); use fewer --cameras to include it")
      }
      let points = config.runnablePoints
      total = points.count * config.repeats * config.transports.count
      labelWidth = points.map { sweep.name.count + 1 + sweep.label(of: $0).count }.max() ?? 4
      progress(
        "bench: sweep \(sweep) × \(count(config.transports.count, "transport")) × "
          + "\(count(config.repeats, "repeat")) = \(count(total, "run")) of \(config.frames) grids, "
          + "load \(label(load, sync))"
      )
      var bounds: [Sweep.Point: Bound] = [:]
      for point in points {
        let bound = meter.bound(load: load, cameras: point.cameras, geometry: point.geometry, sync: sync)
        bounds[point] = bound
        progress(
          "bound at \(sweep.name) \(sweep.label(of: point)): \(Format.rate(bound.fps)) grids/s "
            + "(\(bound.basis))"
        )
      }
      var rows: [BenchRow] = []
      for point in points {
        let label = "\(sweep.name) \(sweep.label(of: point))"
        rows += try measure(load: load, sync: sync, point: point, bound: bounds[point]!, label: label)
      }
      let folder = config.outputDirectory
      let name = fileName("sweep-\(sweep.name)-\(load.rawValue)", sync)
      var files: [String] = []
      files.append(
        try BenchFiles.write(BenchFiles.sweepCSV(sweep, rows: rows), folder: folder, name: name + ".csv"))
      let chart = BenchCharts.sweep(sweep, rows: rows, load: load, context: context)
      files.append(try BenchFiles.write(chart, folder: folder, name: name + ".svg"))
      return BenchOutcome(
        table: table([BenchTable.sweepBlock(sweep, load: load, rows: rows)], files: files), files: files,
        rows: rows)
    }

    func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }

    func table(_ blocks: [String], files: [String]) -> String {
      (blocks + ["wrote " + files.joined(separator: ", ")]).joined(separator: "\n\n")
    }

    /// Every repeat of every transport at one load and point. Repeats are the outer loop, so slow
    /// drift on a shared machine spreads over all transports instead of landing on one.
    mutating func measure(
      load: CameraLoad, sync: CameraSync, point: Sweep.Point, bound: Bound, label: String
    ) throws(GridError) -> [BenchRow] {
      var samples: [TransportKind: [RunSample]] = [:]
      for index in 1...config.repeats {
        for transport in config.transports {
          if let signal = StopSignals.pending { throw .interrupted(signal: signal) }
          let what = "\(transport.rawValue) (\(label), repeat \(index)/\(config.repeats))"
          let sample = try runOnce(transport: transport, load: load, sync: sync, point: point, what: what)
          samples[transport, default: []].append(sample)
          done += 1
          let counter = Format.right(String(done), String(total).count)
          progress(
            "[\(counter)/\(total)] \(Format.left(label, labelWidth)) \(Format.left(transport.rawValue, 10)) "
              + "repeat \(index)/\(config.repeats)  \(Format.right(Format.rate(sample.fps), 8)) grids/s  "
              + "\(Format.fixed(sample.seconds, 3)) s")
        }
      }
      return config.transports.map { transport in
        BenchRow(
          transport: transport, load: load, launch: config.launch, point: point, bound: bound,
          samples: samples[transport] ?? [], sync: sync,
          periodMicros: sync == .genlock ? config.periodMicros : 0)
      }
    }

    /// One repeat: a fresh `gridstitch run … --json --quiet` process, its JSON read back.
    func runOnce(
      transport: TransportKind, load: CameraLoad, sync: CameraSync, point: Sweep.Point, what: String
    )
      throws(GridError)
      -> RunSample
    {
      var arguments = [
        "run", "--transport", transport.rawValue, "--load", load.rawValue, "--frames", String(config.frames),
        "--cameras", String(point.cameras), "--width", String(point.geometry.width), "--height",
        String(point.geometry.height), "--channels", String(point.geometry.channels), "--work-us",
        String(config.workMicros), "--launch", config.launch.rawValue, "--sync", sync.rawValue,
        "--json",
        "--quiet", "--output", scratch, "--parent", String(ProcessIdentity.pid),
      ]
      if let slots = config.slots { arguments += ["--slots", String(slots)] }
      if let period = config.period { arguments += ["--period-us", String(period)] }
      if let scene = config.scenePath { arguments += ["--scene", scene] }
      for source in config.sources { arguments += ["--source", source] }
      let outcome: CapturedProcess.Outcome
      do {
        outcome = try CapturedProcess.run(executable: executable, arguments: arguments)
      } catch {
        throw .runtime("bench: cannot start the run of \(what): \(error)")
      }
      if let signal = StopSignals.pending { throw .interrupted(signal: signal) }
      var messages = String(decoding: outcome.standardError, as: UTF8.self).split(separator: "\n").map(
        String.init)
      guard outcome.status == .exited(0) else {
        // Its own words come last in ours; anything it said before passes through as it was.
        var last = messages.popLast() ?? "it printed no error"
        if last.hasPrefix("gridstitch: ") { last.removeFirst("gridstitch: ".count) }
        for line in messages { progress(line) }
        throw .runtime("bench: the run of \(what) \(outcome.status): \(last)")
      }
      for line in messages { progress(line) }
      do {
        let sample = try RunSample(json: outcome.standardOutput)
        guard sample.grids == config.frames else {
          throw GridError.runtime("it stitched \(sample.grids) grids of \(config.frames)")
        }
        return sample
      } catch {
        throw .runtime("bench: the run of \(what): \(error)")
      }
    }
  }
}

extension RunSample {
  /// Grids per second of this repeat alone.
  public var fps: Double { seconds > 0 ? Double(grids) / seconds : 0 }
}
