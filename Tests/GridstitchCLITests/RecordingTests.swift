import Foundation
import Glibc
import Testing

/// `run --record PATH.mp4` through the built binary, the file read by Debian's `ffprobe`: its size
/// and codec, a frame for every grid `--json` says it recorded, its length the run's; a run
/// killed outright leaves a file that plays; bad input is refused before anything is made; and
/// `gridstitch view` plays the recording in headless Chromium.
@Suite(.serialized) struct RecordingTests {
  static let ffprobe = "/usr/bin/ffprobe"

  /// What ffprobe says of a file's video, every frame decoded (`-count_frames`): the stream's
  /// fields, the duration, and whatever it printed as an error.
  static func probe(_ path: String) throws -> (stream: [String: Any], duration: Double, errors: String) {
    try #require(FileManager.default.isExecutableFile(atPath: ffprobe), "no \(ffprobe): run `make test-deps`")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ffprobe)
    process.arguments = [
      "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
      "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "json", path,
    ]
    let errors = CLI.temporaryFolder() + "/ffprobe.err"
    _ = FileManager.default.createFile(atPath: errors, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: (errors as NSString).deletingLastPathComponent) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errorText = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
    try #require(process.terminationStatus == 0, "ffprobe \(path): \(errorText)")
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let stream = try #require((json["streams"] as? [[String: Any]])?.first, "no video in \(path)")
    let duration = Double((json["format"] as? [String: Any])?["duration"] as? String ?? "") ?? -1
    return (stream, duration, errorText)
  }

  static func frames(_ stream: [String: Any]) -> Int { Int(stream["nb_read_frames"] as? String ?? "") ?? -1 }

  /// 16 cameras at 320×240 for 5 s (5000 grids at the default 1 kHz genlock): a 1280×960 H.264
  /// file with exactly `recorded_frames` frames, as long as the run within 5%, decoded without
  /// an error. The summary names it.
  @Test(.timeLimit(.minutes(2)))
  func theRecordingIsTheRun() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/run.mp4"
    let outcome = try CLI.run(
      ["run", "--frames", "5000", "--record", path, "--json", "--output", folder + "/out"], timeout: 90)
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let json = try CLI.json(outcome)
    let recorded = try #require(json["recorded_frames"] as? Int)
    let dropped = try #require(json["recording_dropped"] as? Int)
    let seconds = try #require(json["seconds"] as? Double)
    #expect(json["recording"] as? String == path)
    #expect((json["recording_cpu_s"] as? Double ?? 0) > 0)
    // At most 30 a second (the default for a 1 kHz genlock), one per slot: kept + left out.
    #expect(recorded > 0 && recorded + dropped <= Int(seconds * 30) + 1, "\(recorded) + \(dropped)")
    let probed = try Self.probe(path)
    #expect(probed.stream["codec_name"] as? String == "h264")
    #expect(probed.stream["width"] as? Int == 1280 && probed.stream["height"] as? Int == 960)
    #expect(Self.frames(probed.stream) == recorded)
    #expect(abs(probed.duration - seconds) <= 0.05 * seconds, "recorded \(probed.duration) s of \(seconds) s")
    #expect(probed.errors.isEmpty, "\(probed.errors)")

