import Foundation
import Testing

/// Cameras checksum only when the run verifies, `--verify` rejects a frame without one, and
/// genlock paces every kind of camera, forked or spawned.
@Suite(.serialized) struct LeanCameraTests {
  static let runs: [(transport: String, launch: String)] = [
    ("serial", "fork"), ("threads", "fork"), ("pipe", "fork"), ("shm-mqueue", "spawn"), ("shm-pipe", "fork"),
    ("shm-ring", "fork"), ("shm-ring", "spawn"),
  ]

  @Test(.timeLimit(.minutes(2)), arguments: runs)
  func frameWithoutChecksumFailsVerificationWithExit3(transport: String, launch: String) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let outcome = try CLI.run([
      "run", "--transport", transport, "--launch", launch, "--frames", "30", "--cameras", "4", "--verify",
      "--load", "none", "--sync", "free", "--fault", "no-checksum:1:7", "--output", output,
    ])
    #expect(outcome.status == 3, "\(transport) \(launch): \(outcome.stderr)")
    #expect(outcome.stderr.contains("camera 1 frame 7"), "\(outcome.stderr)")
    #expect(outcome.stderr.contains("no checksum"), "\(outcome.stderr)")
  }

  /// Without `--verify` the same fault changes nothing: no frame carried a checksum anyway.
  @Test(.timeLimit(.minutes(1)))
  func unverifiedRunNeedsNoChecksum() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let outcome = try CLI.run([
      "run", "--transport", "shm-ring", "--frames", "30", "--cameras", "4", "--load", "none", "--sync",
      "free",
      "--fault", "no-checksum:1:7", "--json", "--output", output,
    ])
    #expect(outcome.status == 0, "\(outcome.stderr)")
    #expect(try CLI.json(outcome)["verified_frames"] as? Int == 0)
  }

  /// Frame n is captured no earlier than T0 + n × period and T0 is after the start line, so the
  /// run lasts at least (frames − 1) periods: a camera that did not get T0 runs ahead and fails.
  @Test(.timeLimit(.minutes(2)), arguments: runs)
  func genlockPacesEveryCamera(transport: String, launch: String) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let outcome = try CLI.run([
      "run", "--transport", transport, "--launch", launch, "--frames", "26", "--cameras", "4", "--load",
      "none",
      "--sync", "genlock", "--period-us", "4000", "--verify", "--json", "--output", output,
    ])
    #expect(outcome.status == 0, "\(transport) \(launch): \(outcome.stderr)")
    let json = try CLI.json(outcome)
    #expect(json["sync"] as? String == "genlock")
    #expect(json["period_us"] as? Int == 4000)
    #expect(json["verified_frames"] as? Int == 104)
    let seconds = try #require(json["seconds"] as? Double)
    #expect(seconds >= 0.1, "\(transport) \(launch): 26 grids in \(seconds) s")
  }

  @Test(.timeLimit(.minutes(1)))
  func badSyncAndPeriodAreUsageErrors() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    for (arguments, words) in [
      (["--sync", "sideways"], "sideways"), (["--period-us", "0"], "--period-us 0"),
      (["--work-us", "0"], "--period-us 0"),
    ] {
      let outcome = try CLI.run(["run", "--output", output] + arguments)
      #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
      #expect(outcome.stderr.contains(words), "\(outcome.stderr)")
      #expect(outcome.stderr.split(separator: "\n").count == 1)
    }
  }

  /// The seed's queue benchmark: one camera, every transport, both sync modes, files named
  /// queue-*.
  @Test(.timeLimit(.minutes(3)))
  func queueBenchWithOneCamera() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let outcome = try CLI.run(
      [
        "bench", "--cameras", "1", "--loads", "io", "--sync", "free,genlock", "--repeats", "1", "--frames",
        "20", "--prefix", "queue-", "--output", output,
      ], timeout: 170)
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let names = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
    #expect(names == ["queue-io-genlock.svg", "queue-io.csv", "queue-io.json", "queue-io.svg"])
    let csv = try String(contentsOfFile: output + "/queue-io.csv", encoding: .utf8)
    let rows = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
    let header = try #require(csv.split(separator: "\n").first).split(separator: ",").map(String.init)
    let sync = try #require(header.firstIndex(of: "sync"))
    let cameras = try #require(header.firstIndex(of: "cameras"))
    #expect(rows.count == 14)
    #expect(
      rows.map { $0[sync] } == Array(repeating: "free", count: 7) + Array(repeating: "genlock", count: 7))
    #expect(rows.allSatisfy { $0[cameras] == "1" })
    #expect(
      rows.map { $0[0] }.prefix(7) == [
        "serial", "threads", "pipe", "shm-mqueue", "shm-pipe", "shm-ring", "zmq",
      ])
  }
}
