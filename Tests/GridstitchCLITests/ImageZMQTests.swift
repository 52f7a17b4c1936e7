import Foundation
import GridCore
import GridImage
import Testing

/// `--transport imagezmq` against real, unchanged imagezmq senders (PyPI imagezmq 1.2.0 and
/// pyzmq, in the venv `make test` makes), on loopback ports chosen free by the test.
@Suite(.serialized) struct ImageZMQTests {
  static let tile = FrameGeometry(width: 320, height: 240, channels: 3)

  /// Starts `name` with `arguments` and waits until the hub says it joined as `camera`.
  private func join(_ hub: HubRun, _ name: String, camera: Int, _ arguments: [String]) throws -> Peer {
    let peer = try Peer.sender(["--name", name] + arguments)
    let line = hub.awaitLine(containing: "'\(name)' from 127.0.0.1 joined as camera \(camera)")
    try #require(line != nil, "\(name) did not join as camera \(camera): \(hub.stderrLines)")
    return peer
  }

  /// The path of the first numbered snapshot (`grid-NNNNNN.png`) written in `folder`, waiting
  /// up to `seconds` for one.
  private func awaitSnapshot(in folder: String, seconds: Double = 60) -> String? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
      if let name = names.filter({ $0.hasPrefix("grid-0") && $0.hasSuffix(".png") }).sorted().first {
        return folder + "/" + name
      }
      usleep(50_000)
    }
    return nil
  }

  @Test(.timeLimit(.minutes(2)))
  func fourSendersBecomeTilesInTheirColoursWithTheirNames() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let endpoint = "tcp://127.0.0.1:\(try FreePort.pick())"
    let hub = try HubRun([
      "run", "--transport", "imagezmq", "--listen", endpoint, "--cameras", "4", "--channels", "3",
      "--frames", "1000000", "--snapshot-every", "10", "--json", "--output", output,
    ])
    // One at a time, so that tiles go in a known order: names get tiles in order of arrival.
    let senders = [
      try join(
        hub, "grey-pi", camera: 0,
        ["--connect", endpoint, "--height", "240", "--width", "320", "--bgr", "160"]),
      try join(
        hub, "red-pi", camera: 1,
        ["--connect", endpoint, "--height", "480", "--width", "640", "--channels", "3", "--bgr", "0,0,255"]),
      try join(
        hub, "teal-laptop", camera: 2,
        ["--connect", endpoint, "--height", "480", "--width", "640", "--channels", "3", "--bgr", "200,128,0"]),
      try join(
        hub, "yellow-jpg", camera: 3,
        [
          "--connect", endpoint, "--height", "360", "--width", "640", "--channels", "3", "--bgr", "0,255,255",
          "--jpeg",
        ]),
    ]
    defer { senders.forEach { $0.stop() } }
    // A fifth name finds every tile taken: it gets its OK and nothing more.
    let extra = try Peer.sender(["--name", "extra-pi", "--connect", endpoint, "--frames", "3"])
    defer { extra.stop() }
    #expect(hub.awaitLine(containing: "'extra-pi' from 127.0.0.1 is ignored") != nil, "\(hub.stderrLines)")
    let extraEnd = try #require(extra.wait(seconds: 30), "the ignored sender hung")
    #expect(extraEnd.stdout.contains("sent 3 replies 3"), "\(extraEnd)")

    // A snapshot (every tenth grid) is written once ten grids are stitched; then Ctrl-C.
    let snapshot = try #require(awaitSnapshot(in: output), "no snapshot: \(hub.stderrLines)")
    let outcome = try #require(hub.interrupt(), "the hub did not stop on SIGINT")
    #expect(outcome.status == 130, "\(outcome.stderr)")

    let grid = try GridPicture.read(snapshot, channels: 3)
    #expect(grid.width == 640 && grid.height == 480)
    let tile = Self.tile
    func at(_ camera: Int, _ x: Int, _ y: Int) -> [UInt8] {
      GridPicture.pixel(grid, camera: camera, cameras: 4, tile: tile, x: x, y: y)
    }
    // Arrays are exact: grey 160 in three channels; OpenCV's BGR red is red, not blue.
    #expect(at(0, 160, 120) == [160, 160, 160])
    #expect(at(1, 160, 120) == [255, 0, 0])
    #expect(at(1, 300, 230) == [255, 0, 0])
    #expect(at(2, 160, 120) == [0, 128, 200])
    // The JPEG is yellow, fitted 320×180 between black bars of 30 rows.
    let yellow = at(3, 160, 120)
    #expect(yellow[0] >= 245 && yellow[1] >= 245 && yellow[2] <= 12, "\(yellow)")
    #expect(at(3, 160, 5) == [0, 0, 0] && at(3, 300, 235) == [0, 0, 0])
    let inside = at(3, 300, 31)
    #expect(inside[0] >= 245 && inside[1] >= 245, "\(inside)")
    for (camera, name) in ["grey-pi", "red-pi", "teal-laptop", "yellow-jpg"].enumerated() {
      #expect(
        GridPicture.hasLabel(grid, camera: camera, cameras: 4, tile: tile, name: name), "\(name)'s label")
    }

    let json = try CLI.json(outcome)
    #expect(json["transport"] as? String == "imagezmq")
    let listed = try #require(json["senders"] as? [[String: Any]])
    #expect(listed.map { $0["name"] as? String } == ["grey-pi", "red-pi", "teal-laptop", "yellow-jpg"])
    #expect(listed.map { $0["camera"] as? Int } == [0, 1, 2, 3])
    #expect(listed.allSatisfy { $0["state"] as? String == "live" && $0["peer"] as? String == "127.0.0.1" })
    #expect(json["ignored_senders"] as? [String] == ["extra-pi"])
    #expect(json["rejected_messages"] as? Int == 0)
    // What imagezmq frames cannot say is not made up: no capture latency, latency from arrival.
    #expect(json["latency_p50_us"] is NSNull)
    #expect((json["arrival_latency_p50_us"] as? Double ?? -1) >= 0)
    #expect((json["grids"] as? Int ?? 0) >= 10)
  }

  @Test(.timeLimit(.minutes(2)))
  func hostileMessagesAreRejectedAndTheRunFinishes() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let endpoint = "tcp://127.0.0.1:\(try FreePort.pick())"
    let hub = try HubRun([
      "run", "--transport", "imagezmq", "--listen", endpoint, "--cameras", "1", "--frames", "20",
      "--wait-seconds", "100", "--json", "--output", output,
    ])
    try #require(hub.awaitLine(containing: "waiting up to 100 s for 1 imagezmq sender") != nil)
    let before = try #require(ProcessMemory.peakVirtualKiB(hub.pid))

    let started = Date()
    let hostile = try Peer("imagezmq_hostile.py", [endpoint, "20"])
    let ended = try #require(hostile.wait(seconds: 90), "the hostile peer hung")
    let floodSeconds = Date().timeIntervalSince(started)
    #expect(ended.status == 0, "\(ended.stderr)")
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(ended.stdout.utf8)) as? [String: Any], "\(ended)")
    let cases = try #require(report["cases"] as? [[String: Any]])
    #expect(cases.count >= 20)
    for item in cases { #expect(item["reply"] as? String == "OK", "\(item["case"] ?? "?") got no OK") }
    // A 1 GiB frame announced by hand: libzmq closes the connection before allocating for it.
    #expect(report["claim_closed"] as? Bool == true)
    let after = try #require(ProcessMemory.peakVirtualKiB(hub.pid))
    #expect(after - before < 512 * 1024, "the hub's peak virtual size grew \(after - before) KiB")
    #expect(report["burst_replies"] as? Int == 20)

    // The hub is still there: a good sender joins and the run finishes.
    let good = try Peer.sender(["--name", "good", "--connect", endpoint])
    defer { good.stop() }
    let outcome = try #require(hub.wait(seconds: 60), "the hub hung")
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let json = try CLI.json(outcome)
    #expect(json["grids"] as? Int == 20)
    #expect(json["rejected_messages"] as? Int == cases.count + 20)
    #expect((json["senders"] as? [[String: Any]])?.map { $0["name"] as? String } == ["good"])
    // A peer's text is escaped: no control byte, no bidi override, no forged line on stderr.
    let forbidden = outcome.stderr.unicodeScalars.filter {
      ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}"
    }
    #expect(forbidden.isEmpty, "raw control characters on stderr: \(forbidden.map(\.value))")
    #expect(!outcome.stderr.contains("\ngridstitch: camera 9 ('x') lost: forged"))
    #expect(outcome.stderr.contains(#"pi\x1B]0;owned\x07\x1B[2J\x0Agridstitch: camera 9"#))
    // At most two lines a second however many names the messages claim (each case is a new
    // one), the first said at once; every message is counted in `rejected_messages` above.
    let lines = outcome.stderr.split(separator: "\n").filter { $0.contains("dropped a message") }
    #expect(
      lines.count >= 1 && lines.count <= 2 * (Int(floodSeconds.rounded(.up)) + 1), "\(lines.count) lines")
    #expect(
      lines.first?.contains("is not accepted") == true || lines.first?.contains("bytes for shape") == true)
  }

  @Test(.timeLimit(.minutes(2)))
  func aSilentSenderTurnsNoSignalAndComesBack() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let endpoint = "tcp://127.0.0.1:\(try FreePort.pick())"
    let port = try FreePort.pick()
    let base = "http://127.0.0.1:\(port)"
    let hub = try HubRun([
      "run", "--transport", "imagezmq", "--listen", endpoint, "--cameras", "2", "--frames", "1000000",
      "--on-camera-loss", "continue", "--camera-timeout", "0.5", "--serve", "127.0.0.1:\(port)", "--json",
      "--output", output,
    ])
    let steady = try join(hub, "steady", camera: 0, ["--connect", endpoint, "--bgr", "200"])
    defer { steady.stop() }
    var flaky = try join(hub, "flaky", camera: 1, ["--connect", endpoint, "--bgr", "90"])
    defer { flaky.stop() }
    try HTTP.await(base + "/stats.json") { ((try? HTTP.json($0))?["grids"] as? Int ?? 0) > 0 }

    func state(of camera: Int) throws -> (state: String, frames: Int, name: String)? {
      let states = try HTTP.json(try HTTP.request(base + "/stats.json"))["camera_states"] as? [[String: Any]]
      guard let entry = states?[camera] else { return nil }
      return (entry["state"] as? String ?? "", entry["frames"] as? Int ?? 0, entry["name"] as? String ?? "")
    }
    func tilePixel(_ camera: Int) throws -> UInt8 {
      let png = try HTTP.request(base + "/snapshot.png")
      let image = try GridPicture.decode(png.body, channels: 1)
      return GridPicture.pixel(
        image, camera: camera, cameras: 2, tile: FrameGeometry(width: 320, height: 240, channels: 1), x: 5,
        y: 230
      )[0]
    }
    func poll(seconds: Double, _ until: () throws -> Bool) rethrows -> Bool {
      let deadline = Date().addingTimeInterval(seconds)
      while Date() < deadline {
        if try until() { return true }
        usleep(100_000)
      }
      return false
    }
    #expect(try state(of: 1)?.name == "flaky")
    #expect(try tilePixel(1) == 90)

    flaky.kill()
    #expect(hub.awaitLine(containing: "camera 1 ('flaky' from 127.0.0.1) lost: no frame for 0.5 s") != nil)
    #expect(try poll(seconds: 20) { try state(of: 1)?.state == "lost" })
    // The NO SIGNAL card's ground is grey 40; the other tile goes on.
    #expect(try poll(seconds: 20) { try tilePixel(1) == 40 })
    let steadyFrames = try #require(try state(of: 0)?.frames)
    #expect(try poll(seconds: 20) { try (state(of: 0)?.frames ?? 0) > steadyFrames })

    // Restarted under the same name, it is back in its tile.
    flaky = try Peer.sender(["--name", "flaky", "--connect", endpoint, "--bgr", "90"])
    #expect(hub.awaitLine(containing: "camera 1 ('flaky' from 127.0.0.1) is back") != nil)
    #expect(try poll(seconds: 20) { try state(of: 1)?.state == "live" })
    #expect(try poll(seconds: 20) { try tilePixel(1) == 90 })

    let outcome = try #require(hub.interrupt(), "the hub did not stop on SIGINT")
    #expect(outcome.status == 130, "\(outcome.stderr)")
    let json = try CLI.json(outcome)
    let listed = try #require(json["senders"] as? [[String: Any]])
    #expect(listed.count == 2)
    #expect(listed.last?["name"] as? String == "flaky")
    #expect(listed.last?["losses"] as? Int == 1)
    #expect(listed.last?["returns"] as? Int == 1)
    #expect(listed.last?["state"] as? String == "live")
    #expect(listed.first?["losses"] as? Int == 0)
    #expect(json["lost_cameras"] as? [Int] == [1])
  }

  @Test(.timeLimit(.minutes(1)))
  func whenEverySenderIsLostTheHubWaitsForOneToComeBack() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let endpoint = "tcp://127.0.0.1:\(try FreePort.pick())"
    let hub = try HubRun([
      "run", "--transport", "imagezmq", "--listen", endpoint, "--cameras", "1", "--frames", "1000000",
      "--on-camera-loss", "continue", "--camera-timeout", "0.3", "--snapshot-every", "1", "--json",
      "--output", output,
    ])
    var pi = try join(hub, "lone-pi", camera: 0, ["--connect", endpoint])
    defer { pi.stop() }
    pi.kill()
    #expect(hub.awaitLine(containing: "every imagezmq sender is lost: waiting for one to send again") != nil)
    #expect(hub.process.isRunning)
    pi = try Peer.sender(["--name", "lone-pi", "--connect", endpoint])
    #expect(hub.awaitLine(containing: "camera 0 ('lone-pi' from 127.0.0.1) is back") != nil)
    // Stitching goes on: grids are written again.
    func newest() -> Int {
      ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []).compactMap {
        $0.hasPrefix("grid-") && $0.hasSuffix(".png") ? Int($0.dropFirst(5).dropLast(4)) : nil
      }.max() ?? 0
    }
    let before = newest()
    let deadline = Date().addingTimeInterval(30)
    while newest() < before + 3 && Date() < deadline { usleep(50_000) }
    #expect(newest() >= before + 3, "no grids after the return")
    let outcome = try #require(hub.interrupt(), "the hub did not stop on SIGINT")
    #expect(outcome.status == 130, "\(outcome.stderr)")
    let sender = try #require((try CLI.json(outcome))["senders"] as? [[String: Any]]).first
    #expect(sender?["losses"] as? Int == 1 && sender?["returns"] as? Int == 1)
  }

  @Test(.timeLimit(.minutes(1)))
  func aLostSenderEndsTheRunNamingItUnderStop() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let endpoint = "tcp://127.0.0.1:\(try FreePort.pick())"
    let hub = try HubRun([
      "run", "--transport", "imagezmq", "--listen", endpoint, "--cameras", "1", "--frames", "1000000",
      "--camera-timeout", "0.3", "--snapshot-every", "1", "--output", output,
    ])
    let solo = try join(hub, "solo", camera: 0, ["--connect", endpoint])
    #expect(awaitSnapshot(in: output) != nil)
    solo.kill()
    let outcome = try #require(hub.wait(seconds: 30), "the hub hung")
    #expect(outcome.status == 1)
    #expect(
      outcome.stderr.contains("camera 0 ('solo' from 127.0.0.1) lost: no frame for 0.3 s (--camera-timeout)"))
  }

  @Test(.timeLimit(.minutes(2)))
  func pubSubSendersAreSubscribedTo() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let ends = ["tcp://127.0.0.1:\(try FreePort.pick())", "tcp://127.0.0.1:\(try FreePort.pick())"]
    // PUB senders bind, and send whether or not anyone listens.
    let senders = [
      try Peer.sender([
        "--name", "pub-red", "--bind", ends[0], "--height", "480", "--width", "640", "--channels", "3",
        "--bgr",
        "0,0,255", "--fps", "60",
      ]),
      try Peer.sender(["--name", "pub-grey", "--bind", ends[1], "--bgr", "70", "--fps", "60"]),
    ]
    defer { senders.forEach { $0.stop() } }
    let outcome = try CLI.run(
      [
        "run", "--transport", "imagezmq", "--subscribe", ends.joined(separator: ","), "--policy", "latest",
        "--cameras", "2", "--channels", "3", "--frames", "20", "--json", "--output", output,
      ], timeout: 90)
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let json = try CLI.json(outcome)
    #expect(json["grids"] as? Int == 20)
    #expect(json["policy"] as? String == "latest")
    #expect(json["endpoints"] as? [String] == ends)
    let names = Set((json["senders"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
    #expect(names == ["pub-red", "pub-grey"])
    let grid = try GridPicture.read(output + "/grid-latest.png", channels: 3)
    for (camera, entry) in (json["senders"] as? [[String: Any]] ?? []).enumerated() {
      let pixel = GridPicture.pixel(grid, camera: camera, cameras: 2, tile: Self.tile, x: 160, y: 120)
      #expect(pixel == (entry["name"] as? String == "pub-red" ? [255, 0, 0] : [70, 70, 70]))
    }
  }

  @Test(
    .timeLimit(.minutes(1)),
    arguments: [
      (
        ["--listen", "tcp://127.0.0.1:5555", "--verify"], "--verify is not accepted with --transport imagezmq"
      ),
      ([], "needs --listen"),
      (
        ["--listen", "tcp://127.0.0.1:5555", "--curve-secret", "k.secret", "--allow", "keys"],
        "imagezmq senders cannot use CURVE"
      ),
      (["--listen", "tcp://0.0.0.0:5555"], "give --insecure"),
      (["--subscribe", "tcp://127.0.0.1:5555"], "use --policy latest"),
      (
        ["--subscribe", "udp://127.0.0.1:5555", "--policy", "latest"],
        "--subscribe udp://127.0.0.1:5555 is not accepted"
      ),
      (["--subscribe", "tcp://127.0.0.1:0", "--policy", "latest"], "is not accepted"),
    ])
  func usageErrorsExit2(arguments: [String], words: String) throws {
    let outcome = try CLI.run(["run", "--transport", "imagezmq"] + arguments, timeout: 30)
    #expect(outcome.status == 2, "\(outcome.stderr)")
    #expect(outcome.stderr.contains(words), "\(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
  }

  @Test(.timeLimit(.minutes(1)))
  func subscribeBelongsToImageZMQAndBenchLeavesItOut() throws {
    let other = try CLI.run(
      ["run", "--transport", "shm-ring", "--subscribe", "tcp://127.0.0.1:5555"], timeout: 30)
    #expect(other.status == 2)
    #expect(other.stderr.contains("--subscribe is not accepted with --transport shm-ring"))
    let bench = try CLI.run(["bench", "--transports", "imagezmq"], timeout: 30)
    #expect(bench.status == 2)
    #expect(bench.stderr.contains("'imagezmq' is not accepted"), "\(bench.stderr)")
    let listed = try CLI.run(["transports"], timeout: 30)
    #expect(listed.stdout.split(separator: "\n").last?.hasPrefix("imagezmq ") == true, "\(listed.stdout)")
  }

  @Test(.timeLimit(.minutes(1)))
  func setUpGivesUpNamingWhoCameAndABusyAddressIsOneLine() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let endpoint = "tcp://127.0.0.1:\(try FreePort.pick())"
    let outcome = try CLI.run(
      [
        "run", "--transport", "imagezmq", "--listen", endpoint, "--cameras", "2", "--wait-seconds", "1",
        "--output", output,
      ], timeout: 30)
    #expect(outcome.status == 1)
    #expect(outcome.stderr.contains("only 0 of 2 imagezmq senders sent a frame within 1 s (--wait-seconds)"))

    let first = try HubRun(["run", "--transport", "imagezmq", "--listen", endpoint, "--output", output])
    try #require(first.awaitLine(containing: "waiting up to") != nil)
    let second = try CLI.run(
      ["run", "--transport", "imagezmq", "--listen", endpoint, "--output", output], timeout: 30)
    #expect(second.status == 1)
    #expect(second.stderr.contains("--listen \(endpoint): the address is already in use"), "\(second.stderr)")
    #expect(first.interrupt()?.status == 130)
  }
}