    let summary = try CLI.run(
      ["run", "--cameras", "4", "--frames", "300", "--record", path, "--output", folder + "/out"], timeout: 60
    )
    #expect(summary.status == 0, "\(summary.stderr)")
    #expect(summary.stdout.contains("recording   \(path): "), "\(summary.stdout)")
  }

  /// SIGKILL mid-run: no chance to finish the file, yet it plays (every frame decodes) and holds
  /// at least the run's time less 2 s. The run's time is read from the live view's figures just
  /// before the kill.
  @Test(.timeLimit(.minutes(2)))
  func aKilledRunLeavesARecordingThatPlays() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/killed.mp4"
    let port = try FreePort.pick()
    let base = "http://127.0.0.1:\(port)"
    let run = try CLI.Running([
      "run", "--frames", "1000000", "--record", path, "--serve", "127.0.0.1:\(port)", "--output",
      folder + "/out",
    ])
    defer { run.stopIfRunning() }
    var seconds = 0.0
    let deadline = Date().addingTimeInterval(60)
    while seconds < 6, Date() < deadline {
      if let reply = try? HTTP.request(base + "/stats.json"), let stats = try? HTTP.json(reply) {
        seconds = stats["seconds"] as? Double ?? 0
      }
      Thread.sleep(forTimeInterval: 0.2)
    }
    try #require(seconds >= 6, "the run did not reach 6 s")
    kill(run.pid, SIGKILL)
    let outcome = try #require(run.wait(seconds: 20))
    #expect(outcome.killedBySignal)
    let probed = try Self.probe(path)
    #expect(probed.stream["codec_name"] as? String == "h264")
    #expect(Self.frames(probed.stream) > 0)
    #expect(probed.duration >= seconds - 2, "\(probed.duration) s kept of a run of at least \(seconds) s")
    // What ffprobe may say of the file's end: a kill that lands while a fragment is being written
    // (under a millisecond of each second) leaves that fragment torn, and the file plays up to it.
  }

  /// A folder that is not there, a name that is not .mp4, a folder for a file, `--record-fps 0`
  /// or without `--record`: exit 2, one line, and nothing made.
  @Test(
    .timeLimit(.minutes(1)),
    arguments: [
      (["--record", "NOFOLDER/x.mp4"], "no folder"),
      (["--record", "FOLDER/x.avi"], "name an .mp4 file"),
      (["--record", "FOLDER/sub.mp4"], "is a folder"),
      (["--record", "FOLDER/x.mp4", "--record-fps", "0"], "--record-fps 0 is out of range"),
      (["--record-fps", "10"], "not accepted without --record"),
    ])
  func badRecordingsAreRefused(flags: [String], says: String) throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try FileManager.default.createDirectory(atPath: folder + "/sub.mp4", withIntermediateDirectories: true)
    let given = flags.map {
      $0.replacingOccurrences(of: "NOFOLDER", with: folder + "/none").replacingOccurrences(
        of: "FOLDER", with: folder)
    }
    let outcome = try CLI.run(["run", "--frames", "10", "--output", folder + "/out"] + given, timeout: 30)
    #expect(outcome.status == 2, "\(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
    #expect(outcome.stderr.contains(says), "\(outcome.stderr)")
    let left = try FileManager.default.contentsOfDirectory(atPath: folder)
    #expect(left == ["sub.mp4"], "left behind: \(left)")
  }

  /// A 1 MiB tmpfs fills within a few fragments: the run stops (not after its million grids),
  /// exit 1, one line naming the recording and the errno's text.
  @Test(
    .timeLimit(.minutes(1)), .enabled(if: geteuid() == 0, "mounting a small tmpfs needs root (CI is root)"))
  func aFullDiskStopsTheRun() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let disk = folder + "/disk"
    try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
    try #require(Shell.run("mount -t tmpfs -o size=1m,mode=0700 gridstitch-test \(disk)").status == 0)
    defer { _ = Shell.run("umount \(disk) || umount -l \(disk)") }
    let outcome = try CLI.run(
      ["run", "--frames", "1000000", "--record", disk + "/full.mp4", "--output", folder + "/out"], timeout: 40
    )
    #expect(outcome.status == 1, "\(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
    #expect(outcome.stderr.hasPrefix("gridstitch: recording \(disk)/full.mp4: "), "\(outcome.stderr)")
    #expect(outcome.stderr.contains("No space left on device"), "\(outcome.stderr)")
  }

  /// `gridstitch view` lists the recording and plays it in the page: in headless Chromium the
  /// video's `currentTime` advances.
  @Test(.timeLimit(.minutes(3)))
  func theGalleryPlaysTheRecording() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let made = try CLI.run(
      ["run", "--frames", "4000", "--record", folder + "/grid.mp4", "--output", folder, "--quiet"],
      timeout: 90)
    #expect(made.status == 0, "\(made.stderr)")
    let port = try FreePort.pick()
    let base = "http://127.0.0.1:\(port)"
    let gallery = try CLI.Running(["view", folder, "--serve", "127.0.0.1:\(port)"])
    defer { gallery.stopIfRunning() }
    try HTTP.await(base + "/", seconds: 50)
    let page = try HTTP.request(base + "/")
    #expect(page.text.contains("<video") && page.text.contains("src=\"/video/grid.mp4\""), "\(page.text)")
    let head = try HTTP.request(base + "/video/grid.mp4", headers: ["Range": "bytes=0-99"])
    #expect(head.status == 206 && head.body.count == 100)

    let browser = try WebDriver()
    defer { browser.quit() }
    try browser.open(base + "/")
    #expect(
      try browser.evaluate(
        "return document.querySelector('video').canPlayType('video/mp4; codecs=\"avc1.640028\"');")
        as? String != "")
    _ = try browser.evaluate("document.querySelector('video').play(); return true;")
    var times: [Double] = []
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
      let now = try browser.evaluate("return document.querySelector('video').currentTime;")
      times.append((now as? Double) ?? Double(now as? Int ?? 0))
      if let last = times.last, last > 1 { break }
      Thread.sleep(forTimeInterval: 0.25)
    }
    let error = try browser.evaluate(
      "const e = document.querySelector('video').error; return e ? e.code + ' ' + e.message : '';")
    #expect(times.last ?? 0 > 1, "currentTime: \(times); error: \(String(describing: error))")
    browser.quit()
    kill(gallery.pid, SIGTERM)
    let outcome = try #require(gallery.wait(seconds: 10), "view did not stop on SIGTERM")
    #expect(outcome.status == 143, "\(outcome.stderr)")
  }
}
