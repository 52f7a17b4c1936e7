import GridCore
import GridTransports

/// What one run measured. `json` is a contract: its keys are pinned by tests.
public struct RunReport: Sendable {
  public var transport: TransportKind
  public var launch: LaunchMode
  public var policy: DeliveryPolicy
  public var load: CameraLoad
  public var cameras: Int
  public var geometry: FrameGeometry
  /// Grids stitched.
  public var grids: Int
  /// Frames moved: grids × live cameras.
  public var frames: Int
  public var seconds: Double
  public var setupSeconds: Double
  public var latencyP50Micros: Double
  public var latencyP99Micros: Double
  public var latencyMaxMicros: Double
  /// Per grid, newest − oldest capture time among its tiles (p50, p99).
  public var captureSpreadP50Micros: Double
  public var captureSpreadP99Micros: Double
  public var verifiedFrames: Int
  public var snapshotsWritten: Int
  /// Snapshots due but not written: skipped while the writer was behind, or abandoned in flight
  /// when the run stopped early. Written + lost = grids ÷ `--snapshot-every`.
  public var snapshotsLost: Int
  public var wakeups: Int
  public var droppedFrames: Int
  public var lostCameras: [Int]
  public var consumerCPUSeconds: Double
  public var camerasCPUSeconds: Double
  /// Context switches (voluntary and involuntary) of the consumer's threads and its reaped
  /// cameras, over the whole process, set-up included: the cost of hand-over made visible.
  public var contextSwitches: Int = 0
  public var latestSnapshot: String?
  /// The stop signal that ended the run early, if any.
  public var interruptedBy: Int32?
  /// The stop signal that ended a `--linger` view after the run had completed.
  public var viewEndedBy: Int32?
  public var sync: CameraSync = .free
  /// Microseconds between `genlock` triggers (0 under `free`).
  public var periodMicros = 0
  /// shm-ring slots per camera (0 for other transports).
  public var slots = 0
  /// Messages a hub dropped as malformed, from peers that had not joined (or, for imagezmq,
  /// from any sender): counted, never used.
  public var rejectedMessages = 0
  /// The largest uncertainty of a remote camera's clock offset (half its best ping round trip).
  public var clockUncertaintyMicros = 0.0
  /// Whether the cameras were remote (a hub's `--listen`): their CPU is not ours to count.
  public var remote = false
  /// A hub's cameras the run did not start (imagezmq senders): who joined, was lost, came back.
  /// Its frames carry no capture time, so latency is from arrival (see `amendForHub`).
  public var roster: HubRoster?
  /// `--record`: the file, the grids in it, and the grids due that the encoder was too far
  /// behind to take.
  public var recording: String?
  public var recordedFrames = 0
  public var recordingDropped = 0
  /// CPU time of the recording's encoding thread (also within `consumerCPUSeconds`).
  public var recordingCPUSeconds = 0.0
  /// Each camera's source and its figures, when any camera films one (`sources`).
  public var sources: [CameraSourceReport] = []

  public var fps: Double { seconds > 0 ? Double(grids) / seconds : 0 }
  public var framesPerSecond: Double { seconds > 0 ? Double(frames) / seconds : 0 }
  public var megabytesPerSecond: Double {
    seconds > 0 ? Double(frames) * Double(geometry.bytesPerFrame) / seconds / 1e6 : 0
  }

  /// The keys every `--json` output has, in this order.
  public static let contractKeys = [
    "transport", "load", "cameras", "grids", "frames", "seconds", "setup_seconds", "fps", "frames_per_s",
    "mb_per_s", "latency_p50_us", "latency_p99_us", "latency_max_us", "verified_frames", "snapshots_written",
    "snapshots_lost",
  ]

  public var json: JSONObject {
    var object = JSONObject()
    object["transport"] = .string(transport.rawValue)
    object["load"] = .string(load.rawValue)
    object["cameras"] = .int(cameras)
    object["grids"] = .int(grids)
    object["frames"] = .int(frames)
    object["seconds"] = .double(seconds)
    object["setup_seconds"] = .double(setupSeconds)
    object["fps"] = .double(fps)
    object["frames_per_s"] = .double(framesPerSecond)
    object["mb_per_s"] = .double(megabytesPerSecond)
    object["latency_p50_us"] = .double(latencyP50Micros)
    object["latency_p99_us"] = .double(latencyP99Micros)
    object["latency_max_us"] = .double(latencyMaxMicros)
    object["verified_frames"] = .int(verifiedFrames)
    object["snapshots_written"] = .int(snapshotsWritten)
    object["snapshots_lost"] = .int(snapshotsLost)
    object["launch"] = .string(launch.rawValue)
    object["policy"] = .string(policy.rawValue)
    object["width"] = .int(geometry.width)
    object["height"] = .int(geometry.height)
    object["channels"] = .int(geometry.channels)
    object["capture_spread_p50_us"] = .double(captureSpreadP50Micros)
    object["capture_spread_p99_us"] = .double(captureSpreadP99Micros)
    object["wakeups"] = .int(wakeups)
    object["dropped_frames"] = .int(droppedFrames)
    object["lost_cameras"] = .array(lostCameras.map { .int($0) })
    object["consumer_cpu_s"] = .double(consumerCPUSeconds)
    object["cameras_cpu_s"] = .double(camerasCPUSeconds)
    object["context_switches"] = .int(contextSwitches)
    object["latest_snapshot"] = latestSnapshot.map { .string($0) } ?? .null
    object["interrupted_by_signal"] = interruptedBy.map { .int(Int($0)) } ?? .null
    object["sync"] = .string(sync.rawValue)
    object["period_us"] = .int(periodMicros)
    object["slots"] = .int(slots)
    object["rejected_messages"] = .int(rejectedMessages)
    object["clock_uncertainty_us"] = .double(clockUncertaintyMicros)
    object["recording"] = recording.map { .string($0) } ?? .null
    object["recorded_frames"] = .int(recordedFrames)
    object["recording_dropped"] = .int(recordingDropped)
    object["recording_cpu_s"] = .double(recordingCPUSeconds)
    object["sources"] = .array(sources.map(\.json))
    if let roster { amendForHub(&object, roster) }
    return object
  }

