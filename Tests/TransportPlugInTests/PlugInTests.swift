import Foundation
import Glibc
import GridCore
import GridPosix
import GridStitch
import GridTransports
import Synchronization
import Testing

/// A transport declared outside GridTransports (`SocketPair/`), plugged in by one table entry,
/// runs as the built-in ones do: named on a run, its cameras forked, handed their descriptors and
/// checked, every frame verified; a camera killed mid-run is named, and nothing is left behind.
/// The runs are `gridstitch run`'s own (`Pipeline.run`), in this process: its cameras are forks
/// of this test process.
@Suite(.serialized) struct PlugInTests {
  /// The table entry.
  static let socketPair: TransportKind = {
    let kind = TransportKind(SocketPairUnit())
    try? TransportTable.register(kind)
    return kind
  }()

  static func configuration(frames: Int, output: String) -> RunConfiguration {
    var config = RunConfiguration()
    config.transport = socketPair
    config.cameras = 16
    config.frames = frames
    config.load = .none
    config.sync = .free
    config.verify = true
    config.progress = false
    config.outputDirectory = output
    return config
  }

  static func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "gridstitch-plugin-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// The pids of this process's children (every thread's), from /proc.
  static func children() -> [Int32] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.flatMap { task -> [Int32] in
      let text = (try? String(contentsOfFile: "/proc/self/task/\(task)/children", encoding: .utf8)) ?? ""
      return text.split(separator: " ").compactMap {
        Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
      }
    }
  }

  @Test func itIsFoundByNameAndAskedLikeTheOthers() throws {
    _ = Self.socketPair
    let kind = try #require(TransportKind(rawValue: "socketpair"))
    #expect(kind == Self.socketPair)
    #expect(TransportKind.allCases.last == kind)
    #expect(TransportKind.allCases.prefix(8).map(\.rawValue) == TransportTable.builtIn.map(\.rawValue))
    #expect(ProcessTransports.cameraDescriptorKinds(kind) == [.socket])
    // A second entry of the same name is refused.
    #expect(throws: GridError.self) { try TransportTable.register(TransportKind(SocketPairUnit())) }
    // It is checked as every transport is, by its traits: `latest` and --listen are not its.
    var config = Self.configuration(frames: 10, output: "unused")
    try config.validate()
    config.policy = .latest
    #expect(throws: GridError.self) { try config.validate() }
    config.policy = .lockstep
    config.listen = try ServeAddress(parsing: "tcp://127.0.0.1:5555", flag: "--listen", scheme: "tcp://")
    #expect(throws: GridError.self) { try config.validate() }
  }

  @Test(.timeLimit(.minutes(1)))
  func verifiedRun() throws {
    let output = Self.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let descriptors = FileDescriptors.openDescriptors()
    let report = try Pipeline.run(Self.configuration(frames: 300, output: output))
    #expect(report.transport == Self.socketPair)
    #expect(report.grids == 300)
    #expect(report.verifiedFrames == 300 * 16)
    #expect(report.lostCameras.isEmpty)
    #expect(Self.children().isEmpty, "a camera was left running")
    #expect(FileDescriptors.openDescriptors() == descriptors, "a descriptor was left open")
  }

  @Test(.timeLimit(.minutes(1)))
  func killedCameraStopsTheRun() throws {
    let output = Self.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let descriptors = FileDescriptors.openDescriptors()
    let victim = Victim()
    // Kills the 6th camera once all 16 stream. The cameras are forks of this process: the killer
    // thread only sleeps while they are made (its look at /proc is warmed up first), so it holds
    // no lock a child could inherit.
    _ = Self.children()
    let killer = try GridPosix.Thread {
      MonotonicClock.sleep(micros: 1_000_000)
      let deadline = MonotonicClock.nanos() + 20_000_000_000
      while Self.children().count < 16 && MonotonicClock.nanos() < deadline {
        MonotonicClock.sleep(micros: 10_000)
      }
      MonotonicClock.sleep(micros: 300_000)
      let cameras = Self.children().sorted()
      guard cameras.count == 16 else { return }
      victim.pid.withLock { $0 = cameras[5] }
      kill(cameras[5], SIGKILL)
    }
    var config = Self.configuration(frames: 1_000_000, output: output)
    config.verify = false
    let failure = #expect(throws: GridError.self) { _ = try Pipeline.run(config) }
    killer.join()
    let pid = try #require(
      victim.pid.withLock { $0 }, "the cameras did not start: \(String(describing: failure))")
    #expect(
      "\(failure.map { String(describing: $0) } ?? "")".contains("(pid \(pid)) died: killed by signal 9"))
    #expect(Self.children().isEmpty, "a camera was left running")
    #expect(FileDescriptors.openDescriptors() == descriptors, "a descriptor was left open")
  }
}

/// The camera the killer chose, told to the test's thread.
final class Victim: Sendable {
  let pid = Mutex<Int32?>(nil)
}
