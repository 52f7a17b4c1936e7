import GridCore
import GridPosix
import SystemPackage

/// Lines to stdout and stderr, unbuffered writes (safe in a forked camera, no stdio buffers to
/// flush twice). Results on stdout are written whole or fail the run; messages on stderr never
/// hold up the consumer.
public enum Console {
  /// A result line on stdout (a summary, JSON, a table). A write that fails (a full disk, a closed
  /// pipe: SIGPIPE is ignored, see `ProcessRole`) is an error: the result is lost, so the run fails.
  public static func out(_ line: String) throws(GridError) {
    let written = Array((line + "\n").utf8).withUnsafeBytes { bytes in
      Result { () throws(SyscallError) in try FileDescriptors.writeAll(.standardOutput, bytes) }
    }
    if case .failure(let error) = written {
      throw .runtime("cannot write to standard output: \(error.errno)")
    }
  }

  /// A message on stderr, one line whatever it quotes: control and bidi characters (a peer's
  /// name, a hub's refusal) are escaped. If even that cannot be written there is no one left to
  /// tell.
  /// In the consumer (`ProcessRole.consumer`) a line that stderr cannot take at once is dropped
  /// and counted, never waited on (see `StandardError`).
  public static func error(_ line: String) { StandardError.write(TerminalText.escaped(line) + "\n") }
  public static func raw(_ text: String, to fd: FileDescriptor) { write(text, to: fd) }

  private static func write(_ text: String, to fd: FileDescriptor) {
    let bytes = Array(text.utf8)
    bytes.withUnsafeBytes { try? FileDescriptors.writeAll(fd, $0) }
  }

  public static var stderrIsTerminal: Bool { FileDescriptors.isTerminal(.standardError) }
}

/// How this process meets signals, set once in `main` before anything else runs.
public enum ProcessRole {
  /// Every command but `produce`: SIGPIPE ignored, so a closed stdout is an EPIPE that `Console.out`
  /// reports (exit 1) instead of a silent death (141); a crash signal prints one line and ends
  /// the process by that signal (see `CrashSignals.reportInOneLine`).
  public static func consumer() {
    StandardError.neverWait()
    StopSignals.ignoreBrokenPipes()
    CrashSignals.reportInOneLine()
  }

  /// `gridstitch produce`, a spawned camera: a crash signal ends it as it would a C program, so
  /// the consumer reports "killed by signal 11" at once. (Forked cameras get the same in
  /// `ChildProcess.fork`, through `gs_reset_signal_handlers`.)
  public static func spawnedCamera() { CrashSignals.endLikeACProgram() }
}
