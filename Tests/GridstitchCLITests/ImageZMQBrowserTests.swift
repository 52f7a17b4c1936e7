import Foundation
import Testing

/// The live page of an imagezmq hub, fed by real imagezmq senders, in a real browser (Debian's
/// headless Chromium); it takes the README's picture.
@Suite(.serialized) struct ImageZMQBrowserTests {
  @Test(.timeLimit(.minutes(3)))
  func livePageShowsTheSendersByName() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let endpoint = "tcp://127.0.0.1:\(try FreePort.pick())"
    let port = try FreePort.pick()
    let base = "http://127.0.0.1:\(port)"
    let hub = try HubRun([
      "run", "--transport", "imagezmq", "--listen", endpoint, "--cameras", "4", "--channels", "3",
      "--frames", "1000000", "--on-camera-loss", "continue", "--serve", "127.0.0.1:\(port)", "--output",
      output,
    ])
    // What people point at a hub: Pis sending OpenCV arrays, a laptop sending JPEGs.
    let senders = [
      ("garage-pi", ["--height", "480", "--width", "640", "--channels", "3", "--bgr", "40,90,160"]),
      ("porch-pi", ["--height", "240", "--width", "320", "--bgr", "60"]),
      (
        "laptop-jpg",
        ["--height", "720", "--width", "1280", "--channels", "3", "--bgr", "150,60,20", "--jpeg"]
      ),
      ("shed-pi", ["--height", "480", "--width", "640", "--channels", "3", "--bgr", "20,160,60"]),
    ].map { name, arguments in
      try? Peer.sender(["--name", name, "--connect", endpoint, "--moving", "--fps", "15"] + arguments)
    }
    defer { senders.forEach { $0?.stop() } }
    try HTTP.await(base + "/stats.json") { reply in ((try? HTTP.json(reply))?["grids"] as? Int ?? 0) > 0 }

    let browser = try WebDriver()
    defer { browser.quit() }
    try browser.open(base + "/")
    let names = try poll(seconds: 20) {
      let listed =
        try browser.evaluate(
          "return [...document.querySelectorAll('#cameras .name')].map(e => e.textContent);") as? [String]
      return listed?.count == 4 ? listed : nil
    }
    #expect(Set(names ?? []) == ["garage-pi", "porch-pi", "laptop-jpg", "shed-pi"])
    let label =
      try browser.evaluate("return document.getElementById('latency-label').textContent;") as? String
    #expect(label == "arrival → stitched p50 / p99 (ms)")

    // One sender loses power: its tile turns NO SIGNAL, the rest go on.
    let states = try HTTP.json(try HTTP.request(base + "/stats.json"))["camera_states"] as? [[String: Any]]
    let shed = try #require(states?.firstIndex { $0["name"] as? String == "shed-pi" })
    senders[3]?.kill()
    let state = try poll(seconds: 20) {
      let text =
        try browser.evaluate("return document.querySelector('#camera-\(shed) .state').textContent;")
        as? String
      return text?.hasPrefix("lost") == true ? text : nil
    }
    #expect(state == "lost: NO SIGNAL")
    Thread.sleep(forTimeInterval: 3)  // the chart gathers a few seconds, the NO SIGNAL tile arrives

    let shot = try browser.screenshot()
    #expect(shot.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    let folder = CLI.packageRoot + "/output"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try shot.write(to: URL(fileURLWithPath: folder + "/imagezmq-live.png"), options: .atomic)

    browser.quit()
    let outcome = try #require(hub.interrupt(), "the hub did not stop on SIGINT")
    #expect(outcome.status == 130, "\(outcome.stderr)")
  }

  /// Calls `probe` until it returns a value (bounded); nil if it never does.
  private func poll<T>(seconds: Double, _ probe: () throws -> T?) throws -> T? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if let value = try probe() { return value }
      Thread.sleep(forTimeInterval: 0.2)
    }
    return nil
  }
}
