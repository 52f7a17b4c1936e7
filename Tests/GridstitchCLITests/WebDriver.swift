import Foundation
import Testing

/// Debian's headless Chromium, driven through Debian's chromedriver (W3C WebDriver over HTTP on
/// loopback). The driver and the browser are ours: `quit()` ends both.
final class WebDriver {
  private let driver = Process()
  private let base: String
  private var session: String?

  static let chromium = "/usr/bin/chromium"
  static let chromedriver = "/usr/bin/chromedriver"

  init(width: Int = 1600, height: Int = 1150) throws {
    let port = try FreePort.pick()
    base = "http://127.0.0.1:\(port)"
    driver.executableURL = URL(fileURLWithPath: Self.chromedriver)
    driver.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
    driver.standardOutput = FileHandle.nullDevice
    driver.standardError = FileHandle.nullDevice
    try driver.run()
    try HTTP.await(base + "/status", seconds: 20) { $0.text.contains("\"ready\":true") }
    let capabilities = """
      {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"binary": "\(Self.chromium)",
      "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
      "--window-size=\(width),\(height)", "--hide-scrollbars"]}}}}
      """
    let reply = try call("POST", "/session", capabilities)
    let value = try #require(reply["value"] as? [String: Any], "no session: \(reply)")
    session = try #require(value["sessionId"] as? String, "no session: \(reply)")
  }

  deinit { quit() }

  func open(_ url: String) throws {
    _ = try call("POST", "/session/\(session!)/url", json(["url": url]))
  }

  /// Runs `script` (a function body) in the page and returns its value.
  func evaluate(_ script: String) throws -> Any? {
    let reply = try call(
      "POST", "/session/\(session!)/execute/sync", json(["script": script, "args": [Any]()]))
    if let value = reply["value"] as? [String: Any], let error = value["error"] as? String {
      Issue.record("script failed: \(error): \(value["message"] ?? "")")
      return nil
    }
    return reply["value"]
  }

  /// The viewport as PNG bytes.
  func screenshot() throws -> Data {
    let reply = try call("GET", "/session/\(session!)/screenshot", nil)
    let text = try #require(reply["value"] as? String)
    return try #require(Data(base64Encoded: text))
  }

  func quit() {
    if let session {
      _ = try? HTTP.request(base + "/session/\(session)", method: "DELETE", maxSeconds: 20)
      self.session = nil
    }
    // chromedriver leaves on /shutdown; SIGKILL if it does not within 5 s (it ignores SIGTERM).
    if driver.isRunning {
      _ = try? HTTP.request(base + "/shutdown", maxSeconds: 5)
      let deadline = Date().addingTimeInterval(5)
      while driver.isRunning && Date() < deadline { usleep(50_000) }
      if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
      driver.waitUntilExit()
    }
  }

  private func call(_ method: String, _ path: String, _ body: String?) throws -> [String: Any] {
    let reply = try HTTP.request(
      base + path, method: method, json: body ?? (method == "POST" ? "{}" : nil), maxSeconds: 60)
    return try #require(
      try JSONSerialization.jsonObject(with: reply.body) as? [String: Any], "\(method) \(path): \(reply.text)"
    )
  }

  private func json(_ object: [String: Any]) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
  }
}
