import CShims
import Glibc
import SystemPackage

/// A child process whose standard output and error we keep: started, drained and reaped in one
/// call (the bench runs each repeat this way). A stop signal flagged by `StopSignals` while it
/// runs is forwarded to it, so an interrupted bench leaves no run behind.
public enum CapturedProcess {
  /// How the child ended and everything it wrote.
  public struct Outcome: Sendable {
    public var status: ExitStatus
    public var standardOutput: [UInt8]
    public var standardError: [UInt8]
  }

  /// How long to keep draining after the child is reaped, in case something it started still
  /// holds its output open.
  static let drainAfterExitNanos: UInt64 = 1_000_000_000

  /// Starts `executable` with `arguments`, its stdout and stderr into pipes (everything else we
  /// own is close-on-exec), reads both to the end and reaps it. The corresponding C functions
  /// are `posix_spawn` (with `dup2` file actions), `poll`, `read` and `waitpid`.
  public static func run(executable: String, arguments: [String]) throws(SyscallError) -> Outcome {
    let output = try FileDescriptors.pipe()
    let errors: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
    do {
      errors = try FileDescriptors.pipe()
    } catch {
      FileDescriptors.close(output.readEnd)
      FileDescriptors.close(output.writeEnd)
      throw error
    }
    defer {
      FileDescriptors.close(output.readEnd)
      FileDescriptors.close(errors.readEnd)
    }
    let spawned: pid_t
    do {
      spawned = try spawn(executable, arguments, stdout: output.writeEnd, stderr: errors.writeEnd)
    } catch {
      FileDescriptors.close(output.writeEnd)
      FileDescriptors.close(errors.writeEnd)
      throw error
    }
    FileDescriptors.close(output.writeEnd)
    FileDescriptors.close(errors.writeEnd)
    var child = Reaper(pid: spawned)
    defer { child.killAndReap() }

    var streams = [Stream(fd: output.readEnd), Stream(fd: errors.readEnd)]
    var forwarded = false
    var reapedAt: UInt64?
    while streams.contains(where: \.open) {
      if !forwarded, let signal = StopSignals.pending {
        _ = kill(spawned, signal)
        forwarded = true
      }
      if reapedAt == nil, child.poll() != nil { reapedAt = MonotonicClock.nanos() }
      if let reapedAt, MonotonicClock.nanos() &- reapedAt > drainAfterExitNanos { break }
      try drainReady(&streams, timeoutMillis: 100)
    }
    let status = try child.waitBlocking()
    return Outcome(status: status, standardOutput: streams[0].bytes, standardError: streams[1].bytes)
  }

  /// The corresponding C function is `posix_spawn`; the child gets a clear signal mask and the
  /// default dispositions, as `ChildProcess.spawn` gives cameras.
  private static func spawn(
    _ executable: String, _ arguments: [String], stdout: FileDescriptor, stderr: FileDescriptor
  ) throws(SyscallError) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdout.rawValue, STDOUT_FILENO)
    posix_spawn_file_actions_adddup2(&actions, stderr.rawValue, STDERR_FILENO)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGINT)
    sigaddset(&defaults, SIGTERM)
    sigaddset(&defaults, SIGPIPE)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv = ([executable] + arguments).map { strdup($0) }
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let result = (argv + [nil]).withUnsafeBufferPointer { args in
      posix_spawn(&pid, executable, &actions, &attributes, args.baseAddress!, gs_environ())
    }
    if result != 0 { throw SyscallError("posix_spawn(\(executable))", Errno(rawValue: result)) }
    return pid
  }

  /// One of the child's output pipes and what has been read from it.
  private struct Stream {
    let fd: FileDescriptor
    var open = true
    var bytes: [UInt8] = []
  }

  /// Waits up to `timeoutMillis` for output, then reads what is there. The corresponding C
  /// functions are `poll` and `read`.
  private static func drainReady(_ streams: inout [Stream], timeoutMillis: Int32) throws(SyscallError) {
    var entries = streams.map { pollfd(fd: $0.open ? $0.fd.rawValue : -1, events: Int16(POLLIN), revents: 0) }
    let ready = poll(&entries, nfds_t(entries.count), timeoutMillis)
    if ready == -1 {
      if Glibc.errno == EINTR { return }
      throw SyscallError("poll")
    }
    var chunk = [UInt8](repeating: 0, count: 65536)
    for index in streams.indices where streams[index].open && entries[index].revents != 0 {
      let count = chunk.withUnsafeMutableBytes { read(streams[index].fd.rawValue, $0.baseAddress, $0.count) }
      if count == -1 {
        if Glibc.errno == EINTR || Glibc.errno == EAGAIN { continue }
        throw SyscallError("read")
      }
      if count == 0 {
        streams[index].open = false
      } else {
        streams[index].bytes.append(contentsOf: chunk[0..<count])
      }
    }
  }

  /// The one owner of the child's pid until it is reaped.
  private struct Reaper {
    let pid: pid_t
    var status: ExitStatus?

    init(pid: pid_t) { self.pid = pid }

    /// The corresponding C function is `waitpid(WNOHANG)`.
    mutating func poll() -> ExitStatus? {
      if let status { return status }
      var raw: CInt = 0
      let result = waitpid(pid, &raw, WNOHANG)
      if result == pid { status = ExitStatus(waitStatus: raw) }
      if result == -1 && Glibc.errno == ECHILD { status = .exited(-1) }
      return status
    }

    /// The corresponding C function is `waitpid`.
    mutating func waitBlocking() throws(SyscallError) -> ExitStatus {
      if let status { return status }
      var raw: CInt = 0
      _ = try retryOnInterrupt("waitpid") { waitpid(pid, &raw, 0) }
      let ended = ExitStatus(waitStatus: raw)
      status = ended
      return ended
    }

    /// On the way out after an error: SIGKILL and reap, so nothing is left running.
    mutating func killAndReap() {
      guard poll() == nil else { return }
      _ = kill(pid, SIGKILL)
      _ = try? waitBlocking()
    }
  }
}
