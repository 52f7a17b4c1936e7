import Foundation
import GridImage
import Testing

/// Live sources (`--source` of a stream): a real server on loopback — the `ffmpeg` program
/// serving MPEG-TS over HTTP, GStreamer's gst-rtsp-server serving RTSP — stopped mid-run and
/// started again. The tile is read from the live view's `/snapshot.png`; the figures from
/// `/stats.json` and the final `--json`.
@Suite(.serialized) struct LiveSourceTests {
  /// A stream server from `Tests/peers`, started and stopped by the test.
  final class StreamServer: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    private let lines = Box([String]())
    private let group = DispatchGroup()

    /// Starts `script` (run by `interpreter`) with `arguments`, and waits for a line that starts
    /// with `ready`.
    init(interpreter: String, script: String, arguments: [String], ready: String) throws {
      try #require(
        FileManager.default.isExecutableFile(atPath: interpreter), "no \(interpreter): make test-deps")
      process.executableURL = URL(fileURLWithPath: interpreter)
      process.arguments = [CLI.packageRoot + "/Tests/peers/" + script] + arguments
      process.standardInput = FileHandle.nullDevice
      process.standardOutput = output
      process.standardError = FileHandle.nullDevice
      try process.run()
      group.enter()
      DispatchQueue.global().async { [self] in
        var pending = Data()
        while true {
          let chunk = output.fileHandleForReading.availableData
          if chunk.isEmpty { break }
          pending.append(chunk)
          while let newline = pending.firstIndex(of: 0x0A) {
            let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
            pending.removeSubrange(pending.startIndex...newline)
            lines.update { $0.append(line) }
          }
        }
        group.leave()
      }
      let deadline = Date().addingTimeInterval(20)
      while !said(ready) && process.isRunning && Date() < deadline { usleep(20_000) }
      try #require(said(ready), "\(script) never said \(ready)")
    }

    private func said(_ start: String) -> Bool { lines.value.contains { $0.hasPrefix(start) } }

    /// The last number it printed after "listening " (`ts_over_http.py`: the serving ffmpeg's pid).
    var servingPID: Int32? {
      lines.value.last { $0.hasPrefix("listening ") }.flatMap { Int32($0.dropFirst(10)) }
    }

    /// The `ffmpeg` program serving a live H.264 test pattern as MPEG-TS over HTTP, again after
    /// each client (`ts_over_http.py`).
    static func http(port: Int) throws -> StreamServer {
      try StreamServer(
        interpreter: "/usr/bin/python3", script: "ts_over_http.py", arguments: [String(port)],
        ready: "listening")
    }

    /// gst-rtsp-server serving a live test pattern as RTP/JPEG (`rtsp_server.py`).
    static func rtsp(port: Int) throws -> StreamServer {
      try StreamServer(
        interpreter: "/usr/bin/python3", script: "rtsp_server.py", arguments: [String(port)], ready: "ready")
    }

    /// SIGTERM (the script ends what it serves), then waits.
    func stop() {
      guard process.isRunning else { return }
      process.terminate()
      process.waitUntilExit()
      group.wait()
    }

    deinit { stop() }
  }

  /// What tile 0 of the live view's grid shows now.
  enum Tile: Equatable {
    /// The NO SIGNAL card: nearly every pixel its grey 40.
    case card
    /// A picture: few pixels are the card's grey.
    case picture
    case unclear
  }

  static func tile(view: String) -> Tile {
    guard let reply = try? HTTP.request(view + "/snapshot.png", maxSeconds: 3), reply.status == 200,
      let grid = try? PNG.decode([UInt8](reply.body), channels: 1, path: "snapshot.png")
    else { return .unclear }
    var grey = 0
    for row in 0..<240 {
      for column in 0..<320 where grid.pixels[row * grid.width + column] == 40 { grey += 1 }
    }
    let share = Double(grey) / Double(320 * 240)
    return share > 0.85 ? .card : share < 0.2 ? .picture : .unclear
  }

  /// Waits until tile 0 shows `wanted`; the seconds it took.
  @discardableResult
  static func await(_ wanted: Tile, view: String, seconds: Double) throws -> Double {
    let start = Date()
    while Date().timeIntervalSince(start) < seconds {
      if tile(view: view) == wanted { return Date().timeIntervalSince(start) }
      usleep(100_000)
    }
    return try #require(nil as Double?, "tile 0 never showed \(wanted) in \(seconds) s")
  }

  /// Camera 0's entry in the live view's `camera_states`, once its `source_state` is one of
  /// `states` (the figures follow the tile within their refresh, ten a second while read).
  static func cameraZero(view: String, once states: Set<String>) throws -> [String: Any] {
    let reply = try HTTP.await(view + "/stats.json", seconds: 5) { reply in
      let cameras = (try? HTTP.json(reply))?["camera_states"] as? [[String: Any]]
      return states.contains(cameras?.first?["source_state"] as? String ?? "")
    }
    let cameras = try HTTP.json(reply)["camera_states"] as? [[String: Any]]
    return try #require(cameras?.first)
  }

  /// A live stream is filmed; its server stops: the tile says NO SIGNAL within
  /// `--camera-timeout` (1 s here) and the camera lives on, reconnecting; the server starts
  /// again: the picture comes back. The final figures count the reconnect.
  static func silentAndBack(
    source: String, inBrowser: Bool = false, start: () throws -> StreamServer, extra: [String] = []
  ) throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var server = try start()
    defer { server.stop() }
    let viewPort = try FreePort.pick()
    let view = "http://127.0.0.1:\(viewPort)"
    let run = try CLI.Running(
      [
        "run", "--transport", "shm-ring", "--cameras", "2", "--source", source, "--source", "testcard",
        "--load", "io", "--sync", "free", "--frames", "1000000", "--camera-timeout", "1", "--serve",
        "127.0.0.1:\(viewPort)", "--json", "--output", folder,
      ] + extra)
    defer { run.stopIfRunning() }
    try Self.await(.picture, view: view, seconds: 30)
    let playing = try Self.cameraZero(view: view, once: ["playing"])
    #expect(playing["source"] as? String == source)
    // The live page, in a real browser, lists the source and its state under camera 0.
    let browser = inBrowser ? try WebDriver() : nil
    defer { browser?.quit() }
    func pageSays(_ words: [String]) throws -> String? {
      guard let browser else { return nil }
      try browser.open(view + "/")
      let deadline = Date().addingTimeInterval(15)
      var text: String?
      while Date() < deadline {
        text =
          try browser.evaluate("return document.querySelector('#camera-0 .source')?.textContent;") as? String
        if let text, words.contains(where: text.contains) { return text }
        usleep(200_000)
      }
      return text
    }
    if inBrowser {
      let text = try pageSays(["· playing ·"])
      #expect(text?.hasPrefix("\(source) · playing · ") == true, "\(text ?? "no .source")")
    }
    let cameras = Leftovers.children(of: run.pid)
    #expect(cameras.count == 2)

    server.stop()
    let silent = try Self.await(.card, view: view, seconds: 10)
    // --camera-timeout is 1 s; the rest is the view's own pace (a grid every 100 ms while
    // the source is silent) and this poll's.
    #expect(silent < 1 + 2, "NO SIGNAL after \(silent) s")
    let lost = try Self.cameraZero(view: view, once: ["no signal", "reconnecting"])
    // The source's state, not a camera's death: the camera process lives on.
    #expect(cameras.allSatisfy(Leftovers.isRunning))
    #expect(lost["state"] as? String == "live" && lost["tile"] as? String == "NO SIGNAL", "\(lost)")
    if inBrowser {
      let text = try pageSays(["· no signal ·", "· reconnecting ·"])
      #expect(
        text?.contains("· no signal ·") == true || text?.contains("· reconnecting ·") == true, "\(text ?? "")"
      )
    }

    server = try start()
    let back = try Self.await(.picture, view: view, seconds: 20)
    // While the server is down its refusals are answered every 0.5 s (the backoff grows only on
    // openings something answered): back within 2 s of the server, plus the view's own pace and
    // this poll's (100 ms each) and a sanitizer's slowness.
    #expect(back < 2 + 1, "the picture came back after \(back) s")
    _ = try Self.cameraZero(view: view, once: ["playing"])

    kill(run.pid, SIGINT)
    let outcome = try #require(run.wait(seconds: 30), "the run did not stop on SIGINT")
    #expect(outcome.status == 130, "\(outcome.stderr)")
    let sources = try #require(try CLI.json(outcome)["sources"] as? [[String: Any]])
    #expect(sources.count == 2)
    #expect(sources[0]["source"] as? String == source)
    #expect((sources[0]["reconnects"] as? Int ?? 0) >= 1, "\(sources[0])")
    #expect((sources[0]["source_fps"] as? Double ?? 0) > 0, "\(sources[0])")
    #expect(sources[1]["source"] as? String == "testcard" && sources[1]["state"] as? String == "none")
    #expect(Leftovers.children(of: run.pid).isEmpty)
  }

  @Test(.timeLimit(.minutes(3)))
  func anHTTPStreamGoesSilentAndComesBack() throws {
    let port = try FreePort.pick()
    try Self.silentAndBack(source: "http://127.0.0.1:\(port)/", inBrowser: true) {
      try StreamServer.http(port: port)
    }
  }

  /// A remote camera (`gridstitch camera --source URL`) filming a live stream keeps its tile
  /// through the stream's outage: the hub's tile says NO SIGNAL while the server is down, the
  /// camera is not lost (its process lives, the hub keeps it), the picture comes back, and the
  /// hub's final figures, read from the camera's frame headers, count the reconnect.
  @Test(.timeLimit(.minutes(3)))
  func aRemoteCameraKeepsItsTileThroughAnOutage() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let streamPort = try FreePort.pick()
    let source = "http://127.0.0.1:\(streamPort)/"
    var server = try StreamServer.http(port: streamPort)
    defer { server.stop() }
    let hubPort = try FreePort.pick()
    let viewPort = try FreePort.pick()
    let view = "http://127.0.0.1:\(viewPort)"
    let hub = try CLI.Running([
      "run", "--transport", "zmq", "--listen", "127.0.0.1:\(hubPort)", "--cameras", "1", "--load", "io",
      "--sync", "free", "--frames", "1000000", "--serve", "127.0.0.1:\(viewPort)", "--json", "--output",
      folder,
    ])
    defer { hub.stopIfRunning() }
    let camera = try CLI.Running([
      "camera", "--connect", "tcp://127.0.0.1:\(hubPort)", "--source", source, "--camera-timeout", "1",
    ])
    defer { camera.stopIfRunning() }
    try Self.await(.picture, view: view, seconds: 30)

    server.stop()
    try Self.await(.card, view: view, seconds: 10)
    #expect(Leftovers.isRunning(camera.pid), "the camera left with its source")
    let lost = try Self.cameraZero(view: view, once: ["no signal", "reconnecting"])
    #expect(lost["state"] as? String == "live", "the hub lost the camera: \(lost)")

    server = try StreamServer.http(port: streamPort)
    try Self.await(.picture, view: view, seconds: 20)
    _ = try Self.cameraZero(view: view, once: ["playing"])

    kill(hub.pid, SIGINT)
    let outcome = try #require(hub.wait(seconds: 30), "the hub did not stop on SIGINT")
    #expect(outcome.status == 130, "\(outcome.stderr)")
    let sources = try #require(try CLI.json(outcome)["sources"] as? [[String: Any]])
    #expect(sources.count == 1)
    #expect((sources.first?["reconnects"] as? Int ?? 0) >= 1, "\(sources)")
    #expect(camera.wait(seconds: 10)?.status == 0, "the camera did not leave with its hub")
  }

  /// A stream that stalls with its connection open (its server frozen by SIGSTOP) must not hang
  /// the camera: the read gives up at `--camera-timeout` (the interrupt callback, the socket
  /// timeout), the tile says NO SIGNAL, the camera process lives on and keeps trying; the server
  /// thawed, the picture comes back.
  @Test(.timeLimit(.minutes(3)))
  func aStalledStreamNeverHangsTheCamera() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let port = try FreePort.pick()
    let server = try StreamServer.http(port: port)
    defer { server.stop() }
    let viewPort = try FreePort.pick()
    let view = "http://127.0.0.1:\(viewPort)"
    let run = try CLI.Running([
      "run", "--transport", "pipe", "--launch", "spawn", "--cameras", "1", "--source",
      "http://127.0.0.1:\(port)/", "--load", "io", "--sync", "genlock", "--period-us", "40000", "--frames",
      "1000000", "--camera-timeout", "1", "--serve", "127.0.0.1:\(viewPort)", "--output", folder,
    ])
    defer { run.stopIfRunning() }
    try Self.await(.picture, view: view, seconds: 30)
    // The ffmpeg serving the camera now (the set-up probe had the one before).
    let serving = try #require(server.servingPID, "no ffmpeg pid")
    try #require(kill(serving, SIGSTOP) == 0)
    defer { kill(serving, SIGCONT) }
    let silent = try Self.await(.card, view: view, seconds: 10)
    #expect(silent < 1 + 2, "NO SIGNAL after \(silent) s")
    _ = try Self.cameraZero(view: view, once: ["no signal", "reconnecting"])
    // Grids go on at the trigger's pace while the source is frozen: the camera is not stuck.
    let before = try HTTP.json(try HTTP.request(view + "/stats.json"))["grids"] as? Int ?? 0
    Thread.sleep(forTimeInterval: 2)
    let after = try HTTP.json(try HTTP.request(view + "/stats.json"))["grids"] as? Int ?? 0
    #expect(after > before + 10, "grids \(before) → \(after) while the source was frozen")
    #expect(Leftovers.children(of: run.pid).count == 1)
    kill(serving, SIGCONT)
    try Self.await(.picture, view: view, seconds: 30)
    kill(run.pid, SIGINT)
    let outcome = try #require(run.wait(seconds: 30), "the run did not stop on SIGINT")
    #expect(outcome.status == 130, "\(outcome.stderr)")
    #expect(
      outcome.stdout.contains("sources     C00 http://127.0.0.1:\(port)/: playing"), "\(outcome.stdout)")
  }

  @Test(.timeLimit(.minutes(3)))
  func anRTSPStreamGoesSilentAndComesBack() throws {
    let port = try FreePort.pick()
    try Self.silentAndBack(source: "rtsp://127.0.0.1:\(port)/live") { try StreamServer.rtsp(port: port) }
  }

  /// `--rtsp-transport udp`: RTP over UDP from the same server, every frame verified.
  @Test(.timeLimit(.minutes(2)))
  func rtspOverUDP() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let port = try FreePort.pick()
    let server = try StreamServer.rtsp(port: port)
    defer { server.stop() }
    let outcome = try CLI.run([
      "run", "--transport", "shm-ring", "--launch", "spawn", "--cameras", "2", "--source",
      "rtsp://127.0.0.1:\(port)/live", "--rtsp-transport", "udp", "--load", "io", "--sync", "free",
      "--frames",
      "50", "--verify", "--json", "--output", folder,
    ])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let json = try CLI.json(outcome)
    #expect(json["verified_frames"] as? Int == 100)
    let sources = try #require(json["sources"] as? [[String: Any]])
    for source in sources {
      #expect(source["state"] as? String == "playing", "\(source)")
      #expect((source["decoded_frames"] as? Int ?? 0) > 10, "\(source)")
    }
    let bad = try CLI.run([
      "run", "--transport", "shm-ring", "--source", "rtsp://127.0.0.1:\(port)/live", "--rtsp-transport",
      "sctp",
      "--output", folder,
    ])
    #expect(bad.status == 2, "\(bad.stderr)")
  }
}

