import Foundation
import GridMedia
import Testing

/// Clips made here with Debian's `ffmpeg` program (`testsrc2`), read back through FFmpeg's
/// libraries as a camera reads its source.
@Suite(.serialized) struct MediaInputTests {
  static let ffmpeg = "/usr/bin/ffmpeg"

  /// A folder of its own for one test's clips.
  static func folder() throws -> String {
    let path = NSTemporaryDirectory() + "gridstitch-media-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// Runs the `ffmpeg` program; its standard output.
  @discardableResult
  static func run(_ arguments: [String]) throws -> Data {
    try #require(FileManager.default.isExecutableFile(atPath: ffmpeg), "no \(ffmpeg): run `make test-deps`")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ffmpeg)
    process.arguments = ["-v", "error", "-nostdin"] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "ffmpeg \(arguments.joined(separator: " ")) failed")
    return data
  }

  /// A `testsrc2` clip of `frames` frames at 25 fps.
  static func clip(_ path: String, size: String, frames: Int, codec: [String]) throws {
    try run(
      ["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=25", "-frames:v", "\(frames)"] + codec + [path])
  }

  /// Every frame decodes, at its own time, to what `ffmpeg` itself decodes (grey, same size).
  @Test(
    .timeLimit(.minutes(1)), arguments: [["-c:v", "libx264", "-pix_fmt", "yuv420p"], ["-c:v", "mjpeg"]])
  func framesDecodeAsFFmpegDecodesThem(codec: [String]) throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + (codec[1] == "mjpeg" ? "/clip.mkv" : "/clip.mp4")
    try Self.clip(path, size: "320x240", frames: 8, codec: codec)
    let reference = [UInt8](try Self.run(["-i", path, "-f", "rawvideo", "-pix_fmt", "gray", "-"]))
    #expect(reference.count == 8 * 320 * 240)
    let input = try MediaInput(url: path)
    #expect(input.width == 320 && input.height == 240 && input.framesPerSecond == 25)
    var tile = [UInt8](repeating: 7, count: 320 * 240)
    for index in 0..<8 {
      let stamp = try #require(try input.next(loop: false))
      #expect(abs((stamp ?? -1) - Double(index) / 25) < 0.001)
      try tile.withUnsafeMutableBytes {
        try input.draw(into: $0, tileWidth: 320, tileHeight: 240, channels: 1)
      }
      let expected = reference[(index * 320 * 240)..<((index + 1) * 320 * 240)]
      let difference = zip(tile, expected).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
      #expect(Double(difference) / Double(tile.count) < 1.5, "frame \(index): mean difference")
    }
    #expect(try input.next(loop: false) == nil)
    #expect(input.decodeErrors == 0)
  }

  /// Bytes in memory read as the file they came from: the same frames, seeks included (an mp4's
  /// index is read at its end, and looping seeks back).
  @Test(.timeLimit(.minutes(1)))
  func bytesReadAsTheirFile() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/clip.mp4"
    try Self.clip(path, size: "160x120", frames: 3, codec: ["-c:v", "libx264", "-movflags", "+faststart"])
    let fromFile = try MediaInput(url: path)
    let fromBytes = try MediaInput(
      bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), name: "clip")
    #expect(fromBytes.width == 160 && fromBytes.height == 120 && fromBytes.codecName == "h264")
    var a = [UInt8](repeating: 0, count: 160 * 120 * 3)
    var b = a
    for _ in 0..<5 {
      #expect(try fromFile.next(loop: true) == fromBytes.next(loop: true))
      try a.withUnsafeMutableBytes {
        try fromFile.draw(into: $0, tileWidth: 160, tileHeight: 120, channels: 3)
      }
      try b.withUnsafeMutableBytes {
        try fromBytes.draw(into: $0, tileWidth: 160, tileHeight: 120, channels: 3)
      }
      #expect(a == b)
    }
    #expect(fromBytes.loops == 1)
    #expect(throws: MediaError.self) { try MediaInput(bytes: [], name: "nothing") }
  }

  /// A source plays again from its start at its end when asked to.
  @Test(.timeLimit(.minutes(1)))
  func aSourceLoops() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/clip.mp4"
    try Self.clip(path, size: "160x120", frames: 5, codec: ["-c:v", "libx264"])
    let input = try MediaInput(url: path)
    var stamps: [Double] = []
    for _ in 0..<12 { stamps.append(try #require(try input.next(loop: true)) ?? -1) }
    #expect(input.loops == 2)
    #expect(stamps.map { Int(($0 * 25).rounded()) } == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1])
  }

  /// A wide source keeps its aspect in a 4:3 tile: black bars above and below, the picture between.
  @Test(.timeLimit(.minutes(1)))
  func aspectIsKeptWithBlackBars() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/wide.mp4"
    try Self.clip(path, size: "1920x1080", frames: 1, codec: ["-c:v", "libx264"])
    let input = try MediaInput(url: path)
    _ = try #require(try input.next(loop: false))
    var tile = [UInt8](repeating: 99, count: 320 * 240 * 3)
    try tile.withUnsafeMutableBytes { try input.draw(into: $0, tileWidth: 320, tileHeight: 240, channels: 3) }
    let fit = TileFit(sourceWidth: 1920, sourceHeight: 1080, tileWidth: 320, tileHeight: 240)
    #expect(fit.x == 0 && fit.y == 30 && fit.width == 320 && fit.height == 180)
    let row = 320 * 3
    #expect(tile[0..<(30 * row)].allSatisfy { $0 == 0 })
    #expect(tile[(210 * row)...].allSatisfy { $0 == 0 })
    #expect(tile[(30 * row)..<(210 * row)].contains { $0 > 16 })
  }

  /// What cannot be opened is one error naming the call, the source and FFmpeg's reason.
  @Test(.timeLimit(.minutes(1)))
  func whatCannotBeOpenedSaysWhy() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    #expect(throws: MediaError.self) { try MediaInput(url: folder + "/missing.mp4") }
    do {
      _ = try MediaInput(url: folder + "/missing.mp4")
    } catch {
      #expect(error.description == "avformat_open_input(\(folder)/missing.mp4): No such file or directory")
    }
    try Data("not a video at all\n".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
    do {
      _ = try MediaInput(url: folder + "/notes.txt")
      Issue.record("a text file opened as a video")
    } catch {
      #expect(error.call.hasPrefix("avformat_") || error.call.hasPrefix("av_find_best_stream"), "\(error)")
    }
    // A connection refused on loopback.
    do {
      _ = try MediaInput(url: "tcp://127.0.0.1:9")
      Issue.record("a refused connection opened")
    } catch {
      #expect(error.description == "avformat_open_input(tcp://127.0.0.1:9): Connection refused")
    }
  }

  /// Damaged frames are counted and skipped: the clip plays to its end.
  @Test(.timeLimit(.minutes(1)))
  func damagedFramesAreCountedNotFatal() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/clip.mkv"
    try Self.clip(path, size: "320x240", frames: 25, codec: ["-c:v", "mjpeg"])
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    // Flip every byte of a stretch in each of the clip's middle fifths: inside frames' entropy
    // coded data and markers alike.
    for fifth in 1...3 {
      let start = bytes.count * fifth / 5
      for index in start..<(start + 3000) { bytes[index] ^= 0xA5 }
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let input = try MediaInput(url: path)
    var frames = 0
    var tile = [UInt8](repeating: 0, count: 320 * 240)
    while try input.next(loop: false) != nil {
      frames += 1
      try tile.withUnsafeMutableBytes {
        try input.draw(into: $0, tileWidth: 320, tileHeight: 240, channels: 1)
      }
    }
    #expect(input.decodeErrors > 0)
    #expect(
      frames > 10 && frames + input.decodeErrors >= 22, "\(frames) frames, \(input.decodeErrors) errors")
  }
}
