import Foundation
import Testing

/// The camera side: what a spawned camera (`gridstitch produce`) accepts, the one scene every
/// camera maps, and frames that arrive twice or out of order.
@Suite(.serialized) struct CameraProcessTests {
  /// A `produce` call whose arguments are all sound, for the tests to spoil one at a time. An
  /// override of `--transport`, `--parent` or `--descriptors` replaces that flag; any other
  /// (`--frames`) the pair of that name in `--orders` (`frames=…`).
  static func produce(_ overrides: [String: String], parent: Int32 = getpid()) -> [String] {
    var options: [(String, String)] = [
      ("--transport", "shm-ring"), ("--parent", "\(parent)"), ("--descriptors", "1"),
    ]
    var orders: [(String, String)] = [
      ("camera", "0"), ("cameras", "4"), ("width", "320"), ("height", "240"), ("channels", "1"),
      ("frames", "10"), ("load", "none"), ("work-us", "0"), ("sync", "free"), ("period-us", "1000"),
      ("policy", "lockstep"), ("slots", "4"), ("checksums", "false"),
    ]
    for (key, value) in overrides {
      if let index = options.firstIndex(where: { $0.0 == key }) {
        options[index].1 = value
      } else if let index = orders.firstIndex(where: { "--" + $0.0 == key }) {
        orders[index].1 = value
      } else {
        orders.append((String(key.dropFirst(2)), value))
      }
    }
    options.append(("--orders", orders.map { "\($0.0)=\($0.1)" }.joined(separator: ",")))
    // Separate words, as a spawning consumer passes them.
    return ["produce"] + options.flatMap { [$0.0, $0.1] }
  }

  /// What the attack found crashing (SIGILL), growing to gigabytes or blocking forever: each is now
  /// one line and exit 2, before anything is mapped or allocated from it.
  @Test(
    .timeLimit(.minutes(1)),
    arguments: [
      (["--cameras": "0"], "--cameras 0"),
      (["--frames": "-1"], "--frames -1"),
      (["--descriptors": "-1"], "--descriptors -1"),
      (["--descriptors": "2147483647"], "--descriptors 2147483647"),
      (["--width": "1000000000", "--height": "1000000000"], "--width 1000000000"),
      (["--work-us": "9223372036854775807"], "--work-us 9223372036854775807"),
      (["--camera": "9"], "camera 9"),
      (["--transport": "threads"], "threads"),
      (["--fault": "die:12:1"], "fault die:12:1"),
      (["--load": "warp"], "load=warp is not accepted"),
      (["--frames": "ten"], "frames=ten is not a whole number"),
      (["--zoom": "2"], "unknown key zoom"),
    ])
  func produceRejectsBadArguments(overrides: [String: String], names: String) throws {
    let outcome = try CLI.run(Self.produce(overrides), timeout: 20)
    #expect(!outcome.killedBySignal, "\(outcome.stderr)")
    #expect(outcome.status == 2, "\(overrides): \(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
    #expect(outcome.stderr.contains(names), "\(outcome.stderr)")
  }

  /// Descriptors that are not what they claim: /dev/null as the ring, as the header pipe, as the
  /// start line, as the scene. Each is refused at once (it used to block forever or map garbage).
  @Test(
    .timeLimit(.minutes(1)),
    arguments: [
      ("shm-ring", "1", "3</dev/null", "descriptor 3 is not a memfd"),
      ("shm-pipe", "2", "3</dev/null 4</dev/null", "descriptor 3 is not a memfd"),
      ("pipe", "1", "3</dev/null", "descriptor 3 is not the write end of a pipe"),
    ])
  func produceChecksWhatItIsHanded(transport: String, count: String, redirects: String, message: String)
    throws
  {
    let command =
      "exec \(CLI.executable) "
      + Self.produce(["--transport": transport, "--descriptors": count], parent: getpid()).joined(
        separator: " ")
      + " \(redirects) 4</dev/null 5</dev/null 6</dev/null 7</dev/null"
    let outcome = try CLI.run(["/bin/sh", "-c", command], timeout: 20, program: "/bin/sh")
    #expect(outcome.status == 2, "\(outcome.stderr)")
    #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
  }

