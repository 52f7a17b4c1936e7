import GridCore
import GridPosix
import GridTransports

/// `run --serve`: the live view of one run. Started after the cameras are launched (no server
/// thread exists before a fork), fed by the stitching thread through `LiveFeed`, finished with the
/// run's report; with `--linger` it stays up until Ctrl-C.
final class LiveSession {
  private let config: RunConfiguration
  private let canvas: GridCanvas
  private let supervisor: Supervisor
  private let started: UInt64
  /// What the view serves; the stitching thread's copies reach it through `GridCopies`.
  let feed: LiveFeed
  private let server: any WebView
  private let figuresPerSecond: Int

  /// nil unless `--serve` was given; throws a one-line runtime error when the address is taken
  /// or the program has no web views.
  static func start(
    _ config: RunConfiguration, webViews: WebViews?, canvas: GridCanvas, supervisor: Supervisor,
    startedAt started: UInt64
  ) throws -> LiveSession? {
    guard let address = config.serve else { return nil }
    guard let webViews else {
      throw GridError.runtime("--serve: this program was built without the web view")
    }
    return try LiveSession(
      config, webViews: webViews, address: address, canvas: canvas, supervisor: supervisor, startedAt: started
    )
  }

  private init(
    _ config: RunConfiguration, webViews: WebViews, address: ServeAddress, canvas: GridCanvas,
    supervisor: Supervisor, startedAt started: UInt64
  ) throws {
    self.config = config
    self.canvas = canvas
    self.supervisor = supervisor
    self.started = started
    let waiting = JSONObject.Value.array(
      (0..<config.cameras).map {
        Self.cameraState(
          camera: $0, state: "waiting", frames: 0, lastSequence: nil, pid: supervisor.pid(camera: $0))
      })
    var initial = RunReport.of(config, counts: nil, seconds: 0, setupSeconds: 0).json
    initial["camera_states"] = waiting
    initial["running"] = .bool(true)
    feed = LiveFeed(viewFPS: config.viewFPS, initialStats: initial.rendered())
    do {
      server = try webViews.live(feed, address.host, address.port, config.viewFPS)
    } catch {
      throw GridError.runtime("\(error)")
    }
    figuresPerSecond = webViews.figuresPerSecond
    Console.error("live view: \(server.url)")
  }

  // A run that ends by an error still closes its port.
  deinit { server.stop() }

  /// After each grid, on the stitching thread.
  func gridStitched(_ counts: ConsumerCounts, receiver: FrameReceiver, go: UInt64) {
    feed.gridStitched {
      let now = MonotonicClock.nanos()
      // Snapshots due so far; the final figures count those written.
      let report = RunReport.of(
        config, counts: counts, seconds: Double(now - go) / 1e9, setupSeconds: Double(go - started) / 1e9,
        snapshotsWritten: config.snapshotEvery > 0 ? counts.grids / config.snapshotEvery : 0,
        wakeups: receiver.wakeups, droppedFrames: receiver.droppedFrames,
        rejectedMessages: (receiver as? HubReceiver)?.rejectedMessages ?? 0,
        roster: (receiver as? HubReceiver)?.roster)
      var json = report.json
      json["camera_states"] = cameraStates(counts, roster: report.roster, sources: report.sources)
      json["running"] = .bool(true)
      json["viewers"] = .int(feed.viewerCount)
      return json.rendered()
    }
  }

  /// Every camera's state now, for the page.
  private func cameraStates(
    _ counts: ConsumerCounts, roster: HubRoster?, sources: [CameraSourceReport]
  ) -> JSONObject.Value {
    let names = roster?.cameras.map(\.name) ?? []
    return .array(
      (0..<config.cameras).map { camera in
        let taken = counts.framesTaken[camera]
        let state = counts.live[camera] ? (taken > 0 ? "live" : "waiting") : "lost"
        let sequence = counts.lastSequence[camera]
        return Self.cameraState(
          camera: camera, state: state, frames: taken, lastSequence: sequence >= 0 ? Int(sequence) : nil,
          pid: supervisor.pid(camera: camera), name: camera < names.count ? names[camera] : nil,
          source: camera < sources.count ? sources[camera] : nil)
      })
  }

  /// The run has ended: the page shows the final figures and summary. With `--linger` (and a run
  /// that was not stopped by a signal) the view stays up until a stop signal, which it returns.
  func finish(_ report: RunReport, counts: ConsumerCounts) -> Int32? {
    var json = report.json
    json["camera_states"] = cameraStates(counts, roster: report.roster, sources: report.sources)
    json["running"] = .bool(false)
    json["summary"] = .string(report.summary)
    feed.finish(canvas: canvas, figures: json.rendered())
    if config.linger && report.interruptedBy == nil {
      Console.error("live view: the run has ended; still serving \(server.url) until Ctrl-C")
      while StopSignals.pending == nil { MonotonicClock.sleep(micros: 100_000) }
      server.stop()
      return StopSignals.pending
    } else {
      // Open pages get a moment to receive the final figures before the server goes.
      MonotonicClock.sleep(micros: 1_000_000 / figuresPerSecond + 100_000)
    }
    server.stop()
    return nil
  }

  static func cameraState(
    camera: Int, state: String, frames: Int, lastSequence: Int?, pid: Int32?, name: String? = nil,
    source: CameraSourceReport? = nil
  ) -> JSONObject.Value {
    var object = JSONObject()
    object["camera"] = .int(camera)
    object["state"] = .string(state)
    // A lost camera's cell is the card; so is the tile of a camera whose live source is silent.
    let silent = source.map { $0.state == .noSignal || $0.state == .reconnecting } ?? false
    object["tile"] = .string(state == "lost" || silent ? "NO SIGNAL" : state)
    object["frames"] = .int(frames)
    object["last_sequence"] = lastSequence.map { .int($0) } ?? .null
    object["pid"] = pid.map { .int(Int($0)) } ?? .null
    if let name { object["name"] = .string(name) }  // an imagezmq sender's
    // A camera filming a file or stream: what, and the state its frames say it is in.
    if let source, case .object(let figures) = source.json {
      object["source"] = figures["source"] ?? .null
      object["source_state"] = figures["state"] ?? .null
      object["decode_errors"] = figures["decode_errors"] ?? .null
      object["reconnects"] = figures["reconnects"] ?? .null
      object["source_fps"] = figures["source_fps"] ?? .null
    }
    return .object(object)
  }
}

extension Supervisor {
  func pid(camera: Int) -> Int32? { children.pid(camera) }
}
