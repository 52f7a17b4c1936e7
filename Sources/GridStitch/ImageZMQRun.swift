import GridCore
import GridTransports

/// `--transport imagezmq`: its limits, and the hub's settings from a run's configuration.
extension RunConfiguration {
  /// The most PUB senders one run subscribes to.
  public static let maxSubscriptions = 256

  /// What imagezmq accepts and refuses; `--subscribe` belongs to it alone.
  func validateImageZMQ() throws(GridError) {
    guard transport.traits.subscribes else {
      if !subscribe.isEmpty {
        throw .usage(
          "--subscribe is not accepted with --transport \(transport.rawValue): it reads imagezmq PUB senders "
            + "(--transport imagezmq)")
      }
      return
    }
    if verify {
      throw .usage(
        "--verify is not accepted with --transport imagezmq: imagezmq frames carry no sequence, capture time "
          + "or checksum to verify")
    }
    guard listen != nil || !subscribe.isEmpty else {
      throw .usage(
        "--transport imagezmq needs --listen tcp://ADDR:PORT (REQ senders connect to it) or "
          + "--subscribe tcp://HOST:PORT,… (PUB senders it connects to)")
    }
    if curveSecret != nil || allowFolder != nil {
      throw .usage(
        "--curve-secret and --allow are not accepted with --transport imagezmq: imagezmq senders cannot use "
          + "CURVE; listen on loopback, or beyond it with --insecure")
    }
    if let listen, !listen.isLoopback, !insecure {
      throw .usage(
        "--listen \(listen) is beyond loopback: imagezmq senders cannot use CURVE, so give --insecure to admit "
          + "anyone who can reach it")
    }
    if !subscribe.isEmpty && policy != .latest {
      throw .usage(
        "--subscribe is not accepted with --policy \(policy.rawValue): PUB senders never wait for the hub, "
          + "so use --policy latest")
    }
    guard subscribe.count <= Self.maxSubscriptions else {
      throw .usage("--subscribe names \(subscribe.count) senders: the limit is \(Self.maxSubscriptions)")
    }
    for endpoint in subscribe where !Self.isTCPEndpoint(endpoint) {
      throw .usage(
        "--subscribe \(endpoint) is not accepted: use tcp://HOST:PORT, for example tcp://127.0.0.1:5555 "
          + "or tcp://raspberrypi.local:5555 (port 1 to 65535)")
    }
  }

  /// "tcp://HOST:PORT": HOST a name or IPv4 address (letters, digits, '.', '-', '_') or
  /// "[IPv6]", PORT 1 to 65535.
  static func isTCPEndpoint(_ text: String) -> Bool {
    guard text.hasPrefix("tcp://") else { return false }
    let rest = text.dropFirst("tcp://".count)
    guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
      (1...65_535).contains(port)
    else { return false }
    let host = rest[..<colon]
    if host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2 {
      return host.dropFirst().dropLast().allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
    return !host.isEmpty && host.count <= 253
      && host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }
  }

  /// The imagezmq hub this run is.
  var imageZMQSettings: ImageZMQSettings {
    var settings = ImageZMQSettings(
      listen: listen?.tcpEndpoint, subscribe: subscribe, cameras: cameras, tile: geometry, policy: policy,
      log: { Console.error($0) })
    settings.listenIPv6 = listen?.host.contains(":") ?? false
    settings.cameraTimeout = cameraTimeout ?? ImageZMQSettings.defaultCameraTimeout
    settings.waitSeconds = waitSeconds
    return settings
  }
}

extension RunReport {
  /// imagezmq's figures in `--json`: what its frames cannot say is null, latency is measured
  /// from arrival (`arrival_latency_*`), and the senders are listed.
  func amendForHub(_ object: inout JSONObject, _ roster: HubRoster) {
    for key in [
      "latency_p50_us", "latency_p99_us", "latency_max_us", "capture_spread_p50_us", "capture_spread_p99_us",
      "load", "launch", "sync", "period_us",
    ] {
      object[key] = .null
    }
    object["arrival_latency_p50_us"] = .double(latencyP50Micros)
    object["arrival_latency_p99_us"] = .double(latencyP99Micros)
    object["arrival_latency_max_us"] = .double(latencyMaxMicros)
    object["endpoints"] = .array(roster.endpoints.map { .string($0) })
    object["senders"] = .array(
      roster.cameras.map { record in
        var sender = JSONObject()
        sender["camera"] = .int(record.camera)
        sender["name"] = .string(record.name)
        sender["peer"] = .string(record.peer)
        sender["state"] = .string(record.state.rawValue)
        sender["frames"] = .int(record.frames)
        sender["losses"] = .int(record.losses)
        sender["returns"] = .int(record.returns)
        sender["rejected"] = .int(record.rejected)
        return .object(sender)
      })
    object["ignored_senders"] = .array(roster.ignored.map { .string($0) })
    object["ignored_senders_count"] = .int(roster.ignoredCount)
  }

  /// imagezmq's summary: the senders and what happened to them, latency from arrival.
  func hubSummary(_ roster: HubRoster) -> String {
    let fixed = Format.fixed
    var lines: [String] = []
    if let interruptedBy {
      lines.append("interrupted by signal \(interruptedBy): summary of the grids done so far")
    }
    lines.append(
      "transport   imagezmq (policy \(policy.rawValue)) at \(roster.endpoints.joined(separator: ", "))")
    lines.append(
      "cameras     \(cameras) × \(geometry.width)x\(geometry.height)x\(geometry.channels) (a tile per sender name)"
    )
    for record in roster.cameras {
      var line =
        "  \(record.camera)  '\(record.name)' from \(record.peer): \(record.frames) frames, \(record.state.rawValue)"
      if record.losses > 0 { line += ", lost \(record.losses)×" }
      if record.returns > 0 { line += ", came back \(record.returns)×" }
      if record.rejected > 0 { line += ", \(record.rejected) messages rejected" }
      lines.append(line)
    }
    if roster.ignoredCount > 0 {
      lines.append(
        "ignored     \(roster.ignoredCount) sender\(roster.ignoredCount == 1 ? "" : "s") beyond --cameras: "
          + roster.ignored.map { "'\($0)'" }.joined(separator: ", "))
    }
    lines.append("grids       \(grids)   frames \(frames)")
    lines.append("seconds     \(fixed(seconds, 3))   set-up \(fixed(setupSeconds, 3))")
    lines.append(
      "rate        \(fixed(fps, 1)) grids/s   \(fixed(framesPerSecond, 0)) frames/s   \(fixed(megabytesPerSecond, 1)) MB/s"
    )
    lines.append(
      "latency     arrival → stitched p50 \(fixed(latencyP50Micros, 0)) µs   p99 \(fixed(latencyP99Micros, 0)) µs   "
        + "max \(fixed(latencyMaxMicros, 0)) µs (imagezmq frames carry no capture time)")
    lines.append(
      "rejected    \(rejectedMessages) messages   dropped \(droppedFrames) frames (a newer one came)")
    lines.append(
      "snapshots   \(snapshotsWritten) written"
        + (snapshotsLost > 0 ? ", \(snapshotsLost) lost (the disk was behind, or the run stopped)" : ""))
    lines.append("cpu         hub \(fixed(consumerCPUSeconds, 2)) s")
    if let line = recordingLine { lines.append(line) }
    if let latestSnapshot { lines.append("last grid   \(latestSnapshot)") }
    return lines.joined(separator: "\n")
  }
}
