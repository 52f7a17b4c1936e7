import Foundation
import Testing

/// Two hosts made of Linux network namespaces: a veth pair between them, addresses from one
/// private /24 that exists only inside them, loopback up in each. Removed on every ending
/// (`deinit`), with whatever still runs inside. Traffic goes only between these two addresses.
final class TwoHosts {
  static let subnet = "10.99.77"
  let hub: String
  let cameras: String
  let hubLink: String
  let cameraLink: String
  var hubAddress: String { Self.subnet + ".1" }
  var cameraAddress: String { Self.subnet + ".2" }

  init() throws {
    let tag = "\(getpid() % 100_000)"
    hub = "gs-hub-\(tag)"
    cameras = "gs-cam-\(tag)"
    hubLink = "gsh\(tag)"
    cameraLink = "gsc\(tag)"
    let steps: [[String]] = [
      ["netns", "add", hub], ["netns", "add", cameras],
      ["link", "add", hubLink, "type", "veth", "peer", "name", cameraLink],
      ["link", "set", hubLink, "netns", hub], ["link", "set", cameraLink, "netns", cameras],
      ["-n", hub, "addr", "add", hubAddress + "/24", "dev", hubLink],
      ["-n", cameras, "addr", "add", cameraAddress + "/24", "dev", cameraLink],
      ["-n", hub, "link", "set", "lo", "up"], ["-n", cameras, "link", "set", "lo", "up"],
      ["-n", hub, "link", "set", hubLink, "up"], ["-n", cameras, "link", "set", cameraLink, "up"],
    ]
    do {
      for step in steps { try Self.ip(step) }
    } catch {
      remove()
      throw error
    }
  }

  deinit { remove() }

  /// Kills what runs inside, then deletes both namespaces (the veth pair goes with them).
  func remove() {
    for namespace in [hub, cameras] {
      if let pids = try? Self.output(["netns", "pids", namespace]) {
        for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
      }
      _ = try? Self.ip(["netns", "del", namespace])
    }
  }

  /// The command line that runs `arguments` inside `namespace`.
  func inside(_ namespace: String) -> [String] {
    ["/usr/sbin/ip", "netns", "exec", namespace, CLI.executable]
  }

  func linkDown() throws { try Self.ip(["-n", cameras, "link", "set", cameraLink, "down"]) }

  /// Shapes what the cameras send to `rate` (a token bucket, as a slow uplink is: packets past
  /// its 400 ms queue are dropped).
  func limitCameras(to rate: String, burst: String = "32kbit") throws {
    try Self.ip([
      "netns", "exec", cameras, "/usr/sbin/tc", "qdisc", "add", "dev", cameraLink, "root", "tbf", "rate",
      rate,
      "burst", burst, "latency", "400ms",
    ])
  }

  /// Whether the namespaces exist (for the check that they are gone).
  static func exists(_ name: String) -> Bool {
    ((try? output(["netns", "list"])) ?? "").split(separator: "\n").contains {
      $0.split(separator: " ").first.map(String.init) == name
    }
  }

  static func ip(_ arguments: [String]) throws {
    let outcome = try CLI.run(["/usr/sbin/ip"] + arguments, timeout: 10, program: "/usr/sbin/ip")
    try #require(outcome.status == 0, "ip \(arguments.joined(separator: " ")): \(outcome.stderr)")
  }

  static func output(_ arguments: [String]) throws -> String {
    try CLI.run(["/usr/sbin/ip"] + arguments, timeout: 10, program: "/usr/sbin/ip").stdout
  }
}

/// A hub and cameras on two hosts (network namespaces), over tcp. CI runs as root: failing to
/// make the namespaces is a failure, not a skip.
@Suite(.serialized) struct NetnsTests {
  @Test(.timeLimit(.minutes(2)))
  func fourCamerasOnAnotherHostVerified() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    var names: (String, String) = ("", "")
    do {
      let hosts = try TwoHosts()
      names = (hosts.hub, hosts.cameras)
      let listen = "\(hosts.hubAddress):7601"
      let hub = try CLI.Running(
        Array(hosts.inside(hosts.hub).dropFirst()) + [
          "run", "--transport", "zmq", "--listen", listen, "--insecure", "--cameras", "4", "--frames", "300",
          "--verify", "--json", "--output", output,
        ], program: "/usr/sbin/ip")
      var cameras: [CLI.Running] = []
      for _ in 0..<4 {
        cameras.append(
          try CLI.Running(
            Array(hosts.inside(hosts.cameras).dropFirst()) + ["camera", "--connect", "tcp://\(listen)"],
            program: "/usr/sbin/ip"))
      }
      let outcome = try #require(hub.wait(seconds: 60), "the hub hung")
      #expect(outcome.status == 0, "\(outcome.stderr)")
      let json = try CLI.json(outcome)
      #expect(json["verified_frames"] as? Int == 1200)
      #expect(outcome.stderr.contains("joined from tcp://\(hosts.cameraAddress):"), "\(outcome.stderr)")
      for camera in cameras { #expect(camera.wait(seconds: 5)?.status == 0) }
    }
    #expect(!TwoHosts.exists(names.0) && !TwoHosts.exists(names.1), "a namespace outlived the test")
  }

