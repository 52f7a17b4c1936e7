import Foundation
import Testing

/// The faults an outside attack found (issue 8), each end to end through the built binary.
@Suite(.serialized) struct RobustnessTests {
  // MARK: A stop signal on a slow disk

  /// SIGINT under `--snapshot-every 1` while every snapshot's fsync takes 3 s (the hidden
  /// `--slow-disk-ms` throttle): answered within the 100 ms tick plus a generous margin, the
  /// snapshots in flight abandoned with nothing left half-written, and counted lost.
  @Test(.timeLimit(.minutes(1)), arguments: ["shm-ring", "threads"])
  func stopSignalIsAnsweredOnASlowDisk(transport: String) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let running = try CLI.Running([
      "run", "--transport", transport, "--cameras", "4", "--frames", "1000000", "--snapshot-every", "1",
      "--slow-disk-ms", "3000", "--json", "--output", output,
    ])
    if transport == "shm-ring" { try #require(running.awaitChildren(count: 4).count == 4) }
    usleep(800_000)  // grids flow; the writer sits in its first slow fsync
    let signalled = Date()
    kill(running.pid, SIGINT)
    let outcome = try #require(running.wait(seconds: 1), "SIGINT not answered within a second")
    let elapsed = Date().timeIntervalSince(signalled)
    #expect(outcome.status == 130, "\(outcome.stderr)")
    #expect(outcome.stderr.isEmpty, "a stop signal is not an error: \(outcome.stderr)")
    let json = try CLI.json(outcome)
    let grids = try #require(json["grids"] as? Int)
    let written = try #require(json["snapshots_written"] as? Int)
    let lost = try #require(json["snapshots_lost"] as? Int)
    #expect(grids > 0)
    #expect(written == 0, "no fsync of 3 s can have finished")
    #expect(written + lost == grids, "every grid was due")
    #expect(json["interrupted_by_signal"] as? Int == 2)
    #expect(json["latest_snapshot"] is NSNull, "grid-latest.png cannot land on this disk")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []
    #expect(names.isEmpty, "left behind: \(names)")
    #expect(elapsed < 1, "took \(elapsed) s")
  }

  // MARK: A full disk

