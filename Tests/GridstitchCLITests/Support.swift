import Foundation
import Testing

/// Runs the built `gridstitch` binary, as a user would.
enum CLI {
  /// The executable beside the test bundle (SwiftPM builds it: the test target depends on it).
  static let executable: String = {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return bundle.appendingPathComponent("gridstitch").path
  }()

  /// The executable's real path, as /proc/PID/exe shows it.
  static let resolvedExecutable = URL(fileURLWithPath: executable).resolvingSymlinksInPath().path

  /// Whether the binary under test (built with the tests) carries AddressSanitizer (`make
  /// sanitize`): its shadow memory and allocator hold some 30 MB private in every process.
  static let addressSanitized: Bool = dlsym(nil, "__asan_init") != nil

  /// The package root, so runs find assets/scene.png.
  static let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
    var killedBySignal: Bool
  }

  /// A running gridstitch, for tests that signal it.
  final class Running: @unchecked Sendable {
    let process = Process()
    private let out = Pipe()
    private let err = Pipe()
    private var outData = Data()
    private var errData = Data()
    /// When each piece of stderr arrived, for tests that time a message.
    private var errArrivals: [(at: Date, total: Int)] = []
    private let errLock = NSLock()
    private let group = DispatchGroup()

    /// `standardOutput`, if given, replaces the pipe whose bytes `Outcome.stdout` holds.
    init(_ arguments: [String], program: String = CLI.executable, standardOutput: FileHandle? = nil) throws {
      process.executableURL = URL(fileURLWithPath: program)
      process.arguments = arguments
      process.currentDirectoryURL = URL(fileURLWithPath: CLI.packageRoot)
      process.standardOutput = standardOutput ?? out
      process.standardError = err
      process.standardInput = FileHandle.nullDevice
      try process.run()
      if standardOutput == nil {
        group.enter()
        DispatchQueue.global().async { [self] in
          outData = out.fileHandleForReading.readDataToEndOfFile()
          group.leave()
        }
      }
      group.enter()
      DispatchQueue.global().async { [self] in
        while true {
          let chunk = err.fileHandleForReading.availableData
          if chunk.isEmpty { break }
          errLock.lock()
          errData.append(chunk)
          errArrivals.append((Date(), errData.count))
          errLock.unlock()
        }
        group.leave()
      }
    }

    /// When `text` first appeared on stderr (so far), or nil.
    func stderrTime(of text: String) -> Date? {
      errLock.lock()
      defer { errLock.unlock() }
      guard let range = errData.range(of: Data(text.utf8)) else { return nil }
      return errArrivals.first { $0.total >= range.upperBound }?.at
    }

    var pid: Int32 { process.processIdentifier }

    /// A run a test leaves behind (a failed `#require` throws past its `wait`) is killed, so one
    /// failure does not become the next test's leftovers.
    deinit {
      if process.isRunning {
        kill(pid, SIGKILL)
        process.waitUntilExit()
      }
    }

    /// Waits up to `seconds` for `count` children (its cameras); if they do not all come, the
    /// issue says what the run was doing: its state and kernel wait channel, and its stderr.
    func awaitChildren(count: Int, seconds: Double = 30) -> [Int32] {
      let found = Leftovers.awaitChildren(of: pid, count: count, seconds: seconds)
      if found.count < count {
        errLock.lock()
        let stderr = String(decoding: errData, as: UTF8.self)
        errLock.unlock()
        Issue.record(
          """
          \(found.count) of \(count) children after \(seconds) s; the run: \(Leftovers.state(of: pid)); \
          its stderr: \(stderr)
          """)
      }
      return found
    }

    /// Waits at most `seconds` for `text` on stderr; false if it did not come.
    func awaitStderr(containing text: String, seconds: Double) -> Bool {
      let deadline = Date().addingTimeInterval(seconds)
      while Date() < deadline {
        if stderrTime(of: text) != nil { return true }
        usleep(10_000)
      }
      return false
    }

    /// Waits at most `seconds`; nil if still running (then it is killed).
    func wait(seconds: Double) -> Outcome? {
      let deadline = Date().addingTimeInterval(seconds)
      while process.isRunning && Date() < deadline { usleep(5000) }
      if process.isRunning {
        kill(pid, SIGKILL)
        process.waitUntilExit()
        group.wait()
        return nil
      }
      group.wait()
      return Outcome(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self),
        killedBySignal: process.terminationReason == .uncaughtSignal)
    }
  }

  /// Runs to the end (bounded by `timeout`; a hang is a failure, not a stall).
  static func run(
    _ arguments: [String], timeout: Double = 120, program: String = CLI.executable,
    standardOutput: FileHandle? = nil
  ) throws -> Outcome {
    let running = try Running(
      program == CLI.executable ? arguments : Array(arguments.dropFirst()), program: program,
      standardOutput: standardOutput)
    return try #require(running.wait(seconds: timeout), "gridstitch \(arguments.joined(separator: " ")) hung")
  }

  static func json(_ outcome: Outcome) throws -> [String: Any] {
    let data = Data(outcome.stdout.utf8)
    return try #require(
      try JSONSerialization.jsonObject(with: data) as? [String: Any], "stdout: \(outcome.stdout)")
  }

  static func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "gridstitch-test-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}

