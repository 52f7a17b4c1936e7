import Foundation
import GridCore
import GridImage
import Synchronization
import Testing

@testable import GridView

/// A pipeline as the live view sees it: a 64×48 grey grid of known pixels, copied anew (a new
/// version) every time it is asked for, known figures, and a count of the viewers it was told of.
final class FakeLiveSource: LiveSource {
  static let width = 64
  static let height = 48
  /// A gradient with a bright square: smooth enough for JPEG, exact for PNG.
  static let pixels: [UInt8] = {
    var pixels = [UInt8](repeating: 250, count: width * height)
    for y in 0..<height {
      for x in 0..<width where !((8..<24).contains(x) && (8..<24).contains(y)) {
        pixels[y * width + x] = UInt8(x * 2 + y * 2)
      }
    }
    return pixels
  }()
  static let figures =
    #"{"running":true,"grids":42,"fps":12.5,"viewers":0,"camera_states":[{"camera":0,"state":"live"}]}"#
  static let staleFigures = #"{"running":true,"grids":1,"stale":true}"#

  private struct State {
    var version = 0
    var added = 0
    var removed = 0
    var ended = false
    var statsReads = 0
  }

  private let state = Mutex(State())
  private let hasGrid: Bool
  /// The first figures read are stale (`statsAreCurrent` false until they are read again).
  private let staleFirst: Bool

  init(hasGrid: Bool = true, staleFirst: Bool = false) {
    self.hasGrid = hasGrid
    self.staleFirst = staleFirst
  }

  func latestGrid() -> LiveGrid? {
    guard hasGrid else { return nil }
    let version = state.withLock {
      $0.version += 1
      return $0.version
    }
    return LiveGrid(
      version: version, width: Self.width, height: Self.height, channels: 1, pixels: Self.pixels)
  }

  func statsJSON() -> String {
    let reads = state.withLock {
      $0.statsReads += 1
      return $0.statsReads
    }
    return staleFirst && reads == 1 ? Self.staleFigures : Self.figures
  }

  var statsAreCurrent: Bool { !staleFirst || state.withLock { $0.statsReads >= 2 } }
  var hasEnded: Bool { state.withLock { $0.ended } }
  func addViewer() { state.withLock { $0.added += 1 } }
  func removeViewer() { state.withLock { $0.removed += 1 } }

  func end() { state.withLock { $0.ended = true } }
  var watching: Int { state.withLock { $0.added - $0.removed } }
  var added: Int { state.withLock { $0.added } }
  var removed: Int { state.withLock { $0.removed } }
  var statsReads: Int { state.withLock { $0.statsReads } }
}

/// The live view's routes (`run --serve`), served in-process on a loopback port of the kernel's
/// choosing and asked over real TCP: what each answers, with which type, and the viewers counted.
@Suite(.serialized) struct LiveServerRouteTests {
  static let boundary = "gridstitch-frame"

  /// A live view of `source` through the program's own maker (`WebViews.hummingbird`).
  static func serve(_ source: FakeLiveSource, framesPerSecond: Int = 10) throws -> (
    view: any WebView, port: Int
  ) {
    let view = try WebViews.hummingbird.live(source, "127.0.0.1", 0, framesPerSecond)
    guard let port = LoopbackHTTP.port(of: view.url), port > 0 else {
      view.stop()
      throw LoopbackHTTP.Failure(description: "unexpected URL \(view.url)")
    }
    return (view, port)
  }

  /// Runs `body` against a live view of `source`, then stops the view (off the task pool: its
  /// graceful shutdown needs the pool's threads), whether `body` threw or not.
  static func withView(
    _ source: FakeLiveSource, _ body: (any WebView, Int) async throws -> Void
  ) async throws {
    let (view, port) = try await offThePool { try serve(source) }
    do {
      try await body(view, port)
    } catch {
      await stop(view)
      throw error
    }
    await stop(view)
  }

  static func get(_ port: Int, _ target: String, method: String = "GET") async throws -> LoopbackHTTP.Reply {
    try await offThePool { try LoopbackHTTP.request(port: port, method, target) }
  }

  static func stop(_ view: any WebView) async {
    _ = try? await offThePool { view.stop() }
  }

