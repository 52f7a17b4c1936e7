import Foundation
import GridImage
import Testing

/// `run --source`: cameras film video files through FFmpeg's libraries, in threads and camera
/// processes, verified, each tile what the `ffmpeg` program itself decodes.
@Suite(.serialized) struct SourceTests {
  static let ffmpeg = "/usr/bin/ffmpeg"

  /// Runs the `ffmpeg` program; its standard output.
  @discardableResult
  static func ffmpeg(_ arguments: [String]) throws -> [UInt8] {
    try #require(FileManager.default.isExecutableFile(atPath: ffmpeg), "no \(ffmpeg): run `make test-deps`")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ffmpeg)
    process.arguments = ["-v", "error", "-nostdin", "-y"] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "ffmpeg \(arguments.joined(separator: " ")) failed")
    return [UInt8](data)
  }

  /// Two clips of 10 frames at 25 fps: 320×240 H.264 in mp4, and 640×360 MJPEG in mkv (wider
  /// than a tile: it is letterboxed).
  static func clips(in folder: String) throws -> (String, String) {
    let narrow = try clip("narrow.mp4", frames: 10, in: folder)
    let wide = folder + "/wide.mkv"
    try ffmpeg([
      "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-frames:v", "10", "-c:v", "mjpeg", wide,
    ])
    return (narrow, wide)
  }

  /// A 320×240 H.264 test-pattern clip of `frames` frames at 25 fps, `folder/name`.
  static func clip(_ name: String, frames: Int, in folder: String) throws -> String {
    let path = folder + "/" + name
    try ffmpeg([
      "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", String(frames), "-c:v", "libx264",
      path,
    ])
    return path
  }

  /// Frame `index` of `clip` as ffmpeg decodes it, grey, scaled to `width`×`height` bilinearly.
  static func reference(_ clip: String, frame index: Int, width: Int, height: Int) throws -> [UInt8] {
    try ffmpeg([
      "-i", clip, "-vf", "select=eq(n\\,\(index)),scale=\(width):\(height):flags=bilinear", "-frames:v", "1",
      "-f", "rawvideo", "-pix_fmt", "gray", "-",
    ])
  }

  /// Mean absolute difference of `tile` (a rectangle of the grid) from `expected`.
  static func difference(
    _ grid: GridImage.Image, x: Int, y: Int, width: Int, height: Int, from expected: [UInt8]
  ) -> Double {
    var total = 0
    for row in 0..<height {
      for column in 0..<width {
        total += abs(
          Int(grid.pixels[(y + row) * grid.width + x + column]) - Int(expected[row * width + column]))
      }
    }
    return Double(total) / Double(width * height)
  }

  /// Four cameras film two clips (camera i the (i mod 2)th), looping, every frame verified; the
  /// last grid's tiles are the clips' frame 29 mod 10 = 9, the wide one with black bars.
  @Test(
    .timeLimit(.minutes(2)), arguments: [["shm-ring", "fork"], ["shm-ring", "spawn"], ["threads", "fork"]])
  func camerasFilmClips(setup: [String]) throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let (narrow, wide) = try Self.clips(in: folder)
    let before = Leftovers.everything()
    let outcome = try CLI.run([
      "run", "--transport", setup[0], "--launch", setup[1], "--cameras", "4", "--source", narrow, "--source",
      wide,
      "--load", "none", "--sync", "free", "--frames", "30", "--verify", "--json", "--output", folder,
    ])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    #expect(try CLI.json(outcome)["verified_frames"] as? Int == 120)
    #expect(Leftovers.everything() == before)
    let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/grid-latest.png")))
    let grid = try PNG.decode(png, channels: 1, path: "grid-latest.png")
    #expect(grid.width == 640 && grid.height == 480)
    let narrowFrame = try Self.reference(narrow, frame: 9, width: 320, height: 240)
    let wideFrame = try Self.reference(wide, frame: 9, width: 320, height: 180)
    for (camera, (x, y)) in [(0, 0), (320, 0), (0, 240), (320, 240)].enumerated() {
      if camera % 2 == 0 {
        let off = Self.difference(grid, x: x, y: y, width: 320, height: 240, from: narrowFrame)
        #expect(off < 3, "camera \(camera): mean difference \(off)")
      } else {
        let off = Self.difference(grid, x: x, y: y + 30, width: 320, height: 180, from: wideFrame)
        #expect(off < 3, "camera \(camera): mean difference \(off)")
        let bars = Self.difference(
          grid, x: x, y: y, width: 320, height: 30, from: [UInt8](repeating: 0, count: 320 * 30))
        #expect(bars == 0, "camera \(camera): the bar above the picture is not black")
      }
    }
  }

  /// Sixteen cameras film four clips of every kind the tests make (H.264 in mp4 and in MPEG-TS,
  /// MJPEG in Matroska, H.265 at 1920×1080 in Matroska), camera i the (i mod 4)th: every frame
  /// verified, every tile ffmpeg's own decode of the same frame, wide ones letterboxed.
  @Test(.timeLimit(.minutes(2)))
  func sixteenCamerasFromFourClips() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let (narrow, wide) = try Self.clips(in: folder)
    let stream = try Self.clip("stream.ts", frames: 10, in: folder)
    let large = folder + "/large.mkv"
    try Self.ffmpeg([
      "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25", "-frames:v", "10", "-c:v", "libx265",
      "-preset", "ultrafast", "-x265-params", "log-level=none", large,
    ])
    let clips = [narrow, wide, stream, large]
    let outcome = try CLI.run(
      [
        "run", "--transport", "shm-ring", "--cameras", "16", "--load", "none", "--sync", "free", "--frames",
        "20",
      ]
        + clips.flatMap { ["--source", $0] } + ["--verify", "--json", "--output", folder])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    #expect(try CLI.json(outcome)["verified_frames"] as? Int == 320)
    let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/grid-latest.png")))
    let grid = try PNG.decode(png, channels: 1, path: "grid-latest.png")
    #expect(grid.width == 1280 && grid.height == 960)
    // Frame 19 mod 10 = 9 of each; the 16:9 clips fill 320×180 between bars of 30 rows.
    let frames = [
      try Self.reference(narrow, frame: 9, width: 320, height: 240),
      try Self.reference(wide, frame: 9, width: 320, height: 180),
      try Self.reference(stream, frame: 9, width: 320, height: 240),
      try Self.reference(large, frame: 9, width: 320, height: 180),
    ]
    for camera in 0..<16 {
      let (x, y) = (camera % 4 * 320, camera / 4 * 240)
      let clip = camera % 4
      let height = clip % 2 == 0 ? 240 : 180
      let off = Self.difference(
        grid, x: x, y: y + (240 - height) / 2, width: 320, height: height, from: frames[clip])
      #expect(off < 3, "camera \(camera) (\(clips[clip])): mean difference \(off)")
    }
  }

  /// A clip with damaged frames plays to the end of the run: the decoder's refusals are skipped,
  /// never a camera's death, and every frame handed over is verified. The cameras count them, and
  /// their counts reach `--json` in the frames' headers, per camera (a clean clip's count is 0).
  @Test(.timeLimit(.minutes(1)))
  func aDamagedClipPlaysOn() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/damaged.mkv"
    try Self.ffmpeg([
      "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "25", "-c:v", "mjpeg", path,
    ])
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    for fifth in 1...3 {
      let start = bytes.count * fifth / 5
      for index in start..<(start + 3000) { bytes[index] ^= 0xA5 }
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let (narrow, _) = try Self.clips(in: folder)
    for launch in ["fork", "spawn"] {
      let outcome = try CLI.run([
        "run", "--transport", "shm-ring", "--launch", launch, "--cameras", "3", "--source", path, "--source",
        narrow, "--source", "testcard", "--load", "none", "--sync", "free", "--frames", "60", "--verify",
        "--json",
        "--output", folder,
      ])
      #expect(outcome.status == 0, "\(outcome.stderr)")
      let json = try CLI.json(outcome)
      #expect(json["verified_frames"] as? Int == 180)
      let sources = try #require(json["sources"] as? [[String: Any]])
      #expect(sources.map { $0["source"] as? String } == [path, narrow, "testcard"])
      #expect((sources[0]["decode_errors"] as? Int ?? 0) > 0, "\(sources[0])")
      #expect(sources[1]["decode_errors"] as? Int == 0, "\(sources[1])")
      #expect(sources[0]["state"] as? String == "playing" && sources[2]["state"] as? String == "none")
      // Decoded frames travel one counter a frame: the newest is at most two frames old.
      #expect((58...61).contains(sources[1]["decoded_frames"] as? Int ?? 0), "\(sources[1])")
      #expect((sources[1]["source_fps"] as? Double ?? 0) > 0)
      for key in ["camera", "source", "state", "decode_errors", "reconnects", "decoded_frames", "source_fps"]
      {
        #expect(sources[0][key] != nil, "sources lacks \(key)")
      }
    }
    // The summary says it too, a line per camera.
    let summary = try CLI.run([
      "run", "--transport", "threads", "--cameras", "1", "--source", path, "--load", "none", "--sync", "free",
      "--frames", "30", "--output", folder,
    ])
    #expect(summary.status == 0, "\(summary.stderr)")
    #expect(summary.stdout.contains("sources     C00 \(path): playing, "), "\(summary.stdout)")
    #expect(!summary.stdout.contains(" 0 decode errors"), "\(summary.stdout)")
  }

  /// `--no-loop`: each file plays once; its camera shows its last frame, says it has ended and
  /// ends cleanly (exit 0), and the run ends when every file has, as at its last grid.
  @Test(.timeLimit(.minutes(1)))
  func noLoopEndsTheRunWithItsFiles() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let (narrow, wide) = try Self.clips(in: folder)
    let long = try Self.clip("long.mp4", frames: 25, in: folder)
    for setup in [["shm-ring", "fork"], ["pipe", "spawn"], ["threads", "fork"]] {
      let before = Leftovers.everything()
      let outcome = try CLI.run([
        "run", "--transport", setup[0], "--launch", setup[1], "--cameras", "3", "--source", narrow,
        "--source",
        wide, "--source", long, "--no-loop", "--load", "none", "--sync", "free", "--frames", "1000",
        "--verify",
        "--json", "--output", folder,
      ])
      #expect(outcome.status == 0, "\(setup): \(outcome.stderr)")
      let json = try CLI.json(outcome)
      // The 10-frame clips end first (their last frame sent twice, the second time as ended);
      // the 25-frame one ends the run.
      #expect(json["grids"] as? Int == 26, "\(setup)")
      #expect(json["frames"] as? Int == 11 + 11 + 26, "\(setup)")
      #expect(json["lost_cameras"] as? [Int] == [], "\(setup)")
      let sources = try #require(json["sources"] as? [[String: Any]])
      #expect(sources.allSatisfy { $0["state"] as? String == "ended" }, "\(setup): \(sources)")
      #expect(Leftovers.everything() == before)
      // The last grid holds each camera's last frame: frame 9 of the 10-frame clip.
      let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/grid-latest.png")))
      let grid = try PNG.decode(png, channels: 1, path: "grid-latest.png")
      let last = try Self.reference(narrow, frame: 9, width: 320, height: 240)
      let off = Self.difference(grid, x: 0, y: 0, width: 320, height: 240, from: last)
      #expect(off < 3, "\(setup): mean difference \(off)")
    }
  }

  /// Under `zmq` a camera whose file ended waits for all its credit before it leaves. The hub
  /// gives it back at once, so the camera leaves while the others film on, not at the run's end.
  @Test(.timeLimit(.minutes(1)))
  func aZMQCameraWhoseFileEndedLeavesWhileTheRunGoesOn() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let (narrow, _) = try Self.clips(in: folder)
    let long = try Self.clip("long.mp4", frames: 100, in: folder)
    // Filmed at the files' own pace (25 fps), the 10-frame clip ends after 0.4 s, the other after 4 s.
    let run = try CLI.Running([
      "run", "--transport", "zmq", "--cameras", "2", "--source", narrow, "--source", long, "--no-loop",
      "--load", "io", "--frames", "100000", "--json", "--output", folder,
    ])
    let cameras = run.awaitChildren(count: 2)
    try #require(cameras.count == 2)
    var running = cameras
    while run.process.isRunning && running.count == 2 {
      usleep(10_000)
      running = cameras.filter { Leftovers.isRunning($0) }
    }
    let runGoesOn = run.process.isRunning
    let outcome = try #require(run.wait(seconds: 30), "the run did not end")
    #expect(outcome.status == 0, "\(outcome.stderr)")
    #expect(runGoesOn && running.count == 1, "the camera whose file ended stayed until the run ended")
  }

  /// A remote camera (`gridstitch camera --source`) films its clip for a zmq hub, verified.
  @Test(.timeLimit(.minutes(1)))
  func aRemoteCameraFilmsItsClip() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let (narrow, _) = try Self.clips(in: folder)
    var run = try ZMQHubRun(
      [
        "--cameras", "1", "--frames", "40", "--load", "none", "--sync", "free", "--verify", "--output",
        folder,
      ],
      port: try FreePort.pick())
    try run.camera(["--source", narrow])
    let (hub, cameras) = run.finish()
    let outcome = try #require(hub)
    #expect(outcome.status == 0, "\(outcome.stderr)")
    #expect(try CLI.json(outcome)["verified_frames"] as? Int == 40)
    #expect(cameras[0]?.status == 0, "\(cameras[0]?.stderr ?? "hung")")
    let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/grid-latest.png")))
    let grid = try PNG.decode(png, channels: 1, path: "grid-latest.png")
    let frame = try Self.reference(narrow, frame: 9, width: 320, height: 240)
    let off = Self.difference(grid, x: 0, y: 0, width: 320, height: 240, from: frame)
    #expect(off < 3, "mean difference \(off)")
    // A camera whose source cannot be filmed says so before it asks the hub for a tile.
    let missing = try CLI.run([
      "camera", "--connect", "tcp://127.0.0.1:9", "--source", folder + "/missing.mp4",
    ])
    #expect(missing.status == 2, "\(missing.stderr)")
    #expect(
      missing.stderr.contains("--source \(folder)/missing.mp4: avformat_open_input"), "\(missing.stderr)")
  }

  /// A source that cannot be filmed stops the run before any camera starts: exit 2, one line
  /// naming the camera, the source and FFmpeg's reason; nothing left behind.
  @Test(.timeLimit(.minutes(1)))
  func whatCannotBeFilmedIsRefusedAtSetUp() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let (narrow, _) = try Self.clips(in: folder)
    try Data("not a video\n".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
    let before = Leftovers.everything()
    let cases: [(String, String)] = [
      (
        folder + "/missing.mp4",
        "camera 1: --source \(folder)/missing.mp4: avformat_open_input(\(folder)/missing.mp4): No such file or directory"
      ),
      (
        "tcp://127.0.0.1:9",
        "camera 1: --source tcp://127.0.0.1:9: avformat_open_input(tcp://127.0.0.1:9): Connection refused"
      ),
      (folder + "/notes.txt", "camera 1: --source \(folder)/notes.txt: "),
    ]
    for (bad, line) in cases {
      let outcome = try CLI.run([
        "run", "--transport", "shm-ring", "--cameras", "2", "--source", narrow, "--source", bad, "--frames",
        "5",
        "--output", folder,
      ])
      #expect(outcome.status == 2, "\(outcome.stderr)")
      #expect(outcome.stderr.contains(line), "\(outcome.stderr)")
      #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
    }
    // Only cameras the run starts film a source.
    let serial = try CLI.run([
      "run", "--transport", "serial", "--source", narrow, "--frames", "5", "--output", folder,
    ])
    #expect(serial.status == 2 && serial.stderr.contains("--source is not accepted with --transport serial"))
    #expect(Leftovers.everything() == before)
  }
}