  /// A 1 MiB tmpfs as the output folder fills within a few snapshots: the run stops at once
  /// (not after its million grids), exit 1, one line naming the file and the errno's text.
  @Test(
    .timeLimit(.minutes(1)), .enabled(if: geteuid() == 0, "mounting a small tmpfs needs root (CI is root)"))
  func fullDiskStopsTheRun() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let disk = folder + "/disk"
    try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
    try #require(Shell.run("mount -t tmpfs -o size=1m,mode=0700 gridstitch-test \(disk)").status == 0)
    defer { _ = Shell.run("umount \(disk) || umount -l \(disk)") }
    let outcome = try CLI.run(
      [
        "run", "--transport", "shm-ring", "--cameras", "4", "--frames", "1000000", "--snapshot-every", "1",
        "--output", disk,
      ], timeout: 20)
    #expect(outcome.status == 1, "\(outcome.stderr)")
    let lines = outcome.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(outcome.stderr)")
    #expect(
      outcome.stderr.range(of: "snapshot \(disk)/grid-[0-9]{6}\\.png: ", options: .regularExpression) != nil,
      "\(outcome.stderr)")
    #expect(outcome.stderr.contains("No space left on device"), "\(outcome.stderr)")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: disk)) ?? []
    #expect(!names.contains { $0.contains(".tmp") }, "half-written: \(names)")
  }

  // MARK: Crash signals

  /// SIGSEGV and SIGQUIT end a camera as they would a C program (the Swift runtime's backtracer
  /// would catch them and let it carry on), so the consumer names the signal within a tick.
  @Test(
    .timeLimit(.minutes(1)),
    arguments: [("fork", SIGSEGV), ("fork", SIGQUIT), ("spawn", SIGSEGV), ("spawn", SIGQUIT)])
  func crashSignalEndsACamera(launch: String, signal: Int32) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let running = try CLI.Running([
      "run", "--transport", "shm-ring", "--launch", launch, "--cameras", "4", "--frames", "1000000",
      "--output", output,
    ])
    let cameras = running.awaitChildren(count: 4)
    try #require(cameras.count == 4)
    usleep(300_000)
    let victim = cameras[1]
    kill(victim, signal)
    // Detection is promised within 1 s; the rest of the 2 s is stopping the other cameras.
    let outcome = try #require(running.wait(seconds: 2), "camera \(victim) survived signal \(signal)")
    #expect(outcome.status == 1, "\(outcome.stderr)")
    #expect(outcome.stderr.contains("(pid \(victim)) died: killed by signal \(signal)"), "\(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
  }

  /// A crash signal to the consumer: one line naming it, then the process dies of it (exit status
  /// 128 + n in a shell), and its cameras die with it.
  @Test(.timeLimit(.minutes(1)), arguments: [SIGSEGV, SIGQUIT])
  func crashSignalEndsTheConsumerInOneLine(signal: Int32) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let running = try CLI.Running([
      "run", "--transport", "shm-ring", "--cameras", "4", "--frames", "1000000", "--output", output,
    ])
    let cameras = running.awaitChildren(count: 4)
    try #require(cameras.count == 4)
    // Signalled once the run is under way: a camera still waiting at the start line says so when
    // its consumer goes, and a slow build (AddressSanitizer) is still setting up when its four
    // cameras appear.
    usleep(500_000)
    kill(running.pid, signal)
    let outcome = try #require(running.wait(seconds: 2))
    #expect(outcome.killedBySignal && outcome.status == signal, "\(outcome.status): \(outcome.stderr)")
    let lines = outcome.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(outcome.stderr)")
    #expect(
      lines.first?.hasPrefix("gridstitch: killed by signal \(signal) (SIG") == true, "\(outcome.stderr)")
    let deadline = Date().addingTimeInterval(2)
    while cameras.contains(where: Leftovers.isRunning) && Date() < deadline { usleep(20_000) }
    for camera in cameras { #expect(!Leftovers.isRunning(camera)) }
  }

  // MARK: Output that cannot be written

  /// `--json > /dev/full`: the JSON is lost, so the run fails (exit 1) and says why.
  @Test(.timeLimit(.minutes(1)), arguments: [["run", "--json"], ["run"], ["transports"]])
  func fullStandardOutputIsAnError(command: [String]) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
    let run =
      command.first == "run"
      ? ["--transport", "threads", "--cameras", "4", "--frames", "5", "--output", output] : []
    let outcome = try CLI.run(command + run, standardOutput: full)
    #expect(outcome.status == 1, "\(outcome.stderr)")
    #expect(
      outcome.stderr == "gridstitch: cannot write to standard output: No space left on device\n",
      "\(outcome.stderr)")
  }

  /// A reader that has gone (`gridstitch run | true`): EPIPE, exit 1 and a message, not death by SIGPIPE.
  @Test(.timeLimit(.minutes(1)), arguments: [["--json"], []])
  func closedStandardOutputIsAnError(flags: [String]) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let pipe = Pipe()
    try pipe.fileHandleForReading.close()
    let outcome = try CLI.run(
      ["run", "--transport", "pipe", "--cameras", "4", "--frames", "5", "--output", output] + flags,
      standardOutput: pipe.fileHandleForWriting)
    #expect(!outcome.killedBySignal, "killed by signal \(outcome.status)")
    #expect(outcome.status == 1, "\(outcome.stderr)")
    #expect(
      outcome.stderr == "gridstitch: cannot write to standard output: Broken pipe\n", "\(outcome.stderr)")
  }

  // MARK: Smaller defects

  /// `ulimit -n 32`: one line saying the limit is too low and how many descriptors the run
  /// needs, before anything starts; with that many, the same run works.
  @Test(.timeLimit(.minutes(1)), arguments: ["pipe", "shm-mqueue", "shm-ring"])
  func lowDescriptorLimitSaysHowManyAreNeeded(transport: String) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let run =
      "\(CLI.executable) run --transport \(transport) --cameras 64 --frames 3 --load none --quiet --output \(output)"
    let refused = Shell.run("ulimit -n 32 && exec \(run)")
    #expect(refused.status == 1, "\(refused.stderr)")
    #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
    #expect(refused.stderr.contains("the open-file limit is too low"), "\(refused.stderr)")
    #expect(refused.stderr.contains("(ulimit -n) is 32"), "\(refused.stderr)")
    let needed = try #require(
      refused.stderr.firstMatch(of: /needs (\d+) descriptors/).flatMap { Int($0.1) }, "\(refused.stderr)")
    let enough = Shell.run("ulimit -n \(needed) && exec \(run)")
    #expect(enough.status == 0, "with ulimit -n \(needed): \(enough.stderr)")
  }

  /// A FIFO as `--scene` is refused at once (it used to block forever waiting for a writer).
  @Test(.timeLimit(.minutes(1)))
  func fifoSceneIsRefused() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let fifo = folder + "/scene.png"
    try #require(mkfifo(fifo, 0o600) == 0)
    let outcome = try CLI.run(
      [
        "run", "--transport", "pipe", "--cameras", "2", "--frames", "3", "--scene", fifo, "--output",
        folder + "/out",
      ],
      timeout: 10)
    #expect(outcome.status == 1, "\(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
    #expect(outcome.stderr.contains("\(fifo): cannot open: not a regular file (a FIFO)"), "\(outcome.stderr)")
  }

  /// `bench` takes negative numbers as values too, and refuses them before running anything.
  @Test(.timeLimit(.minutes(1)))
  func benchNegativeNumbersGetTheRangeMessage() throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let outcome = try CLI.run(["bench", "--repeats", "-1", "--output", output])
    #expect(outcome.status == 2, "\(outcome.stderr)")
    #expect(
      outcome.stderr == "gridstitch: --repeats -1 is out of range: use 1 to 1000\n", "\(outcome.stderr)")
  }
}

/// `/bin/sh -c script`, for what needs a shell (`ulimit`, `mount`); stdout is discarded.
enum Shell {
  static func run(_ script: String) -> CLI.Outcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    process.currentDirectoryURL = URL(fileURLWithPath: CLI.packageRoot)
    let err = Pipe()
    process.standardOutput = FileHandle.nullDevice
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch {
      return CLI.Outcome(status: -1, stdout: "", stderr: "\(error)", killedBySignal: false)
    }
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLI.Outcome(
      status: process.terminationStatus, stdout: "",
      stderr: String(decoding: errors, as: UTF8.self),
      killedBySignal: process.terminationReason == .uncaughtSignal)
  }
}
