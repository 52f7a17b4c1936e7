import GridCore
import GridPosix
import GridTransports

/// The best any transport could do for one load on this machine, measured in the same invocation
/// as the runs it is compared with. `efficiency` = achieved grids/s ÷ `fps`.
public struct Bound: Sendable, Equatable {
  public var load: CameraLoad
  /// Grids per second.
  public var fps: Double
  /// How it was obtained, in words, for the table and the JSON.
  public var basis: String

  public init(load: CameraLoad, fps: Double, basis: String) {
    self.load = load
    self.fps = fps
    self.basis = basis
  }

  /// `io`: every camera sleeps in parallel, so a grid can come no faster than one sleep.
  public static func io(sleepSeconds: Double) -> Double {
    sleepSeconds > 0 ? 1 / sleepSeconds : .infinity
  }

  /// `cpu`: cores × 10⁶ / (cameras × work-us) — all the spinning a grid needs, spread over every
  /// core. A camera is one thread, so fewer cameras than cores use only `cameras` cores.
  public static func cpu(cores: Int, cameras: Int, workMicros: Int) -> Double {
    guard cameras > 0, workMicros > 0 else { return .infinity }
    return Double(min(max(cores, 1), cameras)) * 1e6 / (Double(cameras) * Double(workMicros))
  }

  /// `genlock`: one grid per trigger.
  public static func genlock(periodMicros: Int) -> Double {
    periodMicros > 0 ? 1e6 / Double(periodMicros) : .infinity
  }

  /// `none`: the one copy every transport must make (each frame into its tile), at single-thread
  /// copy bandwidth.
  public static func none(bytesPerSecond: Double, bytesPerGrid: Int) -> Double {
    bytesPerGrid > 0 ? bytesPerSecond / Double(bytesPerGrid) : .infinity
  }
}

/// Measures the machine for `Bound`: the real length of a `work-us` sleep (once), and the copy
/// bandwidth for each frame shape and camera count asked about (once each).
public struct BoundMeter {
  public let cores: Int
  public let workMicros: Int
  /// Microseconds between `genlock` triggers.
  public let periodMicros: Int
  private var sleepSeconds: Double?
  private var copyBandwidth: [CopyShape: Double] = [:]

  private struct CopyShape: Hashable {
    var geometry: FrameGeometry
    var cameras: Int
  }

  public init(cores: Int = ResourceUsage.onlineCores, workMicros: Int, periodMicros: Int? = nil) {
    self.cores = cores
    self.workMicros = workMicros
    self.periodMicros = periodMicros ?? workMicros
  }

  /// Under `genlock` the trigger rate, unless the load's own `free` bound is lower where the
  /// trigger does not replace the load: `cpu` (the spin follows each trigger) and `none` (the
  /// copy). At `io` the trigger is the sleep, so 10⁶ / period is the bound.
  public mutating func bound(load: CameraLoad, cameras: Int, geometry: FrameGeometry, sync: CameraSync)
    -> Bound
  {
    let free = bound(load: load, cameras: cameras, geometry: geometry)
    guard sync == .genlock else { return free }
    let trigger = Bound(
      load: load, fps: Bound.genlock(periodMicros: periodMicros),
      basis: "genlock: one trigger every \(periodMicros) µs")
    if load == .io || trigger.fps <= free.fps { return trigger }
    return free
  }

  public mutating func bound(load: CameraLoad, cameras: Int, geometry: FrameGeometry) -> Bound {
    // With no work per frame the cameras only render and hand over: the copy is the limit.
    if workMicros == 0 || load == .none {
      let bandwidth = bytesPerSecond(geometry: geometry, cameras: cameras)
      let bytes = cameras * geometry.bytesPerFrame
      return Bound(
        load: load, fps: Bound.none(bytesPerSecond: bandwidth, bytesPerGrid: bytes),
        basis: "single-thread tile copy \(Format.fixed(bandwidth / 1e9, 2)) GB/s ÷ \(bytes) bytes per grid")
    }
    switch load {
    case .io:
      let seconds = medianSleepSeconds()
      return Bound(
        load: load, fps: Bound.io(sleepSeconds: seconds),
        basis: "median \(workMicros) µs sleep took \(Format.fixed(seconds * 1e6, 1)) µs")
    case .cpu:
      return Bound(
        load: load, fps: Bound.cpu(cores: cores, cameras: cameras, workMicros: workMicros),
        basis: "\(min(cores, cameras)) cores × 10⁶ / (\(cameras) cameras × \(workMicros) µs)")
    case .none:
      preconditionFailure("handled above")
    }
  }

  /// Median real duration of one `work-us` sleep: up to 201 samples, at least 5, about 0.3 s.
  public mutating func medianSleepSeconds() -> Double {
    if let sleepSeconds { return sleepSeconds }
    var samples: [Double] = []
    let start = MonotonicClock.nanos()
    while samples.count < 201 && (samples.count < 5 || MonotonicClock.nanos() &- start < 300_000_000) {
      let before = MonotonicClock.nanos()
      MonotonicClock.sleep(micros: workMicros)
      samples.append(Double(MonotonicClock.nanos() &- before) / 1e9)
    }
    let median = Statistics.median(samples)
    sleepSeconds = median
    return median
  }

  /// Single-thread bandwidth of stitching: every camera's tile copied row by row into a
  /// grid-sized canvas (the consumer's own copy, `GridCanvas.place`). The fastest of at least 5
  /// passes after a warm-up, about 0.2 s in all. Each pass reads the next tiles of a 64 MiB pool,
  /// so sources come from memory, not from a cache the previous pass warmed.
  public mutating func bytesPerSecond(geometry: FrameGeometry, cameras: Int) -> Double {
    let shape = CopyShape(geometry: geometry, cameras: cameras)
    if let known = copyBandwidth[shape] { return known }
    let canvas = GridCanvas(layout: GridLayout(cameras: cameras), frame: geometry)
    let frameBytes = max(geometry.bytesPerFrame, 1)
    let tiles = max(cameras, (64 << 20) / frameBytes)
    let sources = UnsafeMutableRawBufferPointer.allocate(byteCount: tiles * frameBytes, alignment: 64)
    defer { sources.deallocate() }
    sources.initializeMemory(as: UInt8.self, repeating: 0x5A)
    var next = 0
    func pass() {
      for camera in 0..<cameras {
        let tile = (next + camera) % tiles
        canvas.place(
          camera: camera,
          pixels: UnsafeRawBufferPointer(rebasing: sources[tile * frameBytes..<(tile + 1) * frameBytes]))
      }
      next = (next + cameras) % tiles
    }
    pass()
    var best = UInt64.max
    var passes = 0
    let start = MonotonicClock.nanos()
    while passes < 5 || (MonotonicClock.nanos() &- start < 200_000_000 && passes < 10_000) {
      let before = MonotonicClock.nanos()
      pass()
      best = min(best, max(MonotonicClock.nanos() &- before, 1))
      passes += 1
    }
    let bandwidth = Double(cameras * frameBytes) / (Double(best) / 1e9)
    copyBandwidth[shape] = bandwidth
    return bandwidth
  }
}