/// What a run might leave behind, looked for where it would be: named objects in /dev/shm and
/// /dev/mqueue; any process of the binary under test still running; and in each of those, a
/// descriptor (/proc/PID/fd) or a mapping (/proc/PID/maps) of one of our memfds, which never
/// show in /dev/shm. (Only this binary's processes: other checkouts may be testing beside us.)
enum Leftovers {
  static func everything() -> Set<String> {
    var found = Set<String>()
    for folder in ["/dev/shm", "/dev/mqueue"] {
      for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
        found.insert(folder + "/" + name)
      }
    }
    for folder in zmqFolders() { found.insert(folder) }
    let me = getpid()
    for process in processes() where process.pid != me && process.state != "Z" {
      let pid = process.pid
      guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"),
        exe == CLI.resolvedExecutable
      else { continue }
      found.insert("process \(pid) runs gridstitch")
      for fd in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
          target.hasPrefix("/memfd:gridstitch")
        {
          found.insert("process \(pid) holds descriptor \(fd) on \(target)")
        }
      }
      if let maps = try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8) {
        for line in maps.split(separator: "\n") where line.contains("/memfd:gridstitch") {
          found.insert(
            "process \(pid) maps \(line.split(separator: " ").dropFirst(5).joined(separator: " "))")
        }
      }
    }
    return found
  }

  /// The private folders of `zmq`'s ipc sockets (gridstitch-zmq-XXXXXX in the temporary folder).
  static func zmqFolders() -> [String] {
    let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    return ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [])
      .filter { $0.hasPrefix("gridstitch-zmq-") }.map { base + "/" + $0 }
  }

  /// Live (not zombie) processes whose parent is `parent`.
  static func children(of parent: Int32) -> [Int32] {
    processes().filter { $0.parent == parent && $0.state != "Z" }.map(\.pid)
  }

  /// Whether `pid` still runs (a zombie has ended: it only waits for its reaper).
  static func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    guard let close = stat.lastIndex(of: ")") else { return false }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.first != "Z" && fields.first != "X"
  }

  static func processes() -> [(pid: Int32, parent: Int32, state: String)] {
    var result: [(Int32, Int32, String)] = []
    for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
      guard let pid = Int32(name),
        let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { continue }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 2, let parent = Int32(fields[1]) else { continue }
      result.append((pid, parent, String(fields[0])))
    }
    return result
  }

  /// A process's state and what it waits for in the kernel (/proc/PID/stat, /proc/PID/wchan),
  /// and its threads' states, for a message when it does not do what a test waits for.
  static func state(of pid: Int32) -> String {
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "gone"
    let wchan = (try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)) ?? "?"
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    let threads = tasks.map { task in
      let stat = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8)) ?? ""
      let state = stat.lastIndex(of: ")").map { String(stat[$0...].dropFirst(2).prefix(1)) } ?? "?"
      let wchan = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/wchan", encoding: .utf8)) ?? "?"
      return "\(task) \(state) \(wchan)"
    }
    return "stat \(stat.prefix(120)), wchan \(wchan), threads [\(threads.joined(separator: "; "))]"
  }

  /// Waits up to `seconds` for `count` children of `parent` to exist.
  static func awaitChildren(of parent: Int32, count: Int, seconds: Double = 10) -> [Int32] {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      let found = children(of: parent)
      if found.count >= count { return found }
      usleep(20_000)
    }
    return children(of: parent)
  }
}