  /// The cameras' link goes down mid-run (no FIN, no RST: packets just stop): the hub names a
  /// camera within 1 s.
  @Test(.timeLimit(.minutes(2)))
  func linkDownIsNamedWithinASecond() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let hosts = try TwoHosts()
    let listen = "\(hosts.hubAddress):7602"
    let hub = try CLI.Running(
      Array(hosts.inside(hosts.hub).dropFirst()) + [
        "run", "--transport", "zmq", "--listen", listen, "--insecure", "--cameras", "4", "--frames", "100000",
        "--output", output,
      ], program: "/usr/sbin/ip")
    for _ in 0..<4 {
      _ = try CLI.Running(
        Array(hosts.inside(hosts.cameras).dropFirst()) + ["camera", "--connect", "tcp://\(listen)"],
        program: "/usr/sbin/ip")
    }
    let started = Date().addingTimeInterval(20)
    while hub.stderrTime(of: "all 4 here") == nil && Date() < started { usleep(20_000) }
    try #require(hub.stderrTime(of: "all 4 here") != nil, "the cameras did not join")
    usleep(1_000_000)
    try hosts.linkDown()
    let down = Date()
    let outcome = try #require(hub.wait(seconds: 10), "the hub hung after the link went down")
    #expect(outcome.status == 1, "\(outcome.stderr)")
    let pattern = #"camera \d \(tcp://10\.99\.77\.2:\d+\) lost: "#
    #expect(outcome.stderr.range(of: pattern, options: .regularExpression) != nil, "\(outcome.stderr)")
    let named = try #require(hub.stderrTime(of: ") lost: "))
    #expect(named.timeIntervalSince(down) < 1.0, "named after \(named.timeIntervalSince(down)) s")
  }

  /// A camera on a slow uplink is alive while its bytes arrive, though a whole frame (and the
  /// beat behind it) takes longer than `--camera-timeout`: 640×480 RGB frames (921 KB, 0.74 s
  /// each) at 10 Mbit/s and 320×240 grey ones at 5 Mbit/s lose no camera and verify. Before, the
  /// first was named lost ("no frame or heartbeat for 0.5 s"); the second, before ZMTP's
  /// heartbeats waited 3 s.
  @Test(
    .timeLimit(.minutes(2)),
    arguments: [("10mbit", ["640", "480", "3"], 8), ("5mbit", ["320", "240", "1"], 30)])
  func aSlowLinkLosesNoCamera(rate: String, geometry: [String], frames: Int) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let hosts = try TwoHosts()
    try hosts.limitCameras(to: rate)
    let listen = "\(hosts.hubAddress):7603"
    let hub = try CLI.Running(
      Array(hosts.inside(hosts.hub).dropFirst()) + [
        "run", "--transport", "zmq", "--listen", listen, "--insecure", "--cameras", "1", "--frames",
        "\(frames)",
        "--width", geometry[0], "--height", geometry[1], "--channels", geometry[2], "--verify", "--json",
        "--output", output,
      ], program: "/usr/sbin/ip")
    let camera = try CLI.Running(
      Array(hosts.inside(hosts.cameras).dropFirst()) + ["camera", "--connect", "tcp://\(listen)"],
      program: "/usr/sbin/ip")
    let outcome = try #require(hub.wait(seconds: 90), "the hub hung")
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let json = try CLI.json(outcome)
    #expect(json["verified_frames"] as? Int == frames)
    #expect((json["lost_cameras"] as? [Int])?.isEmpty == true, "\(outcome.stderr)")
    #expect(camera.wait(seconds: 10)?.status == 0)
  }

  /// Sixteen cameras sending JPEG over a link shaped to 1 Gbit/s (where 16 raw 320×240 frames
  /// cannot pass 100 grids a second): every frame verified, the hub decodes them all.
  @Test(.timeLimit(.minutes(2)))
  func jpegCamerasOverAGigabitLink() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let hosts = try TwoHosts()
    // A token bucket at 1 Gbit/s needs a burst of at least a tick's worth (HZ 250: 500 KB).
    try hosts.limitCameras(to: "1gbit", burst: "512kb")
    let listen = "\(hosts.hubAddress):7604"
    let hub = try CLI.Running(
      Array(hosts.inside(hosts.hub).dropFirst()) + [
        "run", "--transport", "zmq", "--listen", listen, "--insecure", "--frames", "300", "--load", "none",
        "--sync", "free", "--verify", "--json", "--output", output,
      ], program: "/usr/sbin/ip")
    var cameras: [CLI.Running] = []
    for _ in 0..<16 {
      cameras.append(
        try CLI.Running(
          Array(hosts.inside(hosts.cameras).dropFirst()) + [
            "camera", "--connect", "tcp://\(listen)", "--encode", "jpeg:80",
          ], program: "/usr/sbin/ip"))
    }
    let outcome = try #require(hub.wait(seconds: 90), "the hub hung")
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let json = try CLI.json(outcome)
    #expect(json["verified_frames"] as? Int == 300 * 16)
    #expect((json["lost_cameras"] as? [Int])?.isEmpty == true, "\(outcome.stderr)")
    for camera in cameras { #expect(camera.wait(seconds: 10)?.status == 0) }
  }
}
