import GridCore

/// Where a web view listens: `[ADDR:]PORT`. Loopback unless the user names another address.
public struct ServeAddress: Sendable, Equatable, CustomStringConvertible {
  public var host: String
  public var port: Int

  public static let defaultHost = "127.0.0.1"
  public static let defaultPort = 8080
  /// `--serve` with no value.
  public static let loopbackDefault = ServeAddress(host: defaultHost, port: defaultPort)

  public init(host: String, port: Int) {
    self.host = host
    self.port = port
  }

  /// `PORT`, `ADDR:PORT` or `[IPv6]:PORT`; port 0 lets the kernel pick. `flag` names the option
  /// in the message; `scheme` (such as "tcp://") may prefix the text.
  public init(parsing given: String, flag: String = "--serve", scheme: String? = nil) throws(GridError) {
    let refused = GridError.usage(
      "\(flag) \(given) is not accepted: use \(scheme ?? "")[ADDR:]PORT, for example 8080 or "
        + "\(scheme ?? "")127.0.0.1:8080 (port 0 to 65535)")
    var text = given
    if let scheme, text.hasPrefix(scheme) { text.removeFirst(scheme.count) }
    var host = Self.defaultHost
    var portText = Substring(text)
    if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
      host = String(text[text.index(after: text.startIndex)..<close])
      let rest = text[text.index(after: close)...]
      guard rest.hasPrefix(":") else { throw refused }
      portText = rest.dropFirst()
    } else if let colon = text.lastIndex(of: ":") {
      host = String(text[..<colon])
      portText = text[text.index(after: colon)...]
    }
    guard !host.isEmpty, !host.contains(" "), let port = Int(portText), (0...65_535).contains(port) else {
      throw refused
    }
    self.init(host: host, port: port)
  }

  public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

  /// Whether only this machine can reach it: 127.0.0.0/8, ::1 or "localhost".
  public var isLoopback: Bool { host.hasPrefix("127.") || host == "::1" || host == "localhost" }

  /// As a ZeroMQ tcp endpoint ("*" binds every address).
  public var tcpEndpoint: String { "tcp://\(description)" }
}
