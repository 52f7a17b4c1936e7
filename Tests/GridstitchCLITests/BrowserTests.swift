import Foundation
import Testing

/// The live page in a real browser (Debian's headless Chromium) during a real run.
@Suite(.serialized) struct BrowserTests {
  /// A hash of the grid as the browser shows it now (drawn into a canvas, sampled).
  static let gridHash = """
    const image = document.getElementById("grid");
    if (!image.naturalWidth) return null;
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let hash = 0;
    for (let i = 0; i < data.length; i += 7) hash = (hash * 31 + data[i]) | 0;
    return hash;
    """

  @Test(.timeLimit(.minutes(3)))
  func livePageShowsTheRunningGridItsRateAndALostCamera() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let port = try FreePort.pick()
    let base = "http://127.0.0.1:\(port)"
    let run = try CLI.Running([
      "run", "--frames", "1000000", "--load", "io", "--on-camera-loss", "continue", "--serve",
      "127.0.0.1:\(port)",
      "--output", output,
    ])
    defer { run.stopIfRunning() }  // a failed expectation never leaves it running
    try HTTP.await(base + "/stats.json") { reply in ((try? HTTP.json(reply))?["grids"] as? Int ?? 0) > 0 }

    let browser = try WebDriver()
    defer { browser.quit() }
    try browser.open(base + "/")

    // The grid arrives at its full size.
    let size = try poll(seconds: 20) {
      let value =
        try browser.evaluate(
          "const i = document.getElementById('grid'); return [i.naturalWidth, i.naturalHeight];") as? [Int]
      return value == [1280, 960] ? value : nil
    }
    #expect(size == [1280, 960])

    // It moves: two moments a second apart show different grids.
    let first = try #require(try poll(seconds: 10) { try browser.evaluate(Self.gridHash) as? Int })
    Thread.sleep(forTimeInterval: 1)
    let second = try #require(try browser.evaluate(Self.gridHash) as? Int)
    #expect(first != second, "the grid did not change in a second")

    // The grids/s figure updates: it shows a number, and not always the same one.
    var rates: [String] = []
    for _ in 0..<6 {
      rates.append(
        try browser.evaluate("return document.getElementById('rate').textContent;") as? String ?? "")
      Thread.sleep(forTimeInterval: 0.5)
    }
    #expect(rates.allSatisfy { Double($0) != nil }, "\(rates)")
    #expect(Set(rates).count > 1, "grids/s did not change: \(rates)")
    #expect(
      try browser.evaluate("return document.getElementById('status').textContent;") as? String == "running")

    // A camera killed under --on-camera-loss continue shows as lost.
    let lost = 5
    let stats = try HTTP.json(try HTTP.request(base + "/stats.json"))
    let states = try #require(stats["camera_states"] as? [[String: Any]])
    let pid = try #require(states[lost]["pid"] as? Int)
    #expect(Leftovers.children(of: run.pid).contains(Int32(pid)))
    kill(Int32(pid), SIGKILL)
    let state = try poll(seconds: 15) {
      let text =
        try browser.evaluate(
          "return document.querySelector('#camera-\(lost) .state').textContent;") as? String
      return text?.hasPrefix("lost") == true ? text : nil
    }
    #expect(state == "lost: NO SIGNAL")
    let others = try browser.evaluate(
      "return [...document.querySelectorAll('#cameras .state')].filter(e => e.textContent === 'live').length;"
    )
    #expect(others as? Int == 15)
    Thread.sleep(forTimeInterval: 1.5)  // let the chart gather a few seconds and the NO SIGNAL tile arrive

    // The README's picture of the live page.
    let shot = try browser.screenshot()
    #expect(shot.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    let folder = CLI.packageRoot + "/output"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try shot.write(to: URL(fileURLWithPath: folder + "/live-view.png"), options: .atomic)

    browser.quit()
    kill(run.pid, SIGINT)
    let outcome = try #require(run.wait(seconds: 30), "run did not stop on SIGINT")
    #expect(outcome.status == 130, "\(outcome.stderr)")
    #expect(outcome.stdout.contains("lost        1 cameras: \(lost)"), "\(outcome.stdout)")
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