  /// The human summary.
  public var summary: String {
    func fixed(_ value: Double, _ digits: Int) -> String {
      var scaled = value
      for _ in 0..<digits { scaled *= 10 }
      let rounded = Int64(scaled.rounded())
      var text = String(abs(rounded))
      while text.count <= digits { text = "0" + text }
      let point = text.index(text.endIndex, offsetBy: -digits)
      let sign = rounded < 0 ? "-" : ""
      return digits == 0 ? sign + text : sign + text[..<point] + "." + text[point...]
    }
    if let roster { return hubSummary(roster) }
    var lines: [String] = []
    if let interruptedBy {
      lines.append("interrupted by signal \(interruptedBy): summary of the grids done so far")
    }
    lines.append(
      "transport   \(transport.rawValue) (launch \(launch.rawValue), policy \(policy.rawValue), load \(load.rawValue))"
    )
    lines.append("cameras     \(cameras) × \(geometry.width)x\(geometry.height)x\(geometry.channels)")
    lines.append(
      sync == .genlock ? "sync        genlock, a trigger every \(periodMicros) µs" : "sync        free")
    lines.append("grids       \(grids)   frames \(frames)")
    lines.append("seconds     \(fixed(seconds, 3))   set-up \(fixed(setupSeconds, 3))")
    lines.append(
      "rate        \(fixed(fps, 1)) grids/s   \(fixed(framesPerSecond, 0)) frames/s   \(fixed(megabytesPerSecond, 1)) MB/s"
    )
    lines.append(
      "latency     p50 \(fixed(latencyP50Micros, 0)) µs   p99 \(fixed(latencyP99Micros, 0)) µs   max \(fixed(latencyMaxMicros, 0)) µs"
    )
    lines.append(
      "spread      p50 \(fixed(captureSpreadP50Micros, 0)) µs   p99 \(fixed(captureSpreadP99Micros, 0)) µs (newest − oldest capture in a grid)"
    )
    lines.append("verified    \(verifiedFrames) frames")
    lines.append(
      "snapshots   \(snapshotsWritten) written"
        + (snapshotsLost > 0 ? ", \(snapshotsLost) lost (the disk was behind, or the run stopped)" : ""))
    lines.append(
      "cpu         consumer \(fixed(consumerCPUSeconds, 2)) s   cameras \(fixed(camerasCPUSeconds, 2)) s")
    if transport.traits.countsWakeups {
      lines.append("wake-ups    \(wakeups)   dropped \(droppedFrames)")
    } else if policy == .latest {
      lines.append("dropped     \(droppedFrames)")
    }
    if remote {
      lines.append("remote      clocks mapped within ±\(fixed(clockUncertaintyMicros, 0)) µs")
    }
    if rejectedMessages > 0 {
      lines.append("rejected    \(rejectedMessages) malformed messages from strangers")
    }
    if !lostCameras.isEmpty {
      lines.append(
        "lost        \(lostCameras.count) cameras: \(lostCameras.map(String.init).joined(separator: ", "))")
    }
    if let line = recordingLine { lines.append(line) }
    for (index, source) in sources.enumerated() {
      lines.append((index == 0 ? "sources     " : "            ") + source.summaryLine)
    }
    if let latestSnapshot { lines.append("last grid   \(latestSnapshot)") }
    return lines.joined(separator: "\n")
  }

  /// The summary's line for `--record`; nil without it.
  var recordingLine: String? {
    guard let recording else { return nil }
    return "recording   \(TerminalText.escaped(recording)): \(recordedFrames) grids"
      + (recordingDropped > 0 ? ", \(recordingDropped) left out (the encoder was behind)" : "")
      + ", encoder \(Format.fixed(recordingCPUSeconds, 2)) s cpu"
  }
}
