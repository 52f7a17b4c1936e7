import Foundation
import Testing

/// `gridstitch run` end to end through the built binary: in-process transports.
@Suite(.serialized) struct RunTests {
  @Test(.timeLimit(.minutes(2)), arguments: ["serial", "threads"])
  func inProcessTransportsVerifyEveryFrame(transport: String) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let outcome = try CLI.run([
      "run", "--transport", transport, "--cameras", "16", "--frames", "100", "--verify", "--json", "--load",
      "none",
      "--output", output,
    ])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let json = try CLI.json(outcome)
    #expect(json["transport"] as? String == transport)
    #expect(json["grids"] as? Int == 100)
    #expect(json["frames"] as? Int == 1600)
    #expect(json["verified_frames"] as? Int == 1600)
    #expect(FileManager.default.fileExists(atPath: output + "/grid-latest.png"))
  }

  @Test(.timeLimit(.minutes(1)))
  func jsonKeysAreTheContract() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let outcome = try CLI.run([
      "run", "--transport", "threads", "--frames", "5", "--cameras", "4", "--json", "--output", output,
    ])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let keys = [
      "transport", "load", "cameras", "grids", "frames", "seconds", "setup_seconds", "fps", "frames_per_s",
      "mb_per_s", "latency_p50_us", "latency_p99_us", "latency_max_us", "verified_frames",
      "snapshots_written", "snapshots_lost",
    ]
    // Exactly one JSON object on stdout, its first keys in contract order.
    let text = outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(text.hasPrefix("{") && text.hasSuffix("}") && !text.contains("\n"))
    var position = text.startIndex
    for key in keys {
      let range = try #require(text.range(of: "\"\(key)\":", range: position..<text.endIndex), "key \(key)")
      position = range.upperBound
    }
    let json = try CLI.json(outcome)
    #expect(json["load"] as? String == "io")
    #expect(json["cameras"] as? Int == 4)
    #expect(json["grids"] as? Int == 5)
    #expect(json["frames"] as? Int == 20)
    #expect(json["verified_frames"] as? Int == 0)
  }

  @Test(.timeLimit(.minutes(1)))
  func humanSummaryNamesEverything() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let outcome = try CLI.run([
      "run", "--transport", "serial", "--frames", "3", "--cameras", "2", "--output", output,
    ])
    #expect(outcome.status == 0)
    for word in [
      "transport", "grids/s", "frames/s", "MB/s", "p50", "p99", "max", "verified", "snapshots",
      "grid-latest.png",
    ] {
      #expect(outcome.stdout.contains(word), "summary lacks \(word)")
    }
    // Not a terminal: no progress bar on stderr.
    #expect(outcome.stderr.isEmpty)
  }

  @Test(.timeLimit(.minutes(1)))
  func tamperedFrameFailsVerificationWithExit3() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    for transport in ["threads", "shm-ring"] {
      let outcome = try CLI.run([
        "run", "--transport", transport, "--frames", "50", "--cameras", "4", "--verify", "--load", "none",
        "--fault", "tamper:2:17", "--output", output,
      ])
      #expect(outcome.status == 3, "\(transport): \(outcome.stderr)")
      #expect(outcome.stderr.contains("camera 2 frame 17"), "\(outcome.stderr)")
      #expect(outcome.stderr.split(separator: "\n").count == 1)
    }
  }

  @Test(.timeLimit(.minutes(1)))
  func snapshotsAreWrittenAsPNGs() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let outcome = try CLI.run([
      "run", "--transport", "threads", "--frames", "300", "--snapshot-every", "100", "--json", "--load",
      "none",
      "--output", output,
    ])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    #expect(try CLI.json(outcome)["snapshots_written"] as? Int == 3)
    #expect(try CLI.json(outcome)["snapshots_lost"] as? Int == 0)
    let names = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
    #expect(names == ["grid-000100.png", "grid-000200.png", "grid-000300.png", "grid-latest.png"])
    for name in names {
      let data = try #require(FileManager.default.contents(atPath: output + "/" + name))
      // PNG signature, then IHDR width and height (big-endian) at bytes 16..<24.
      #expect(Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
      let width = data[16..<20].reduce(0) { $0 << 8 | Int($1) }
      let height = data[20..<24].reduce(0) { $0 << 8 | Int($1) }
      #expect(width == 1280 && height == 960, "\(name) is \(width)x\(height)")
    }
  }

  @Test func transportsListsEveryName() throws {
    let outcome = try CLI.run(["transports"])
    #expect(outcome.status == 0)
    let names = outcome.stdout.split(separator: "\n").map {
      $0.split(separator: " ").first.map(String.init) ?? ""
    }
    #expect(names == ["serial", "threads", "pipe", "shm-mqueue", "shm-pipe", "shm-ring", "zmq", "imagezmq"])
    for line in outcome.stdout.split(separator: "\n") { #expect(line.split(separator: " ").count > 3) }
  }
}
