import Foundation
import Glibc

/// A minimal HTTP/1.1 client over one blocking socket to 127.0.0.1, for the route tests. The
/// request target goes out exactly as written (no normalising of `..`, `%2F` or `//`), and the
/// answer is read as it comes: head, then a body by `Content-Length`, by chunks, or to the end.
/// Every read and write is bounded by the socket's timeouts, so a server that never answers fails
/// the test instead of hanging it. Used from one thread at a time.
final class LoopbackHTTP: @unchecked Sendable {
  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  struct Head: Sendable {
    let status: Int
    let fields: [Field]

    struct Field: Sendable {
      let name: String
      let value: String
    }

    /// The value of the first field named `name` (case-insensitive), as sent.
    func field(_ name: String) -> String? {
      fields.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var isChunked: Bool { field("transfer-encoding")?.lowercased().contains("chunked") ?? false }
  }

  struct Reply: Sendable {
    let head: Head
    let body: [UInt8]
    var status: Int { head.status }
    var contentType: String? { head.field("content-type") }
    var text: String { String(decoding: body, as: UTF8.self) }
  }

  private let descriptor: Int32
  private var pending: [UInt8] = []
  private var isClosed = false

  /// Connects to `127.0.0.1:port`; each later read or write waits at most `timeoutSeconds`.
  init(port: Int, timeoutSeconds: Int = 20) throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
    var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    let size = socklen_t(MemoryLayout<timeval>.size)
    guard setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, size) == 0,
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, size) == 0
    else {
      Glibc.close(fd)
      throw Failure(description: "setsockopt: errno \(errno)")
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else {
      let code = errno
      Glibc.close(fd)
      throw Failure(description: "connect to 127.0.0.1:\(port): errno \(code)")
    }
    descriptor = fd
  }

  deinit { close() }

  func close() {
    guard !isClosed else { return }
    isClosed = true
    Glibc.close(descriptor)
  }

  /// Sends a request without a body: `METHOD target HTTP/1.1`, `Host`, then `fields`.
  func send(_ method: String, _ target: String, fields: [String] = []) throws {
    var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    for field in fields { text += field + "\r\n" }
    text += "\r\n"
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let sent = bytes[offset...].withUnsafeBytes {
        Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
      }
      guard sent > 0 else { throw Failure(description: "send: errno \(errno)") }
      offset += sent
    }
  }

  /// The status line and header fields of the next answer.
  func readHead() throws -> Head {
    let statusLine = try line()
    let parts = statusLine.split(separator: " ", maxSplits: 2)
    guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
      throw Failure(description: "not a status line: \(statusLine)")
    }
    var fields: [Head.Field] = []
    while true {
      let text = try line()
      if text.isEmpty { break }
      guard let colon = text.firstIndex(of: ":") else { throw Failure(description: "bad field: \(text)") }
      fields.append(
        Head.Field(
          name: String(text[..<colon]),
          value: text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
    }
    return Head(status: status, fields: fields)
  }

  /// The next chunk of a chunked body; nil after the last one (the empty chunk and its trailer).
  func readChunk() throws -> [UInt8]? {
    let sizeLine = try line()
    guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16), size >= 0 else {
      throw Failure(description: "bad chunk size: \(sizeLine)")
    }
    if size == 0 {
      while try !line().isEmpty {}
      return nil
    }
    let data = try take(size)
    guard try line().isEmpty else { throw Failure(description: "a chunk does not end in CRLF") }
    return data
  }

  /// The whole body of an answer to `method`: none for HEAD, else by `Content-Length`, by chunks,
  /// or up to the end of the connection.
  func readBody(of head: Head, method: String = "GET") throws -> [UInt8] {
    if method == "HEAD" || head.status == 204 || head.status == 304 { return [] }
    if head.isChunked {
      var body: [UInt8] = []
      while let chunk = try readChunk() { body += chunk }
      return body
    }
    if let length = head.field("content-length").flatMap({ Int($0) }) { return try take(length) }
    while try fill() {}
    defer { pending = [] }
    return pending
  }

  /// Reads until the server ends the connection, discarding what comes: true if it did end it,
  /// false if a read failed (a timeout).
  func readsToTheEnd() -> Bool {
    pending = []
    while true {
      guard let more = try? fill() else { return false }
      if !more { return true }
      pending = []
    }
  }

  /// One request on a connection of its own (`Connection: close`), answered in full.
  static func request(port: Int, _ method: String = "GET", _ target: String) throws -> Reply {
    let connection = try LoopbackHTTP(port: port)
    defer { connection.close() }
    try connection.send(method, target, fields: ["Connection: close"])
    let head = try connection.readHead()
    return Reply(head: head, body: try connection.readBody(of: head, method: method))
  }

  /// The port of a view's URL, `http://127.0.0.1:PORT/`.
  static func port(of url: String) -> Int? {
    guard url.hasPrefix("http://127.0.0.1:"), url.hasSuffix("/") else { return nil }
    return Int(url.dropFirst("http://127.0.0.1:".count).dropLast())
  }

  /// More bytes into `pending`; false at the end of the stream.
  private func fill() throws -> Bool {
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    while true {
      let got = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
      if got > 0 {
        pending += buffer[..<got]
        return true
      }
      if got == 0 { return false }
      let code = errno
      if code == EINTR { continue }
      throw Failure(description: code == EAGAIN ? "recv: timed out" : "recv: errno \(code)")
    }
  }

  /// The next line, its CRLF removed.
  private func line() throws -> String {
    var searched = 0
    while true {
      if let end = (max(0, searched - 1)..<pending.count).first(where: {
        pending[$0] == UInt8(ascii: "\r") && $0 + 1 < pending.count && pending[$0 + 1] == UInt8(ascii: "\n")
      }) {
        let text = String(decoding: pending[..<end], as: UTF8.self)
        pending.removeFirst(end + 2)
        return text
      }
      searched = pending.count
      guard try fill() else { throw Failure(description: "the connection ended inside a line") }
    }
  }

  /// The next `count` bytes.
  private func take(_ count: Int) throws -> [UInt8] {
    while pending.count < count {
      guard try fill() else {
        throw Failure(description: "the connection ended after \(pending.count) of \(count) bytes")
      }
    }
    defer { pending.removeFirst(count) }
    return Array(pending[..<count])
  }
}

/// Runs blocking `work` (socket reads, a server's `stop()`) on a thread of its own, so that it
/// never holds one of the few threads Swift's tasks share with the server under test.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    let thread = Thread { continuation.resume(with: Result { try work() }) }
    thread.start()
  }
}

/// Waits (bounded: about 20 s) until `done` holds; true if it did. Not a timing assertion: the
/// bound only keeps a broken server from hanging the test.
func eventually(_ done: @Sendable () -> Bool) async -> Bool {
  for _ in 0..<2000 {
    if done() { return true }
    try? await Task.sleep(nanoseconds: 10_000_000)
  }
  return done()
}
