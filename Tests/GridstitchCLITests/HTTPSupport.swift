import CTurboJPEG
import Foundation
import Testing

/// HTTP through a real client (curl), to servers on loopback only.
enum HTTP {
  struct Reply {
    var status: Int
    var contentType: String
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
  }

  /// One request; `maxSeconds` bounds it (a stream is read until then). `pathAsIs` sends `..`
  /// unnormalised; `headers` are sent as given.
  static func request(
    _ url: String, method: String = "GET", json: String? = nil, maxSeconds: Double = 15,
    pathAsIs: Bool = false, headers: [String: String] = [:]
  ) throws -> Reply {
    precondition(url.hasPrefix("http://127.0.0.1:"), "tests talk to loopback only")
    let bodyFile = NSTemporaryDirectory() + "gridstitch-http-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: bodyFile) }
    var arguments = [
      "-s", "-o", bodyFile, "-w", "%{http_code}\n%{content_type}", "--max-time", String(maxSeconds), "-X",
      method,
    ]
    if pathAsIs { arguments.append("--path-as-is") }
    for (name, value) in headers.sorted(by: { $0.key < $1.key }) { arguments += ["-H", "\(name): \(value)"] }
    if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
    arguments.append(url)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let written = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let lines = String(decoding: written, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false)
    let body = FileManager.default.contents(atPath: bodyFile) ?? Data()
    return Reply(
      status: Int(lines.first ?? "") ?? 0, contentType: lines.count > 1 ? String(lines[1]) : "", body: body)
  }

  /// Several GETs at once (each its own curl), for concurrent viewers.
  static func concurrently(_ urls: [String], maxSeconds: Double) throws -> [Reply] {
    let replies = Box<[Int: Reply]>([:])
    let failures = Box<[String]>([])
    DispatchQueue.concurrentPerform(iterations: urls.count) { index in
      do {
        let reply = try request(urls[index], maxSeconds: maxSeconds)
        replies.update { $0[index] = reply }
      } catch {
        failures.update { $0.append("\(error)") }
      }
    }
    try #require(failures.value.isEmpty, "\(failures.value)")
    return urls.indices.map { replies.value[$0]! }
  }

  /// Polls `url` until it answers 200 and `ready` accepts the reply (bounded).
  @discardableResult
  static func await(_ url: String, seconds: Double = 30, ready: (Reply) -> Bool = { _ in true }) throws
    -> Reply
  {
    let deadline = Date().addingTimeInterval(seconds)
    var last: Reply?
    while Date() < deadline {
      if let reply = try? request(url, maxSeconds: 2), reply.status == 200 {
        last = reply
        if ready(reply) { return reply }
      }
      usleep(100_000)
    }
    return try #require(
      nil as Reply?, "\(url) never became ready (last: \(last?.text.prefix(200) ?? "no answer"))")
  }

  static func json(_ reply: Reply) throws -> [String: Any] {
    try #require(
      try JSONSerialization.jsonObject(with: reply.body) as? [String: Any], "not JSON: \(reply.text)")
  }
}

final class Box<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: Value
  init(_ value: Value) { stored = value }
  var value: Value { lock.withLock { stored } }
  func update(_ change: (inout Value) -> Void) { lock.withLock { change(&stored) } }
}

/// A loopback port nobody listens on now (the kernel's pick, released at once).
enum FreePort {
  static func pick() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(descriptor >= 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
      }
    }
    try #require(bound)
    return Int(UInt16(bigEndian: address.sin_port))
  }
}

/// A loopback port held busy (bound and listening) until `release()`: the kernel's pick.
final class BusyPort {
  let port: Int
  private let descriptor: Int32

  init() throws {
    descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(descriptor >= 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let fd = descriptor
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0 && listen(fd, 1) == 0
      }
    }
    port = Int(UInt16(bigEndian: address.sin_port))
    if !bound { close(descriptor) }
    try #require(bound)
  }

  func release() { close(descriptor) }
}

/// JPEG facts read by libturbojpeg itself.
enum JPEGCheck {
  /// Width and height after a full decode; nil if libturbojpeg cannot decode it.
  static func decodedSize(_ jpeg: Data) -> (width: Int, height: Int)? {
    guard let handle = tjInitDecompress() else { return nil }
    defer { tjDestroy(handle) }
    let bytes = [UInt8](jpeg)
    var width: Int32 = 0
    var height: Int32 = 0
    var subsampling: Int32 = 0
    var colorspace: Int32 = 0
    guard
      tjDecompressHeader3(handle, bytes, UInt(bytes.count), &width, &height, &subsampling, &colorspace) == 0
    else { return nil }
    var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
    guard
      tjDecompress2(handle, bytes, UInt(bytes.count), &pixels, width, 0, height, Int32(TJPF_RGB.rawValue), 0)
        == 0
    else { return nil }
    return (Int(width), Int(height))
  }

  /// The whole JPEG parts of a multipart/x-mixed-replace body: each part's Content-Length bytes,
  /// present in full and followed by the boundary (a cut-off last part is not counted).
  static func mjpegParts(_ body: Data, boundary: String) -> [Data] {
    let bytes = [UInt8](body)
    let marker = Array("--\(boundary)\r\n".utf8)
    let closing = Array("\r\n--\(boundary)".utf8)
    var parts: [Data] = []
    var position = 0
    guard bytes.starts(with: marker) else { return [] }
    position = marker.count
    while position < bytes.count {
      guard let headerEnd = find(Array("\r\n\r\n".utf8), in: bytes, from: position) else { break }
      let headers = String(decoding: bytes[position..<headerEnd], as: UTF8.self)
      guard
        let lengthLine = headers.split(separator: "\r\n").first(where: {
          $0.lowercased().hasPrefix("content-length:")
        }),
        let length = Int(lengthLine.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))
      else { break }
      let start = headerEnd + 4
      let end = start + length
      guard end + closing.count <= bytes.count, Array(bytes[end..<end + closing.count]) == closing else {
        break
      }
      parts.append(Data(bytes[start..<end]))
      position = end + closing.count + 2  // past the boundary's CRLF
    }
    return parts
  }

  private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    var index = start
    while index + needle.count <= haystack.count {
      if haystack[index] == needle[0] && Array(haystack[index..<index + needle.count]) == needle {
        return index
      }
      index += 1
    }
    return nil
  }
}

extension CLI.Running {
  /// SIGKILL if still running (its cameras die with it), then reaped.
  func stopIfRunning() {
    if process.isRunning { _ = wait(seconds: 0) }
  }
}
