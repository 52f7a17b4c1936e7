import FoundationEssentials
import GridCore
import GridTransports

/// What one repeat measured, read from its `gridstitch run --json` line.
public struct RunSample: Sendable, Equatable, Decodable {
  public var seconds: Double
  public var setupSeconds: Double
  public var grids: Int
  public var frames: Int
  public var megabytesPerSecond: Double
  public var latencyP50Micros: Double
  public var latencyP99Micros: Double
  public var latencyMaxMicros: Double
  public var consumerCPUSeconds: Double
  public var camerasCPUSeconds: Double
  /// Context switches of the whole run, consumer and cameras.
  public var contextSwitches: Int

  public init(
    seconds: Double, setupSeconds: Double, grids: Int, frames: Int, megabytesPerSecond: Double,
    latencyP50Micros: Double, latencyP99Micros: Double, latencyMaxMicros: Double, consumerCPUSeconds: Double,
    camerasCPUSeconds: Double, contextSwitches: Int = 0
  ) {
    self.seconds = seconds
    self.setupSeconds = setupSeconds
    self.grids = grids
    self.frames = frames
    self.megabytesPerSecond = megabytesPerSecond
    self.latencyP50Micros = latencyP50Micros
    self.latencyP99Micros = latencyP99Micros
    self.latencyMaxMicros = latencyMaxMicros
    self.consumerCPUSeconds = consumerCPUSeconds
    self.camerasCPUSeconds = camerasCPUSeconds
    self.contextSwitches = contextSwitches
  }

  /// Reads the line `gridstitch run --json` printed (the keys `RunReport.json` writes); a
  /// missing or non-numeric key is a one-line error naming it.
  public init(json bytes: [UInt8]) throws(GridError) {
    do {
      self = try JSONDecoder().decode(RunSample.self, from: Data(bytes))
    } catch let DecodingError.keyNotFound(key, _) {
      throw .runtime("the run's JSON has no number '\(key.stringValue)'")
    } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
      throw .runtime("the run's JSON has no number '\(context.codingPath.last?.stringValue ?? "?")'")
    } catch {
      throw .runtime("the run's output is not one JSON object")
    }
  }

  /// The `--json` keys (a contract, see `RunReport.json`).
  enum CodingKeys: String, CodingKey {
    case seconds, grids, frames
    case setupSeconds = "setup_seconds"
    case megabytesPerSecond = "mb_per_s"
    case latencyP50Micros = "latency_p50_us"
    case latencyP99Micros = "latency_p99_us"
    case latencyMaxMicros = "latency_max_us"
    case consumerCPUSeconds = "consumer_cpu_s"
    case camerasCPUSeconds = "cameras_cpu_s"
    case contextSwitches = "context_switches"
  }

  /// Megabytes moved in the timed part.
  var megabytes: Double { megabytesPerSecond * seconds }
}

/// One transport under one load: its repeats summarised, against the bound. A row of `L.csv`.
public struct BenchRow: Sendable {
  public var transport: TransportKind
  public var load: CameraLoad
  public var launch: LaunchMode
  public var point: Sweep.Point
  public var bound: Bound
  public var samples: [RunSample]
  public var sync: CameraSync
  /// Microseconds between `genlock` triggers (0 under `free`).
  public var periodMicros: Int

  public init(
    transport: TransportKind, load: CameraLoad, launch: LaunchMode, point: Sweep.Point, bound: Bound,
    samples: [RunSample], sync: CameraSync = .free, periodMicros: Int = 0
  ) {
    self.transport = transport
    self.load = load
    self.launch = launch
    self.point = point
    self.bound = bound
    self.samples = samples
    self.sync = sync
    self.periodMicros = periodMicros
  }

  public var cameras: Int { point.cameras }
  public var repeats: Int { samples.count }
  /// Grids stitched in each repeat (every repeat runs the same number).
  public var grids: Int { samples.first?.grids ?? 0 }

  private func mean(_ value: (RunSample) -> Double) -> Double { Statistics.mean(samples.map(value)) }

  /// Seconds for all grids: mean over repeats (the seed's time_for_all_frames).
  public var secondsForAllGrids: Double { mean(\.seconds) }
  /// Their sample standard deviation (the seed's stddev_for_all_frames).
  public var secondsStandardDeviation: Double { Statistics.sampleStandardDeviation(samples.map(\.seconds)) }
  /// Seconds per grid (the seed's time_per_frame).
  public var secondsPerGrid: Double { grids > 0 ? secondsForAllGrids / Double(grids) : 0 }
  /// Grids per second (the seed's fps): grids ÷ mean seconds.
  public var fps: Double { secondsForAllGrids > 0 ? Double(grids) / secondsForAllGrids : 0 }
  /// Frames per second: mean frames ÷ mean seconds.
  public var framesPerSecond: Double {
    secondsForAllGrids > 0 ? mean { Double($0.frames) } / secondsForAllGrids : 0
  }
  /// Megabytes per second: mean megabytes ÷ mean seconds.
  public var megabytesPerSecond: Double {
    secondsForAllGrids > 0 ? mean(\.megabytes) / secondsForAllGrids : 0
  }
  // Latency percentiles are the mean of the per-repeat percentiles: percentiles of separate runs
  // cannot be pooled without their histograms. The maximum is the largest of any repeat.
  public var latencyP50Micros: Double { mean(\.latencyP50Micros) }
  public var latencyP99Micros: Double { mean(\.latencyP99Micros) }
  public var latencyMaxMicros: Double { samples.map(\.latencyMaxMicros).max() ?? 0 }
  /// CPU seconds per repeat (mean): the consumer process (with its threads), and its reaped children.
  public var consumerCPUSeconds: Double { mean(\.consumerCPUSeconds) }
  public var camerasCPUSeconds: Double { mean(\.camerasCPUSeconds) }
  public var setupSeconds: Double { mean(\.setupSeconds) }
  /// Context switches per frame moved (consumer and cameras, mean over repeats): where a
  /// transport's hand-over costs wake-ups, this shows it.
  public var switchesPerFrame: Double {
    let frames = mean { Double($0.frames) }
    return frames > 0 ? mean { Double($0.contextSwitches) } / frames : 0
  }
  /// Grids/s ÷ the bound's grids/s.
  public var efficiency: Double { bound.fps.isFinite && bound.fps > 0 ? fps / bound.fps : 0 }
}