  /// The first part of an MJPEG body: `--boundary`, its fields, its JPEG and the next boundary,
  /// read from a chunked stream whose head has been read. Nil if the framing is not that.
  static func firstPart(of connection: LoopbackHTTP) throws -> (fields: String, jpeg: [UInt8])? {
    let opening = Array("--\(boundary)\r\n".utf8)
    let closing = Array("\r\n--\(boundary)\r\n".utf8)
    var body: [UInt8] = []
    while true {
      guard let chunk = try connection.readChunk() else { return nil }
      body += chunk
      guard body.count >= opening.count else { continue }
      guard body.starts(with: opening) else { return nil }
      guard let end = find(Array("\r\n\r\n".utf8), in: body, from: opening.count) else { continue }
      let fields = String(decoding: body[opening.count..<end], as: UTF8.self)
      guard
        let lengthField = fields.split(separator: "\r\n").first(where: {
          $0.lowercased().hasPrefix("content-length:")
        }),
        let length = Int(lengthField.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
      else { return nil }
      let start = end + 4
      guard body.count >= start + length + closing.count else { continue }
      guard Array(body[(start + length)..<(start + length + closing.count)]) == closing else { return nil }
      return (fields, Array(body[start..<(start + length)]))
    }
  }

  /// The next Server-Sent Event (up to and including its blank line), from `carry` and then the
  /// stream's chunks; what follows it stays in `carry`. Nil if the stream ends first.
  static func nextEvent(of connection: LoopbackHTTP, carry: inout String) throws -> String? {
    while true {
      if let end = carry.range(of: "\n\n") {
        let event = String(carry[..<end.upperBound])
        carry.removeSubrange(..<end.upperBound)
        return event
      }
      guard let chunk = try connection.readChunk() else { return nil }
      carry += String(decoding: chunk, as: UTF8.self)
    }
  }

  static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
    guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
    return (start...(haystack.count - needle.count)).first {
      haystack[$0..<($0 + needle.count)].elementsEqual(needle)
    }
  }

  /// JPEG facts: its size from the header, and its pixels decoded as grey at that size.
  static func decodeJPEG(_ jpeg: [UInt8]) throws -> (header: JPEGHeader, pixels: [UInt8]) {
    let decoder = try JPEGDecoder()
    return try jpeg.withUnsafeBytes { bytes in
      let header = try decoder.header(of: bytes, maxSide: 4096)
      let pixels = try decoder.decode(
        bytes, maxSide: 4096, covering: header.width, header.height, channels: 1
      ) { source in
        Array(source.pixels)
      }
      return (header, pixels)
    }
  }

  static func meanDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
    guard a.count == b.count, !a.isEmpty else { return .infinity }
    return Double(zip(a, b).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(a.count)
  }

  /// `/`: the page from the binary, whose image is the stream, whose figures come from
  /// `/events`, and whose script finds every element it writes to.
  @Test(.timeLimit(.minutes(1)))
  func thePageShowsTheStreamAndTheFigures() async throws {
    let source = FakeLiveSource()
    try await Self.withView(source) { view, port in
      #expect(view.url == "http://127.0.0.1:\(port)/")

      let page = try await Self.get(port, "/")
      #expect(page.status == 200)
      #expect(page.contentType == "text/html; charset=utf-8")
      #expect(page.head.field("cache-control") == "no-cache")
      #expect(page.text == LivePage.html)
      #expect(page.text.contains("<title>gridstitch live</title>"))
      #expect(page.text.contains(#"<img id="grid" src="/stream.mjpg""#))
      #expect(page.text.contains(#"new EventSource("/events")"#))
      #expect(page.text.contains(#"events.addEventListener("end""#))
      // No outside assets: nothing the page loads names another host.
      #expect(!page.text.contains("://"))
      // Every element the script writes to is on the page.
      let ids = page.text.components(separatedBy: "$(\"").dropFirst().compactMap {
        $0.split(separator: "\"").first
      }
      #expect(ids.count >= 15)
      for id in Set(ids) {
        #expect(page.text.contains("id=\"\(id)\""), "the script writes to #\(id), absent")
      }
      // Reading the page watches nothing.
      #expect(source.added == 0)
    }
  }

  /// `/stats.json`: the source's figures as they are, one line, as JSON.
  @Test(.timeLimit(.minutes(1)))
  func statsAreTheSourcesFigures() async throws {
    let source = FakeLiveSource()
    try await Self.withView(source) { view, port in
      let reply = try await Self.get(port, "/stats.json")
      #expect(reply.status == 200)
      #expect(reply.contentType == "application/json")
      #expect(reply.head.field("cache-control") == "no-cache")
      #expect(reply.text == FakeLiveSource.figures + "\n")
      let object = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
      #expect(object?["grids"] as? Int == 42)
      #expect(source.added == 0)
    }
  }

  /// Figures found stale are read again (after a wait), and the fresh ones are the answer.
  @Test(.timeLimit(.minutes(1)))
  func staleFiguresAreReadAgain() async throws {
    let source = FakeLiveSource(staleFirst: true)
    try await Self.withView(source) { view, port in
      let reply = try await Self.get(port, "/stats.json")
      #expect(reply.status == 200)
      #expect(reply.text == FakeLiveSource.figures + "\n")
      #expect(source.statsReads == 2)
    }
  }

