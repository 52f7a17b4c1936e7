import Foundation
import GridMedia
import Testing

/// Recordings written by `VideoRecorder`, read back by Debian's `ffprobe` and `ffmpeg` programs and
/// by `MediaInput`: the size, the codec, every picture at its time, and the pixels within what
/// H.264's loss allows.
@Suite(.serialized) struct VideoRecorderTests {
  static let ffprobe = "/usr/bin/ffprobe"

  /// A picture that moves with `index`: a diagonal ramp, and in RGB a different one per channel.
  static func picture(_ index: Int, width: Int, height: Int, channels: Int) -> [UInt8] {
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    for y in 0..<height {
      for x in 0..<width {
        for channel in 0..<channels {
          let value = (x * (channel + 1) + y * 2 + index * 4) % 256
          pixels[(y * width + x) * channels + channel] = UInt8(value)
        }
      }
    }
    return pixels
  }

  /// Runs a program of Debian's FFmpeg; its standard output and error.
  static func program(_ path: String, _ arguments: [String]) throws -> (out: Data, err: String) {
    try #require(FileManager.default.isExecutableFile(atPath: path), "no \(path): run `make test-deps`")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let errorText = Box("")
    let reader = Thread {
      errorText.value = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
    reader.start()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !reader.isFinished { usleep(1000) }
    try #require(process.terminationStatus == 0, "\(path) \(arguments): \(errorText.value)")
    return (data, errorText.value)
  }

  /// ffprobe's view of the video stream (counting every frame, which decodes them all).
  static func probe(_ path: String) throws -> (stream: [String: Any], duration: Double, errors: String) {
    let (out, err) = try program(
      ffprobe,
      [
        "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
        "stream=codec_name,width,height,pix_fmt,nb_read_frames:format=duration", "-of", "json", path,
      ])
    let json = try #require(try JSONSerialization.jsonObject(with: out) as? [String: Any])
    let stream = try #require((json["streams"] as? [[String: Any]])?.first)
    let duration = Double((json["format"] as? [String: Any])?["duration"] as? String ?? "") ?? -1
    return (stream, duration, err)
  }

  /// 45 grey or RGB pictures of odd size at 30 fps: ffprobe sees H.264 of the size rounded up to even,
  /// every picture, 1.5 s; MediaInput gives each at its time; and ffmpeg's decode of each, the
  /// padding left out, is the picture within a mean difference of 3 levels (8 in RGB).
  @Test(.timeLimit(.minutes(1)), arguments: [1, 3])
  func picturesComeBackAtTheirTimes(channels: Int) throws {
    let folder = try MediaInputTests.folder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/grid.mp4"
    let (width, height, count) = (161, 121, 45)
    let recorder = try VideoRecorder(
      path: path, width: width, height: height, channels: channels, framesPerSecond: 30)
    #expect(VideoRecorder.encoderNames.contains(recorder.encoderName))
    for index in 0..<count {
      let pixels = Self.picture(index, width: width, height: height, channels: channels)
      try pixels.withUnsafeBytes { try recorder.append($0, seconds: Double(index) / 30) }
    }
    try recorder.finish()
    #expect(recorder.framesWritten == count)

    let probed = try Self.probe(path)
    #expect(probed.stream["codec_name"] as? String == "h264")
    #expect(probed.stream["width"] as? Int == 162 && probed.stream["height"] as? Int == 122)
    #expect(probed.stream["pix_fmt"] as? String == "yuv420p")
    #expect(probed.stream["nb_read_frames"] as? String == "\(count)")
    #expect(abs(probed.duration - 1.5) < 0.01, "duration \(probed.duration)")
    #expect(probed.errors.isEmpty, "\(probed.errors)")

    let input = try MediaInput(url: path)
    #expect(input.width == 162 && input.height == 122 && input.codecName == "h264")
    for index in 0..<count {
      let stamp = try #require(try input.next(loop: false), "picture \(index) is missing")
      #expect(
        abs((stamp ?? -1) - Double(index) / 30) < 0.001, "picture \(index) at \(String(describing: stamp))")
    }
    #expect(try input.next(loop: false) == nil)
    #expect(input.decodeErrors == 0)

    let format = channels == 1 ? "gray" : "rgb24"
    let (decoded, _) = try Self.program(
      MediaInputTests.ffmpeg,
      ["-v", "error", "-nostdin", "-i", path, "-f", "rawvideo", "-pix_fmt", format, "-"])
    let bytes = [UInt8](decoded)
    let frameBytes = 162 * 122 * channels
    #expect(bytes.count == count * frameBytes)
    for index in stride(from: 0, to: min(count, bytes.count / frameBytes), by: 11) {
      let expected = Self.picture(index, width: width, height: height, channels: channels)
      var difference = 0
      for y in 0..<height {
        for x in 0..<(width * channels) {
          difference += abs(
            Int(bytes[index * frameBytes + y * 162 * channels + x]) - Int(expected[y * width * channels + x]))
        }
      }
      let mean = Double(difference) / Double(expected.count)
      // RGB loses more: yuv420p keeps one colour for four pixels, and this ramp's colour changes
      // from each pixel to the next.
      #expect(mean < (channels == 1 ? 3 : 8), "picture \(index): mean difference \(mean)")
    }
  }

  /// The file plays while it grows: before `finish`, once two seconds are in, the fragments
  /// already written decode (at least the first second of pictures), without error.
  @Test(.timeLimit(.minutes(1)))
  func anUnfinishedRecordingPlays() throws {
    let folder = try MediaInputTests.folder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/growing.mp4"
    let recorder = try VideoRecorder(path: path, width: 64, height: 48, channels: 1, framesPerSecond: 10)
    for index in 0..<25 {
      let pixels = Self.picture(index, width: 64, height: 48, channels: 1)
      try pixels.withUnsafeBytes { try recorder.append($0, seconds: Double(index) / 10) }
    }
    // Not finished: the file is as a killed process would leave it.
    let copy = folder + "/copy.mp4"
    try FileManager.default.copyItem(atPath: path, toPath: copy)
    let probed = try Self.probe(copy)
    let frames = Int(probed.stream["nb_read_frames"] as? String ?? "") ?? 0
    #expect(frames >= 10 && frames <= 25, "\(frames) frames")
    #expect(probed.errors.isEmpty, "\(probed.errors)")
    try recorder.finish()
    try recorder.finish()  // once; the second does nothing
    #expect(Int(try Self.probe(path).stream["nb_read_frames"] as? String ?? "") == 25)
  }

  /// A folder that does not exist: the error names the call and the path, in FFmpeg's words.
  @Test func aMissingFolderIsNamed() throws {
    let path = NSTemporaryDirectory() + "gridstitch-none-" + UUID().uuidString + "/x.mp4"
    let error = #expect(throws: MediaError.self) {
      _ = try VideoRecorder(path: path, width: 32, height: 32, channels: 1, framesPerSecond: 30)
    }
    #expect(error?.call == "avio_open(\(path))")
    #expect(error?.reason == "No such file or directory")
  }
}

/// A value one thread sets and another reads after joining it.
final class Box<Value>: @unchecked Sendable {
  var value: Value
  init(_ value: Value) { self.value = value }
}
