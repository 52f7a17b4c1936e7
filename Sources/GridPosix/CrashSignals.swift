import CShims
import Glibc

/// What SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP and SIGQUIT do to this process. The
/// Swift runtime's backtracer catches them, prints a report of some fifty lines and, for a signal
/// sent with kill(2), lets the process carry on. We decide instead, once, at start.
public enum CrashSignals {
  /// A camera: the default disposition, so such a signal ends it as it would a C program, and
  /// the consumer names the signal. The corresponding C function is `signal(SIG_DFL)`.
  public static func endLikeACProgram() { gs_default_crash_signals() }

  /// The consumer: one line on stderr naming the signal (and the sender, or the faulting
  /// address), then the process ends by that signal. Left to the Swift runtime when the user
  /// sets SWIFT_BACKTRACE (a developer asking for backtraces). The corresponding C function is
  /// `sigaction(SA_SIGINFO | SA_RESETHAND | SA_NODEFER)`.
  public static func reportInOneLine() {
    if getenv("SWIFT_BACKTRACE") != nil { return }
    _ = gs_install_crash_reporter()
  }
}