  /// `/snapshot.png`: the grid, pixel for pixel; the viewer it took to copy it has left.
  @Test(.timeLimit(.minutes(1)))
  func thePNGSnapshotIsTheGridExactly() async throws {
    let source = FakeLiveSource()
    try await Self.withView(source) { view, port in
      let reply = try await Self.get(port, "/snapshot.png")
      #expect(reply.status == 200)
      #expect(reply.contentType == "image/png")
      #expect(reply.head.field("cache-control") == "no-cache")
      let image = try PNG.decode(reply.body, channels: 1, path: "snapshot.png")
      #expect(image.width == FakeLiveSource.width && image.height == FakeLiveSource.height)
      #expect(image.pixels == FakeLiveSource.pixels)
      #expect(source.added >= 1)
      #expect(await eventually { source.watching == 0 })
    }
  }

  /// `/snapshot.jpg`: a JPEG of the grid's size and, near enough, its pixels; its viewer leaves.
  @Test(.timeLimit(.minutes(1)))
  func theJPEGSnapshotIsTheGridAsJPEG() async throws {
    let source = FakeLiveSource()
    try await Self.withView(source) { view, port in
      let reply = try await Self.get(port, "/snapshot.jpg")
      #expect(reply.status == 200)
      #expect(reply.contentType == "image/jpeg")
      #expect(reply.head.field("cache-control") == "no-cache")
      #expect(reply.body.starts(with: [0xFF, 0xD8, 0xFF]))
      #expect(reply.body.suffix(2).elementsEqual([0xFF, 0xD9]))
      let (header, pixels) = try Self.decodeJPEG(reply.body)
      #expect(header == JPEGHeader(width: FakeLiveSource.width, height: FakeLiveSource.height))
      #expect(Self.meanDifference(pixels, FakeLiveSource.pixels) < 8)
      #expect(source.added >= 1)
      #expect(await eventually { source.watching == 0 })
    }
  }

  /// `/stream.mjpg`: multipart with the named boundary, JPEG parts of the grid; each open stream
  /// is one viewer, and a viewer that hangs up is removed.
  @Test(.timeLimit(.minutes(1)))
  func theStreamIsMJPEGAndCountsItsViewers() async throws {
    let source = FakeLiveSource()
    try await Self.withView(source) { view, port in

      let open = {
        @Sendable () throws -> (LoopbackHTTP, LoopbackHTTP.Head, (fields: String, jpeg: [UInt8])?) in
        let connection = try LoopbackHTTP(port: port)
        try connection.send("GET", "/stream.mjpg")
        let head = try connection.readHead()
        return (connection, head, head.isChunked ? try Self.firstPart(of: connection) : nil)
      }
      let (first, head, part) = try await offThePool(open)
      defer { first.close() }
      #expect(head.status == 200)
      #expect(head.field("content-type") == "multipart/x-mixed-replace; boundary=\(Self.boundary)")
      #expect(head.field("cache-control") == "no-cache, no-store")
      #expect(head.isChunked)
      let (fields, jpeg) = try #require(part, "the stream's first part is not a boundary, fields and a JPEG")
      #expect(fields.hasPrefix("Content-Type: image/jpeg\r\n"))
      #expect(jpeg.starts(with: [0xFF, 0xD8, 0xFF]))
      let (header, pixels) = try Self.decodeJPEG(jpeg)
      #expect(header == JPEGHeader(width: FakeLiveSource.width, height: FakeLiveSource.height))
      #expect(Self.meanDifference(pixels, FakeLiveSource.pixels) < 8)
      #expect(source.watching == 1)

      let (second, _, secondPart) = try await offThePool(open)
      defer { second.close() }
      #expect(secondPart != nil)
      #expect(source.watching == 2)

      first.close()
      #expect(await eventually { source.watching == 1 }, "a closed stream's viewer was not removed")
      second.close()
      #expect(await eventually { source.watching == 0 }, "a closed stream's viewer was not removed")
      #expect(source.added == 2 && source.removed == 2)
    }
  }

  /// `stop()` ends an open stream (the client reads to its end), closes the port, and does
  /// nothing a second time.
  @Test(.timeLimit(.minutes(1)))
  func stopEndsStreamsAndClosesThePort() async throws {
    let source = FakeLiveSource()
    let (view, port) = try await offThePool { try Self.serve(source) }
    let connection = try await offThePool { () throws -> LoopbackHTTP in
      let connection = try LoopbackHTTP(port: port)
      try connection.send("GET", "/stream.mjpg")
      _ = try connection.readHead()
      _ = try Self.firstPart(of: connection)
      return connection
    }
    defer { connection.close() }
    #expect(source.watching == 1)
    await Self.stop(view)
    #expect(try await offThePool { connection.readsToTheEnd() }, "the stream did not end")
    await Self.stop(view)
    #expect(throws: LoopbackHTTP.Failure.self) { try LoopbackHTTP(port: port) }
  }

