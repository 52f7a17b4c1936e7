import Foundation
import GridCore
import GridMedia
import GridPosix
import Testing

@testable import GridTransports

/// The reader a camera gives a live source: its newest frame while frames come, the NO SIGNAL
/// card once they stop for the silence allowed, and the source opened again with backoff. A
/// short file stands in for a stream that stops: it ends, as a stream does when its server goes.
@Suite(.serialized) struct LiveReaderTests {
  static let geometry = FrameGeometry(width: 160, height: 120, channels: 1)

  /// A 5-frame MJPEG clip made by the `ffmpeg` program.
  static func clip() throws -> (folder: String, path: String) {
    let folder = NSTemporaryDirectory() + "gridstitch-reader-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
    process.arguments = [
      "-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "5",
      "-c:v",
      "mjpeg", folder + "/clip.mkv",
    ]
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "ffmpeg could not make the clip: run `make test-deps`")
    return (folder, folder + "/clip.mkv")
  }

  /// Makes a file of `clip` with the `ffmpeg` program's `arguments`, the last its path.
  static func make(from clip: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
    process.arguments = ["-v", "error", "-nostdin", "-i", clip] + arguments
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
    return arguments.last!
  }

  /// What `show` gives now: the figures, whether a frame's time came with it, and the pixels.
  static func shown(_ reader: LiveReader) -> (figures: SourceCount, fresh: Bool, pixels: [UInt8]) {
    var pixels = [UInt8](repeating: 7, count: geometry.bytesPerFrame)
    let view = pixels.withUnsafeMutableBytes { reader.show(into: $0) }
    return (view.figures, view.decodedAt != nil, pixels)
  }

  /// Polls `reader` until `wanted` holds (bounded); the last look.
  static func await(
    _ reader: LiveReader, seconds: Double,
    _ wanted: ((figures: SourceCount, fresh: Bool, pixels: [UInt8])) -> Bool
  ) throws -> (figures: SourceCount, fresh: Bool, pixels: [UInt8]) {
    let deadline = Date().addingTimeInterval(seconds)
    var last = shown(reader)
    while !wanted(last) && Date() < deadline {
      usleep(20_000)
      last = shown(reader)
    }
    try #require(wanted(last), "never: \(last.figures)")
    return last
  }

  @Test(.timeLimit(.minutes(1)))
  func silenceIsNoSignalAndTheSourceIsOpenedAgain() throws {
    let (folder, path) = try Self.clip()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let reader = try LiveReader(
      source: MediaSource(path), settings: SourceSettings(silenceNanos: 300_000_000), geometry: Self.geometry)
    defer { reader.stop() }
    #expect(reader.awaitFrame(after: 0, until: MonotonicClock.nanos() + 10_000_000_000))
    var card = [UInt8](repeating: 0, count: Self.geometry.bytesPerFrame)
    card.withUnsafeMutableBytes { NoSignalCard.draw(into: $0, geometry: Self.geometry) }

    // Frames came: the newest is shown, with its decode time.
    let playing = try Self.await(reader, seconds: 5) { $0.figures.state == .playing }
    #expect(playing.fresh && playing.pixels != card)
    // The clip has ended and nothing comes for 0.3 s: the card, and the source is being opened
    // again (or already open and silent).
    let silent = try Self.await(reader, seconds: 5) { $0.figures.state != .playing }
    #expect(!silent.fresh && silent.pixels == card)
    #expect([.reconnecting, .noSignal].contains(silent.figures.state))
    // Each opening plays the clip's 5 frames (a slow look may have missed the first silence).
    #expect(silent.figures.decodedFrames == 5 * (silent.figures.reconnects + 1), "\(silent.figures)")
    // 0.5 s after the loss it is opened again: frames, counted as a reconnect.
    let back = try Self.await(reader, seconds: 10) {
      $0.figures.reconnects >= 1 && $0.figures.decodedFrames > 5
    }
    #expect(back.figures.decodeErrors == 0)
  }

  /// A server that refuses is asked again every 0.5 s, however long it has refused (a refusal
  /// costs it nothing): one that starts listening after 8 s of refusals — past the 0.5, 1, 2 and
  /// 4 s steps, where the growing backoff would wait 8 s more — is filmed within 2 s.
  @Test(.timeLimit(.minutes(1)))
  func aServerBackAfterLongRefusalIsFilmedWithinAStep() throws {
    let (folder, path) = try Self.clip()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let stream = try Self.make(from: path, ["-c:v", "mpeg2video", "-f", "mpegts", folder + "/clip.ts"])
    // Bound but not listening: a connection to it is refused, and the port stays ours.
    let bound = try LoopbackSocket.bound()
    let server = bound.descriptor
    defer { close(server) }
    let port = bound.port
    let reader = try LiveReader(
      source: MediaSource("tcp://127.0.0.1:\(port)"), settings: SourceSettings(silenceNanos: 500_000_000),
      geometry: Self.geometry)
    defer { reader.stop() }
    Thread.sleep(forTimeInterval: 8)
    #expect(Self.shown(reader).figures.state == .reconnecting)

    try #require(listen(server, 1) == 0)
    let listening = MonotonicClock.nanos()
    let client = accept(server, nil, nil)
    try #require(client >= 0)
    defer { close(client) }
    let bytes = try #require(FileManager.default.contents(atPath: stream))
    let sent = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    #expect(sent == bytes.count)
    #expect(reader.awaitFrame(after: 0, until: listening + 2_000_000_000), "not filmed within 2 s")
  }

  /// A source that cannot be opened at all is tried again and again, the card shown meanwhile,
  /// and `stop` ends the reader in its backoff at once.
  @Test(.timeLimit(.minutes(1)))
  func aSourceThatNeverOpensIsTheCardAndStops() throws {
    let reader = try LiveReader(
      source: MediaSource("tcp://127.0.0.1:9"), settings: SourceSettings(silenceNanos: 200_000_000),
      geometry: Self.geometry)
    Thread.sleep(forTimeInterval: 0.8)
    let look = Self.shown(reader)
    #expect(look.figures.state == .reconnecting && !look.fresh && look.figures.decodedFrames == 0)
    reader.stop()
  }
}
