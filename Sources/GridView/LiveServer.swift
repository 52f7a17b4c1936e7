import GridCore
import GridImage
import Hummingbird
import Synchronization

/// `gridstitch run --serve`: the page, the MJPEG stream, snapshots and the figures of a running
/// pipeline. Only these routes exist; anything else is 404.
public final class LiveServer: Sendable {
  /// The MJPEG part boundary.
  static let boundary = "gridstitch-frame"
  /// Figures pushed to the page, per second.
  public static let eventsPerSecond = 4

  private let source: any LiveSource
  private let encoder: LiveEncoder
  private let server: WebServer
  private let stopped = Mutex(false)

  public var url: String { server.url }
  public var port: Int { server.port }

  /// Binds `host:port` (port 0: the kernel picks) and starts serving `source`.
  public init(source: any LiveSource, host: String, port: Int, framesPerSecond: Int) throws(ServeError) {
    let encoder = LiveEncoder(source: source, framesPerSecond: framesPerSecond)
    let router = Router()
    Self.addRoutes(to: router, source: source, encoder: encoder, framesPerSecond: framesPerSecond)
    do {
      server = try WebServer(host: host, port: port, router: router)
    } catch {
      encoder.stop()
      throw error
    }
    self.source = source
    self.encoder = encoder
  }

  /// Ends every stream (each event stream first sends the final figures), then the server.
  public func stop() {
    let first = stopped.withLock { isStopped in
      defer { isStopped = true }
      return !isStopped
    }
    guard first else { return }
    encoder.stop()
    server.stop()
  }

  private static func addRoutes(
    to router: Router<BasicRequestContext>, source: any LiveSource, encoder: LiveEncoder, framesPerSecond: Int
  ) {
    router.get("/") { _, _ in
      Response(
        status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
        body: .init(byteBuffer: ByteBuffer(string: LivePage.html)))
    }
    router.get("/stats.json") { _, _ in
      // Nobody read them lately, so the pipeline made none: this read asks for them.
      var stats = source.statsJSON()
      if !source.statsAreCurrent {
        try? await Task.sleep(nanoseconds: 250_000_000)
        stats = source.statsJSON()
      }
      return Response(
        status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache"],
        body: .init(byteBuffer: ByteBuffer(string: stats + "\n")))
    }
    // A picture answer is worth at most what a viewer of the stream gets.
    let jpegAnswers = AnswerPacer(perSecond: framesPerSecond)
    router.get("/snapshot.jpg") { _, _ in
      guard await jpegAnswers.turn() else { return busy() }
      guard let frame = await encoder.currentFrame() else { return unavailable() }
      return Response(
        status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "no-cache"],
        body: .init(byteBuffer: frame.jpeg))
    }
    let snapshots = SnapshotEncoder()
    let pngAnswers = AnswerPacer(perSecond: Self.pngAnswersPerSecond)
    router.get("/snapshot.png") { _, _ in
      guard await pngAnswers.turn() else { return busy() }
      var png = await snapshots.rationed()
      if png == nil {
        guard let grid = await freshGrid(source) else { return unavailable() }
        png = try await snapshots.png(of: grid)
      }
      return Response(
        status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-cache"],
        body: .init(byteBuffer: png!))
    }
    router.get("/stream.mjpg") { _, _ in
      Response(
        status: .ok,
        headers: [
          .contentType: "multipart/x-mixed-replace; boundary=\(boundary)",
          .cacheControl: "no-cache, no-store",
        ],
        body: ResponseBody { writer in
          try await writer.write(ByteBuffer(string: "--\(boundary)\r\n"))
          for await frame in encoder.subscribe() {
            var part = ByteBuffer()
            part.writeString(
              "Content-Type: image/jpeg\r\nContent-Length: \(frame.jpeg.readableBytes)\r\n\r\n")
            // The closing boundary goes right after the JPEG: browsers show a part only then.
            try await writer.write(contentsOf: [
              part, frame.jpeg, ByteBuffer(string: "\r\n--\(boundary)\r\n"),
            ])
          }
          try await writer.finish(nil)
        })
    }
    router.get("/events") { _, _ in
      Response(
        status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
        body: ResponseBody { writer in
          while !Task.isCancelled {
            let ended = source.hasEnded
            let stats = source.statsJSON()
            try await writer.write(ByteBuffer(string: (ended ? "event: end\n" : "") + "data: \(stats)\n\n"))
            if ended { break }
            try await Task.sleep(nanoseconds: 1_000_000_000 / UInt64(eventsPerSecond))
          }
          try await writer.finish(nil)
        })
    }
  }

  /// `/snapshot.png` answers a second, for every client together (the picture itself changes at
  /// most a tenth of the time its encode takes).
  static let pngAnswersPerSecond = 8

  private static func busy() -> Response {
    Response(
      status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8", .retryAfter: "1"],
      body: .init(byteBuffer: ByteBuffer(string: "busy: too many picture requests waiting\n")))
  }

  private static func unavailable() -> Response {
    Response(
      status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8", .retryAfter: "1"],
      body: .init(byteBuffer: ByteBuffer(string: "no grid yet: the cameras are starting\n")))
  }

  /// A grid copied after the request arrived (the last one, once the run has ended).
  private static func freshGrid(_ source: any LiveSource) async -> LiveGrid? {
    let before = source.latestGrid()?.version
    source.addViewer()
    defer { source.removeViewer() }
    for _ in 0..<300 {
      if let grid = source.latestGrid(), grid.version != before || source.hasEnded { return grid }
      try? await Task.sleep(nanoseconds: 10_000_000)
    }
    return source.latestGrid()
  }
}