  /// `/events`: each event is the source's figures; once the run has ended, the last one is
  /// `event: end` with the final figures, and the stream ends.
  @Test(.timeLimit(.minutes(1)))
  func eventsCarryTheFiguresAndEndWithTheRun() async throws {
    let source = FakeLiveSource()
    try await Self.withView(source) { view, port in
      let (connection, head, first) = try await offThePool {
        () throws -> (LoopbackHTTP, LoopbackHTTP.Head, String?) in
        let connection = try LoopbackHTTP(port: port)
        try connection.send("GET", "/events")
        let head = try connection.readHead()
        var carry = ""
        return (connection, head, head.isChunked ? try Self.nextEvent(of: connection, carry: &carry) : nil)
      }
      defer { connection.close() }
      #expect(head.status == 200)
      #expect(head.field("content-type") == "text/event-stream")
      #expect(head.field("cache-control") == "no-cache")
      #expect(first == "data: \(FakeLiveSource.figures)\n\n")

      source.end()
      let (events, finished) = try await offThePool { () throws -> ([String], Bool) in
        var carry = ""
        var events: [String] = []
        while let event = try Self.nextEvent(of: connection, carry: &carry) {
          events.append(event)
          if event.hasPrefix("event: end\n") { break }
        }
        return (events, try connection.readChunk() == nil && carry.isEmpty)
      }
      #expect(events.last == "event: end\ndata: \(FakeLiveSource.figures)\n\n")
      #expect(events.dropLast().allSatisfy { $0 == "data: \(FakeLiveSource.figures)\n\n" })
      #expect(finished, "the event stream went on after `event: end`")
      // The figures are not a viewer: nothing was watched.
      #expect(source.added == 0)
    }
  }

  /// Only the six routes exist, for GET only: any other path or method is 404.
  @Test(.timeLimit(.minutes(1)))
  func everythingElseIs404() async throws {
    let source = FakeLiveSource()
    try await Self.withView(source) { view, port in
      let requests = [
        ("GET", "/nope"), ("GET", "/index.html"), ("GET", "/STATS.JSON"), ("GET", "/stats.json/x"),
        ("GET", "/snapshot.gif"), ("GET", "/stream.mjpg/x"), ("GET", "/image/grid-000001.png"),
        ("GET", "/../stats.json/x"), ("POST", "/stats.json"), ("POST", "/"), ("PUT", "/snapshot.png"),
        ("DELETE", "/"), ("HEAD", "/"), ("HEAD", "/stats.json"), ("OPTIONS", "/events"),
      ]
      for (method, target) in requests {
        let reply = try await Self.get(port, target, method: method)
        #expect(reply.status == 404, "\(method) \(target)")
      }
      #expect(source.added == 0)
    }
  }

  /// Before the first grid, the pictures are 503 with `Retry-After: 1` (after a bounded wait
  /// for one); the figures are served all the same.
  @Test(.timeLimit(.minutes(1)))
  func picturesBeforeTheFirstGridAre503() async throws {
    let source = FakeLiveSource(hasGrid: false)
    try await Self.withView(source) { view, port in
      for target in ["/snapshot.png", "/snapshot.jpg"] {
        let reply = try await Self.get(port, target)
        #expect(reply.status == 503, "\(target)")
        #expect(reply.contentType == "text/plain; charset=utf-8", "\(target)")
        #expect(reply.head.field("retry-after") == "1", "\(target)")
        #expect(reply.text == "no grid yet: the cameras are starting\n", "\(target)")
      }
      let stats = try await Self.get(port, "/stats.json")
      #expect(stats.status == 200)
      #expect(await eventually { source.watching == 0 })
    }
  }

  /// A port already in use is a one-line error, and the view serving it goes on.
  @Test(.timeLimit(.minutes(1)))
  func aPortInUseIsAOneLineError() async throws {
    let source = FakeLiveSource()
    try await Self.withView(source) { view, port in
      let refusal = await #expect(throws: ServeError.self) {
        _ = try await offThePool { try WebViews.hummingbird.live(source, "127.0.0.1", port, 10) }
      }
      #expect(refusal?.description == "--serve 127.0.0.1:\(port): the address is already in use")
      let stats = try await Self.get(port, "/stats.json")
      #expect(stats.status == 200)
    }
  }
}
