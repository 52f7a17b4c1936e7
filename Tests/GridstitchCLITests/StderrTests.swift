import Foundation
import Glibc
import Testing

/// A consumer never waits on its stderr: a pipe that nobody reads must not stop a run.
@Suite(.serialized) struct StderrTests {
  /// stderr is a pipe already full when the run starts, and nobody reads it: the run's line
  /// ("live view: …") would block in `write` forever. It is dropped; the run finishes and prints
  /// its JSON.
  @Test(.timeLimit(.minutes(1)))
  func aFullStderrPipeDoesNotStopARun() throws {
    let pipe = Pipe()
    let filled = Self.fill(pipe.fileHandleForWriting.fileDescriptor)
    #expect(filled >= 4096)
    let port = try FreePort.pick()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CLI.executable)
    process.arguments = [
      "run", "--transport", "threads", "--cameras", "4", "--frames", "200", "--load", "none", "--serve",
      "127.0.0.1:\(port)", "--json",
    ]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = pipe.fileHandleForWriting
    try process.run()
    // A run blocked on its stderr never ends by itself: it is stopped, and the test fails.
    let watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: watchdog)
    let written = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    watchdog.cancel()
    #expect(process.terminationReason == .exit && process.terminationStatus == 0, "blocked on stderr")
    let report = try #require(try JSONSerialization.jsonObject(with: written) as? [String: Any])
    #expect(report["grids"] as? Int == 200)
    // Nothing the run wrote got in: the pipe holds what filled it, then ends.
    try pipe.fileHandleForWriting.close()
    #expect(pipe.fileHandleForReading.readDataToEndOfFile().count == filled)
  }

  /// Fills the pipe whose write end is `fd` through a non-blocking description of its own, so
  /// `fd`'s stays blocking (as a shell's pipe is); returns the bytes written.
  static func fill(_ fd: Int32) -> Int {
    let own = open("/proc/self/fd/\(fd)", O_WRONLY | O_NONBLOCK | O_CLOEXEC)
    precondition(own >= 0, "cannot reopen the pipe")
    defer { close(own) }
    let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 4096)
    var total = 0
    while true {
      let result = chunk.withUnsafeBytes { write(own, $0.baseAddress, $0.count) }
      if result <= 0 { break }
      total += result
    }
    // Whatever room is left is less than a line: fill it byte by byte.
    while write(own, "x", 1) == 1 { total += 1 }
    return total
  }
}
