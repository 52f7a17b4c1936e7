import Foundation
import Testing

/// `run --serve` and `view` through the built binary and a real HTTP client, on loopback ports
/// chosen free by the test.
@Suite(.serialized) struct LiveViewTests {
  static let contractKeys = [
    "transport", "load", "cameras", "grids", "frames", "seconds", "setup_seconds", "fps", "frames_per_s",
    "mb_per_s", "latency_p50_us", "latency_p99_us", "latency_max_us", "verified_frames", "snapshots_written",
  ]

  @Test(.timeLimit(.minutes(2)))
  func routesDuringARun() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let port = try FreePort.pick()
    let base = "http://127.0.0.1:\(port)"
    let run = try CLI.Running([
      "run", "--frames", "1000000", "--load", "io", "--serve", "127.0.0.1:\(port)", "--output", output,
    ])
    defer { run.stopIfRunning() }  // a failed expectation never leaves it running
    try HTTP.await(base + "/stats.json") { reply in ((try? HTTP.json(reply))?["grids"] as? Int ?? 0) > 0 }

    let page = try HTTP.request(base + "/")
    #expect(page.status == 200)
    #expect(page.contentType == "text/html; charset=utf-8")
    #expect(page.text.contains("<img id=\"grid\" src=\"/stream.mjpg\""))
    #expect(page.text.contains("new EventSource(\"/events\")"))
    // Self-contained: nothing is loaded from anywhere else.
    #expect(
      !page.text.contains("src=\"http") && !page.text.contains("href=\"http")
        && !page.text.contains("@import"))

    let stats = try HTTP.request(base + "/stats.json")
    #expect(stats.status == 200)
    #expect(stats.contentType == "application/json")
    var position = stats.text.startIndex
    for key in Self.contractKeys {
      let range = try #require(
        stats.text.range(of: "\"\(key)\":", range: position..<stats.text.endIndex), "\(key)")
      position = range.upperBound
    }
    let json = try HTTP.json(stats)
    for key in [
      "launch", "policy", "width", "height", "channels", "lost_cameras", "camera_states", "running",
    ] {
      #expect(json[key] != nil, "stats.json lacks \(key)")
    }
    #expect(json["transport"] as? String == "shm-ring")
    #expect(json["cameras"] as? Int == 16)
    #expect(json["running"] as? Bool == true)
    #expect((json["fps"] as? Double ?? 0) > 0)
    let states = try #require(json["camera_states"] as? [[String: Any]])
    #expect(states.count == 16)
    for (index, state) in states.enumerated() {
      #expect(state["camera"] as? Int == index)
      #expect(["live", "waiting"].contains(state["state"] as? String ?? "?"))
      #expect(state["frames"] is Int)
      #expect(state.keys.contains("last_sequence"))
      #expect(state["pid"] is Int)
    }

    let jpeg = try HTTP.request(base + "/snapshot.jpg")
    #expect(jpeg.status == 200)
    #expect(jpeg.contentType == "image/jpeg")
    let size = try #require(JPEGCheck.decodedSize(jpeg.body), "snapshot.jpg does not decode")
    #expect(size.width == 1280 && size.height == 960)

    let png = try HTTP.request(base + "/snapshot.png")
    #expect(png.status == 200)
    #expect(png.contentType == "image/png")
    let header = [UInt8](png.body.prefix(24))
    #expect(header.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    let big = { (at: Int) -> Int in header[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    if header.count == 24 {
      #expect(big(16) == 1280)
      #expect(big(20) == 960)
    }

    let events = try HTTP.request(base + "/events", maxSeconds: 1.5)
    #expect(events.contentType == "text/event-stream")
    #expect(events.text.components(separatedBy: "data: {").count - 1 >= 2, "\(events.text.prefix(300))")

    // Three viewers at once, each sent at least 5 whole JPEGs within 2 s.
    let streams = try HTTP.concurrently(Array(repeating: base + "/stream.mjpg", count: 3), maxSeconds: 2)
    for stream in streams {
      #expect(stream.status == 200)
      #expect(stream.contentType == "multipart/x-mixed-replace; boundary=gridstitch-frame")
      let parts = JPEGCheck.mjpegParts(stream.body, boundary: "gridstitch-frame")
      #expect(parts.count >= 5, "\(parts.count) whole parts in 2 s")
      for part in parts.prefix(5) {
        let decoded = JPEGCheck.decodedSize(part)
        #expect(decoded?.width == 1280 && decoded?.height == 960)
      }
    }

    // A viewer is counted while it watches; viewers that went away cost nothing and leave nothing:
    // the view counts none within a moment.
    let watching = DispatchGroup()
    DispatchQueue.global().async(group: watching) {
      _ = try? HTTP.request(base + "/stream.mjpg", maxSeconds: 3)
    }
    try HTTP.await(base + "/stats.json", seconds: 3) { reply in
      (try? HTTP.json(reply))?["viewers"] as? Int == 1
    }
    watching.wait()
    try HTTP.await(base + "/stats.json", seconds: 10) { reply in
      (try? HTTP.json(reply))?["viewers"] as? Int == 0
    }

    // Only the view's own routes exist.
    for path in [
      "/index.html", "/output/grid-latest.png", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
      "/snapshot.jpg/../../../etc/passwd", "/stats.json%2f..%2f..%2fetc%2fpasswd", "//etc/passwd",
    ] {
      let reply = try HTTP.request(base + path, pathAsIs: true)
      #expect(reply.status == 404, "\(path) answered \(reply.status)")
    }

    kill(run.pid, SIGINT)
    let outcome = try #require(run.wait(seconds: 30), "run did not stop on SIGINT")
    #expect(outcome.status == 130, "\(outcome.stderr)")
    #expect(outcome.stdout.contains("grids/s"))
    #expect(outcome.stderr.contains("live view: http://127.0.0.1:\(port)/"))
    // Watching left nothing behind: no camera process remains.
    #expect(Leftovers.children(of: run.pid).isEmpty)
  }

  @Test(.timeLimit(.minutes(1)))
  func lingerKeepsTheFinalFiguresUpUntilCtrlC() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let port = try FreePort.pick()
    let base = "http://127.0.0.1:\(port)"
    let run = try CLI.Running([
      "run", "--transport", "threads", "--cameras", "4", "--frames", "50", "--load", "none", "--serve",
      "127.0.0.1:\(port)", "--linger", "--json", "--output", output,
    ])
    defer { run.stopIfRunning() }  // a failed expectation never leaves it running
    let final = try HTTP.await(base + "/stats.json") { reply in
      (try? HTTP.json(reply))?["running"] as? Bool == false
    }
    let json = try HTTP.json(final)
    #expect(json["grids"] as? Int == 50)
    #expect(json["frames"] as? Int == 200)
    #expect((json["summary"] as? String)?.contains("grids/s") == true)
    // The event stream says the run has ended, then closes.
    let events = try HTTP.request(base + "/events", maxSeconds: 5)
    #expect(events.text.hasPrefix("event: end\ndata: {"), "\(events.text.prefix(200))")
    // The last grid is still there to look at.
    let jpeg = try HTTP.request(base + "/snapshot.jpg")
    #expect(jpeg.status == 200)
    #expect(JPEGCheck.decodedSize(jpeg.body)?.width == 640)

    kill(run.pid, SIGTERM)
    let outcome = try #require(run.wait(seconds: 20), "a lingering view did not stop on SIGTERM")
    #expect(outcome.status == 143, "\(outcome.stderr)")
    #expect(try CLI.json(outcome)["grids"] as? Int == 50)
  }

  @Test(.timeLimit(.minutes(1)))
  func withoutLingerTheRunEndsByItself() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let port = try FreePort.pick()
    let outcome = try CLI.run(
      [
        "run", "--transport", "threads", "--cameras", "4", "--frames", "30", "--load", "none", "--serve",
        "127.0.0.1:\(port)", "--output", output,
      ], timeout: 30)
    #expect(outcome.status == 0, "\(outcome.stderr)")
    #expect(outcome.stdout.contains("grids       30"))
    // The port is closed again.
    #expect(try HTTP.request("http://127.0.0.1:\(port)/", maxSeconds: 2).status == 0)
  }

  /// Viewers that keep connecting while the run ends: the server winds down gracefully, serving
  /// what it took in, and the run exits 0. Cancelling the server instead could drop a connection
  /// NIO had accepted and the server not yet taken, and NIO traps on that: 3 runs in 12 of this
  /// shape died with SIGILL at their end. Ten runs here catch that nine times in ten.
  @Test(.timeLimit(.minutes(3)))
  func viewersConnectingAsTheRunEndsDoNotCrashIt() throws {
    for round in 0..<10 {
      let output = CLI.temporaryFolder()
      defer { try? FileManager.default.removeItem(atPath: output) }
      let port = try FreePort.pick()
      let running = try CLI.Running([
        "run", "--transport", "threads", "--cameras", "4", "--frames", "400", "--serve", "127.0.0.1:\(port)",
        "--quiet", "--json", "--output", output,
      ])
      try HTTP.await("http://127.0.0.1:\(port)/stats.json")
      let done = Box(false)
      let group = DispatchGroup()
      for _ in 0..<6 {
        group.enter()
        DispatchQueue.global().async {
          defer { group.leave() }
          while !done.value { _ = try? HTTP.request("http://127.0.0.1:\(port)/snapshot.jpg", maxSeconds: 5) }
        }
      }
      let outcome = running.wait(seconds: 60)
      done.update { $0 = true }
      group.wait()
      let ended = try #require(outcome, "round \(round): the run hung")
      #expect(ended.status == 0 && !ended.killedBySignal, "round \(round): \(ended.status) \(ended.stderr)")
      if ended.status != 0 { break }
    }
  }

  /// Six clients looping on `/snapshot.png` and six on `/snapshot.jpg`, each as fast as it is
  /// answered, get at most the routes' paced answers between them (8 PNGs and `--view-fps` JPEGs
  /// a second), and the run goes on to a verified end. Before, they were sent the same picture
  /// hundreds of times a second, and the copies slowed a 59 MB grid's pipeline by a fifth.
  @Test(.timeLimit(.minutes(2)), arguments: [("/snapshot.png", 8), ("/snapshot.jpg", 15)])
  func loopingPictureClientsGetPacedAnswers(route: String, perSecond: Int) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let port = try FreePort.pick()
    let running = try CLI.Running([
      "run", "--transport", "threads", "--cameras", "4", "--frames", "1000000", "--verify", "--serve",
      "127.0.0.1:\(port)", "--view-fps", "15", "--quiet", "--json", "--output", output,
    ])
    try HTTP.await("http://127.0.0.1:\(port)/stats.json")
    let seconds = 3
    let clients = try Python.run("snapshot_loop.py", ["http://127.0.0.1:\(port)\(route)", "\(seconds)", "6"])
    #expect(clients.status == 0, "\(clients.stderr)")
    let counts = try #require(
      try JSONSerialization.jsonObject(with: Data(clients.stdout.utf8)) as? [String: Int], "\(clients.stdout)"
    )
    let answered = counts["200"] ?? 0
    // The first turn is free, and each client's last request, made before its time was up, may be
    // answered after it.
    #expect(answered >= 1 && answered <= perSecond * seconds + 1 + 6, "\(counts)")
    kill(running.pid, SIGINT)
    let outcome = try #require(running.wait(seconds: 30), "the run did not stop on SIGINT")
    #expect(outcome.status == 130, "\(outcome.stderr)")
    let json = try CLI.json(outcome)
    let grids = try #require(json["grids"] as? Int)
    #expect(grids > 0 && json["verified_frames"] as? Int == 4 * grids)
  }

  /// An HTTP/1.0 request that does not ask to keep its connection gets its answer and the end of
  /// the connection at once, as HTTP/1.0 says; before, every such client (one that reads to the
  /// end) waited out the 10 s idle timeout.
  @Test(.timeLimit(.minutes(1)))
  func anHTTP10RequestsConnectionEndsWithItsAnswer() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let port = try FreePort.pick()
    let gallery = try CLI.Running(["view", folder, "--serve", "127.0.0.1:\(port)"])
    defer { gallery.stopIfRunning() }
    try HTTP.await("http://127.0.0.1:\(port)/")
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(descriptor >= 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
    try #require(connected)
    // Half the idle timeout: an answer that ends the connection comes well within it.
    var wait = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
    let request = Array("GET / HTTP/1.0\r\n\r\n".utf8)
    try #require(request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) } == request.count)
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    var ended = false
    while true {
      let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
      if count > 0 {
        received += buffer[0..<count]
        continue
      }
      ended = count == 0
      break
    }
    #expect(ended, "the connection was still open after 5 s")
    #expect(String(decoding: received.prefix(15), as: UTF8.self) == "HTTP/1.1 200 OK")
  }

  @Test(.timeLimit(.minutes(1)))
  func aPortInUseIsOneLineAndExit1() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let port = try FreePort.pick()
    let gallery = try CLI.Running(["view", folder, "--serve", "127.0.0.1:\(port)"])
    defer { gallery.stopIfRunning() }  // a failed expectation never leaves it running
    try HTTP.await("http://127.0.0.1:\(port)/")
    for arguments in [
      ["run", "--transport", "threads", "--cameras", "2", "--frames", "5", "--output", folder],
      ["view", folder],
    ] {
      let outcome = try CLI.run(arguments + ["--serve", "127.0.0.1:\(port)"], timeout: 30)
      #expect(outcome.status == 1, "\(arguments[0]): \(outcome.stderr)")
      #expect(
        outcome.stderr == "gridstitch: --serve 127.0.0.1:\(port): the address is already in use\n",
        "\(outcome.stderr)")
    }
    kill(gallery.pid, SIGINT)
    let outcome = try #require(gallery.wait(seconds: 10), "view did not stop on SIGINT")
    #expect(outcome.status == 130, "\(outcome.stderr)")
  }

  @Test(.timeLimit(.minutes(1)))
  func badServeFlagsAreUsageErrors() throws {
    for (arguments, word) in [
      (["run", "--serve", "70000"], "--serve 70000"),
      (["run", "--serve", "localhost:"], "--serve localhost:"),
      (["run", "--serve", "1:2:x"], "--serve 1:2:x"),
      (["run", "--linger"], "--linger"),
      (["run", "--serve", "0", "--view-fps", "0"], "--view-fps 0"),
      (["view", "--serve", "abc:x"], "--serve abc:x"),
    ] {
      let outcome = try CLI.run(arguments, timeout: 30)
      #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
      #expect(outcome.stderr.contains(word), "\(arguments): \(outcome.stderr)")
      #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
    }
    let missing = try CLI.run(
      ["view", "/nonexistent-gridstitch-folder", "--serve", "127.0.0.1:0"], timeout: 30)
    #expect(missing.status == 1)
    #expect(missing.stderr == "gridstitch: view: '/nonexistent-gridstitch-folder' is not a folder\n")
  }

  /// A hub's `--serve` port is bound before it waits for its cameras: a busy one is said at
  /// once (it was found only after every camera had joined, or the wait had run out).
  @Test(.timeLimit(.minutes(1)), arguments: ["zmq", "imagezmq"])
  func aHubsBusyServePortIsSaidBeforeItWaits(transport: String) throws {
    let busy = try BusyPort()
    defer { busy.release() }
    let listen = try FreePort.pick()
    let hub = try CLI.run(
      [
        "run", "--transport", transport, "--cameras", "2", "--wait-seconds", "3600",
        "--serve", "127.0.0.1:\(busy.port)",
      ] + ["--listen", (transport == "zmq" ? "" : "tcp://") + "127.0.0.1:\(listen)"],
      timeout: 50)
    #expect(hub.status == 1, "\(hub.stderr)")
    #expect(
      hub.stderr.contains("--serve 127.0.0.1:\(busy.port): the address is already in use"), "\(hub.stderr)")
  }

  @Test(.timeLimit(.minutes(1)))
  func galleryServesOnlyTheSnapshotsInItsFolder() throws {
    let root = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let folder = root + "/snapshots"
    let made = try CLI.run([
      "run", "--transport", "threads", "--cameras", "4", "--frames", "20", "--load", "none",
      "--snapshot-every",
      "10", "--output", folder,
    ])
    #expect(made.status == 0, "\(made.stderr)")
    // Outside the folder: a secret, and links that lead to it.
    let secret = root + "/secret.png"
    try FileManager.default.copyItem(atPath: folder + "/grid-000010.png", toPath: secret)
    try FileManager.default.createSymbolicLink(
      atPath: folder + "/escape.png", withDestinationPath: "../secret.png")
    try FileManager.default.createSymbolicLink(atPath: folder + "/absolute.png", withDestinationPath: secret)
    try FileManager.default.createSymbolicLink(
      atPath: folder + "/passwd.png", withDestinationPath: "/etc/passwd")
    try FileManager.default.createDirectory(atPath: folder + "/inner.png", withIntermediateDirectories: true)

    let port = try FreePort.pick()
    let base = "http://127.0.0.1:\(port)"
    let gallery = try CLI.Running(["view", folder, "--serve", "127.0.0.1:\(port)"])
    defer { gallery.stopIfRunning() }  // a failed expectation never leaves it running
    let page = try HTTP.await(base + "/")
    #expect(page.contentType == "text/html; charset=utf-8")
    let newer = try #require(page.text.range(of: "grid 20"), "\(page.text)")
    let older = try #require(page.text.range(of: "grid 10"))
    #expect(newer.lowerBound < older.lowerBound, "newest first")
    #expect(page.text.contains("href=\"/image/grid-000010.png\""))
    #expect(
      !page.text.contains("escape.png") && !page.text.contains("passwd") && !page.text.contains("inner.png"))

    let image = try HTTP.request(base + "/image/grid-000010.png")
    #expect(image.status == 200)
    #expect(image.contentType == "image/png")
    #expect(image.body == FileManager.default.contents(atPath: folder + "/grid-000010.png"))

    let encodedSecret = secret.replacingOccurrences(of: "/", with: "%2F")
    for path in [
      "/image/escape.png", "/image/absolute.png", "/image/passwd.png", "/image/inner.png",
      "/image/..%2Fsecret.png", "/image/%2e%2e%2fsecret.png", "/image/%2E%2E", "/image/..", "/../secret.png",
      "/image/../secret.png", "/image/../../secret.png", "/image/%2Fetc%2Fpasswd", "/image//etc/passwd",
      "/image/" + encodedSecret, "/image" + secret, "/secret.png", "/grid-000010.png", "/image/",
      "/image/.%2e/secret.png", "/image/%252e%252e%252fsecret.png",
    ] {
      let reply = try HTTP.request(base + path, pathAsIs: true)
      #expect(reply.status == 404, "\(path) answered \(reply.status)")
      #expect(!reply.body.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(path) served a PNG")
    }

    kill(gallery.pid, SIGTERM)
    let outcome = try #require(gallery.wait(seconds: 10), "view did not stop on SIGTERM")
    #expect(outcome.status == 143, "\(outcome.stderr)")
  }
}