/// V4L2 devices (`v4l2:/dev/videoN`, through libavdevice).
@Suite(.serialized) struct VideoDeviceTests {
  /// The V4L2 capture devices this machine has.
  static let devices: [String] =
    ((try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []).filter { $0.hasPrefix("video") }
    .sorted().map { "/dev/" + $0 }

  /// A real device is filmed, every frame verified. It runs only where /dev/video* exists: a
  /// machine without a camera (a container, CI) has nothing to film, and a fake device would
  /// prove only the fake (the README says where this ran).
  @Test(
    .enabled(if: !devices.isEmpty, "no /dev/video* on this machine: nothing to film"),
    .timeLimit(.minutes(1)))
  func aDeviceIsFilmed() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let outcome = try CLI.run([
      "run", "--transport", "shm-ring", "--cameras", "1", "--source", "v4l2:" + Self.devices[0], "--load",
      "io",
      "--sync", "free", "--frames", "30", "--verify", "--json", "--output", folder,
    ])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let json = try CLI.json(outcome)
    #expect(json["verified_frames"] as? Int == 30)
    let sources = try #require(json["sources"] as? [[String: Any]])
    #expect((sources[0]["decoded_frames"] as? Int ?? 0) > 0, "\(sources[0])")
  }

  /// Everywhere: libavdevice loads and its video4linux2 demuxer is asked; a device that is not
  /// there is refused at set-up with one line (exit 2), as a missing file is.
  @Test(.timeLimit(.minutes(1)))
  func aMissingDeviceIsRefusedAtSetUp() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let outcome = try CLI.run([
      "run", "--transport", "shm-ring", "--cameras", "1", "--source", "v4l2:/dev/video-none", "--frames", "5",
      "--output", folder,
    ])
    #expect(outcome.status == 2, "\(outcome.stderr)")
    #expect(
      outcome.stderr.contains(
        "camera 0: --source v4l2:/dev/video-none: avformat_open_input(/dev/video-none): No such file or directory"
      ),
      "\(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
  }
}