  /// A memfd of the wrong size is refused before it is mapped: exit 2, one line naming the size.
  @Test(.timeLimit(.minutes(1)))
  func produceChecksTheMappingSize() throws {
    let arguments = Self.produce([:]).map { "'\($0)'" }.joined(separator: ", ")
    let script = """
      import fcntl, os
      memfd = os.memfd_create("gridstitch-test", os.MFD_CLOEXEC)
      os.ftruncate(memfd, 4096)
      ready_read, ready_write = os.pipe()
      go_read, go_write = os.pipe()
      # Above the targets first, so no dup2 is a no-op that keeps close-on-exec.
      moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in (memfd, ready_write, go_read)]
      for source, target in [(moved[0], 3), (moved[1], 4), (moved[2], 5), (moved[0], 6)]:
          os.dup2(source, target)
          os.set_inheritable(target, True)
      os.execv("\(CLI.executable)", ["gridstitch", \(arguments)])
      """
    let outcome = try CLI.run(["python3", "-c", script], timeout: 20, program: "/usr/bin/python3")
    #expect(outcome.status == 2, "\(outcome.stderr)")
    #expect(outcome.stderr.contains("holds 4096 bytes where"), "\(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
  }

  /// The scene is decoded once, by the consumer, into one sealed memfd: every camera, forked or
  /// spawned, maps that memfd read-only, and none holds a private copy of the scene.
  @Test(.timeLimit(.minutes(1)), arguments: ["fork", "spawn"])
  func everyCameraMapsTheOneSealedScene(launch: String) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let before = Leftovers.everything()
    let running = try CLI.Running([
      "run", "--transport", "shm-ring", "--launch", launch, "--frames", "100000", "--output", output,
    ])
    let cameras = running.awaitChildren(count: 16)
    try #require(cameras.count == 16)
    func sceneMappings(_ pid: Int32) -> [Substring] {
      let maps = (try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)) ?? ""
      return maps.split(separator: "\n").filter { $0.contains("/memfd:gridstitch-scene") }
    }
    // Spawned cameras attach one by one: wait (bounded) until the last has.
    let deadline = Date().addingTimeInterval(20)
    while Date() < deadline && cameras.contains(where: { sceneMappings($0).isEmpty }) { usleep(50_000) }
    for pid in cameras {
      let scene = sceneMappings(pid)
      #expect(scene.count == 1, "pid \(pid) maps the scene \(scene.count) times")
      #expect(scene.first?.split(separator: " ")[1] == "r--s", "pid \(pid): \(scene)")
    }
    // A spawned camera that decoded the scene itself would hold it privately (3 MB here). Under
    // AddressSanitizer every process holds some 30 MB of its own, which hides 3 MB: the mapping
    // checks above still run there.
    for pid in cameras where !CLI.addressSanitized {
      let rollup = (try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)) ?? ""
      let privateKB = rollup.split(separator: "\n").filter { $0.hasPrefix("Private_") }.compactMap {
        Int($0.split(separator: " ").dropFirst().first ?? "")
      }.reduce(0, +)
      #expect(privateKB < 3 * 1024, "camera \(pid) holds \(privateKB) kB of its own")
    }
    kill(running.pid, SIGTERM)
    let outcome = try #require(running.wait(seconds: 5))
    #expect(outcome.status == 143)
    #expect(Leftovers.everything() == before)
  }

  /// A frame sent twice, and two frames swapped: caught as a verification error naming camera and
  /// frame (exit 3), for a copying transport and the zero-copy ring alike.
  @Test(
    .timeLimit(.minutes(1)),
    arguments: [
      ("duplicate", "pipe"), ("duplicate", "shm-ring"), ("reorder", "pipe"), ("reorder", "shm-ring"),
    ])
  func duplicatedOrReorderedFrameFailsVerification(fault: String, transport: String) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let outcome = try CLI.run([
      "run", "--transport", transport, "--frames", "50", "--cameras", "4", "--verify", "--load", "none",
      "--fault", "\(fault):1:20", "--output", output,
    ])
    #expect(outcome.status == 3, "\(outcome.stderr)")
    #expect(outcome.stderr.contains("camera 1 frame 20"), "\(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
  }
}
