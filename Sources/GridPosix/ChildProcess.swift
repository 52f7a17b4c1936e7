import CShims
import Glibc
import SystemPackage

/// How a process ended.
public enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
  case exited(Int32)
  case killed(signal: Int32)

  init(waitStatus: CInt) {
    if gs_wifsignaled(waitStatus) != 0 {
      self = .killed(signal: gs_wtermsig(waitStatus))
    } else {
      self = .exited(gs_wexitstatus(waitStatus))
    }
  }

  public var description: String {
    switch self {
    case .exited(let code): "exited with status \(code)"
    case .killed(let signal): "killed by signal \(signal)"
    }
  }
}

/// A child process we started; the only owner of its pid (it cannot be copied, only handed on).
/// `deinit` kills and reaps it if it is still there, so no ending of ours leaves a process or a
/// zombie behind.
public struct ChildProcess: ~Copyable {
  public let pid: pid_t
  public private(set) var status: ExitStatus?

  private init(pid: pid_t) { self.pid = pid }

  /// Forks; the child runs `body` and leaves with `_exit(code)` — it never returns into the
  /// caller's code. The child asks for SIGKILL when its parent dies and checks the parent is
  /// still there. Call only while the process has a single thread.
  /// The corresponding C functions are `fork`, `prctl(PR_SET_PDEATHSIG)` and `_exit`.
  public static func fork(_ body: () -> Int32) throws(SyscallError) -> ChildProcess {
    let parent = getpid()
    let pid = Glibc.fork()
    if pid == -1 { throw SyscallError("fork") }
    if pid == 0 {
      gs_reset_signal_handlers()
      gs_ignore_sigint()
      if gs_set_parent_death_signal(SIGKILL) != 0 || getppid() != parent { _exit(111) }
      _exit(body())
    }
    return ChildProcess(pid: pid)
  }

  /// Starts `executable` with `arguments`; `descriptors[k]` becomes descriptor 3 + k in the child
  /// (everything else we own is close-on-exec).
  public static func spawn(executable: String, arguments: [String], descriptors: [FileDescriptor])
    throws(SyscallError) -> ChildProcess
  {
    try spawn(
      executable: executable, arguments: arguments,
      mapping: descriptors.enumerated().map { (from: $0.element, to: CInt(3 + $0.offset)) })
  }

  /// Starts `executable` with `arguments`, each `from` descriptor appearing as `to` in the child.
  /// The child starts with an empty signal mask and default SIGINT, SIGTERM and SIGPIPE.
  /// The corresponding C function is `posix_spawn` with `dup2` file actions.
  public static func spawn(
    executable: String, arguments: [String], mapping: [(from: FileDescriptor, to: CInt)]
  ) throws(SyscallError) -> ChildProcess {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for (from, to) in mapping {
      posix_spawn_file_actions_adddup2(&actions, from.rawValue, to)
    }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv = ([executable] + arguments).map { strdup($0) }
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let result = (argv + [nil]).withUnsafeBufferPointer { args in
      posix_spawn(&pid, executable, &actions, &attributes, args.baseAddress!, gs_environ())
    }
    if result != 0 { throw SyscallError("posix_spawn(\(executable))", Errno(rawValue: result)) }
    return ChildProcess(pid: pid)
  }

  /// Reaps the child if it has ended, without blocking. The corresponding C function is
  /// `waitpid(WNOHANG)`.
  @discardableResult
  public mutating func poll() -> ExitStatus? {
    if let status { return status }
    var raw: CInt = 0
    let result = waitpid(pid, &raw, WNOHANG)
    if result == pid { status = ExitStatus(waitStatus: raw) }
    if result == -1 && Glibc.errno == ECHILD { status = .exited(-1) }
    return status
  }

  /// Waits for the child to end. The corresponding C function is `waitpid`.
  public mutating func waitBlocking() throws(SyscallError) -> ExitStatus {
    if let status { return status }
    var raw: CInt = 0
    _ = try retryOnInterrupt("waitpid") { waitpid(pid, &raw, 0) }
    let ended = ExitStatus(waitStatus: raw)
    status = ended
    return ended
  }

  /// Waits for the child to end, at most `timeoutNanos`; nil if it is still running.
  public mutating func wait(timeoutNanos: UInt64) -> ExitStatus? {
    let deadline = MonotonicClock.nanos() &+ timeoutNanos
    while true {
      if let status = poll() { return status }
      if MonotonicClock.nanos() >= deadline { return nil }
      usleep(1000)
    }
  }

  /// The corresponding C function is `kill`.
  public func signal(_ signal: Int32) {
    if status == nil { _ = kill(pid, signal) }
  }

  /// Asks it to leave: SIGTERM.
  public func terminate() { signal(SIGTERM) }

  /// SIGTERM, then SIGKILL if it has not gone within `graceNanos`; always reaps.
  @discardableResult
  public mutating func stop(graceNanos: UInt64 = 200_000_000) -> ExitStatus {
    if let status = poll() { return status }
    signal(SIGTERM)
    if let status = wait(timeoutNanos: graceNanos) { return status }
    signal(SIGKILL)
    return wait(timeoutNanos: 5_000_000_000) ?? .killed(signal: SIGKILL)
  }

  /// The corresponding C functions are `kill(SIGKILL)` and `waitpid`.
  deinit {
    if status == nil {
      _ = kill(pid, SIGKILL)
      var raw: CInt = 0
      while waitpid(pid, &raw, 0) == -1 && Glibc.errno == EINTR {}
    }
  }
}

/// The camera processes of a run, one owner for all: a fixed table of `ChildProcess` slots that
/// kills and reaps whatever is still running when it goes.
public final class ProcessTable {
  private let slots: UnsafeMutablePointer<ChildProcess?>
  public let count: Int

  public init(count: Int) {
    self.count = count
    slots = .allocate(capacity: max(count, 1))
    for index in 0..<count { (slots + index).initialize(to: nil) }
  }

  /// Takes `child` as entry `index`; a process already there is killed and reaped first.
  public func adopt(_ child: consuming ChildProcess, at index: Int) {
    precondition((0..<count).contains(index))
    slots[index] = .some(child)
  }

  public func pid(_ index: Int) -> pid_t? { slots[index]?.pid }

  public var pids: [pid_t] { (0..<count).compactMap { slots[$0]?.pid } }

  /// Reaps entry `index` if it has ended, without blocking; nil while it runs or if it is empty.
  public func poll(_ index: Int) -> ExitStatus? { slots[index]?.poll() }

  public func wait(_ index: Int, timeoutNanos: UInt64) -> ExitStatus? {
    slots[index]?.wait(timeoutNanos: timeoutNanos)
  }

  public func signal(_ index: Int, _ signal: Int32) { slots[index]?.signal(signal) }

  /// Asks entry `index` to leave: SIGTERM.
  public func terminate(_ index: Int) { slots[index]?.terminate() }

  @discardableResult
  public func stop(_ index: Int, graceNanos: UInt64) -> ExitStatus? {
    slots[index]?.stop(graceNanos: graceNanos)
  }

  deinit {
    slots.deinitialize(count: count)
    slots.deallocate()
  }
}

/// The process-wide SIGINT/SIGTERM/SIGHUP flag: handlers set it, loops poll it.
public enum StopSignals {
  /// The corresponding C function is `sigaction`, without SA_RESTART so blocking calls return EINTR.
  public static func install() { _ = gs_install_stop_handlers() }
  /// The first stop signal received, if any.
  public static var pending: Int32? {
    let signal = gs_stop_signal()
    return signal == 0 ? nil : signal
  }
  public static func ignoreBrokenPipes() { gs_ignore_sigpipe() }
  public static func ignoreInterrupt() { gs_ignore_sigint() }
}

/// Process identity and parent-death handling for a spawned camera.
public enum ProcessIdentity {
  public static var pid: Int32 { getpid() }
  public static var parentPid: Int32 { getppid() }

  /// Asks for SIGKILL when the parent dies, then checks the parent is still `expectedParent`.
  /// The corresponding C function is `prctl(PR_SET_PDEATHSIG)`.
  public static func dieWithParent(expectedParent: Int32) -> Bool {
    gs_set_parent_death_signal(SIGKILL) == 0 && getppid() == expectedParent
  }

  /// Leaves at once, without running exit handlers. The corresponding C function is `_exit`.
  public static func exitNow(_ code: Int32) -> Never { _exit(code) }

  /// Offers the CPU to another runnable thread. The corresponding C function is `sched_yield`.
  public static func yieldProcessor() { _ = sched_yield() }

  /// Sends `signal` to this process (fault injection in tests).
  public static func raiseSignal(_ signal: Int32) { _ = raise(signal) }
}

/// CPU time from `getrusage`, in seconds.
public enum ResourceUsage {
  public static func cpuSeconds(children: Bool) -> Double {
    var usage = rusage()
    getrusage(children ? Int32(RUSAGE_CHILDREN.rawValue) : Int32(RUSAGE_SELF.rawValue), &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
  }

  /// CPU time of the calling thread alone, in seconds. The corresponding C function is
  /// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`.
  public static func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  /// Context switches, voluntary (a wait) and involuntary (preempted), of this process's threads or
  /// of its reaped children. The corresponding C function is `getrusage`.
  public static func contextSwitches(children: Bool) -> Int {
    var usage = rusage()
    getrusage(children ? Int32(RUSAGE_CHILDREN.rawValue) : Int32(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_nvcsw + usage.ru_nivcsw
  }

  /// This process's resident memory in bytes (/proc/self/statm's second field, in pages); nil if
  /// it cannot be read.
  public static func residentBytes() -> UInt64? {
    let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 128)
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard count > 0 else { return nil }
    let fields = buffer[0..<count].split(separator: UInt8(ascii: " "))
    guard fields.count > 1, let pages = UInt64(String(decoding: fields[1], as: UTF8.self)) else { return nil }
    return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
  }

  /// Hands memory freed inside the process back to the system, so what a cut peer made libzmq
  /// hold does not stay resident. The corresponding C function is `malloc_trim`.
  public static func returnFreedMemory() { gs_malloc_trim() }

  /// Online cores. The corresponding C function is `sysconf(_SC_NPROCESSORS_ONLN)`.
  public static var onlineCores: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

  /// Path of the running executable, from /proc/self/exe.
  public static func executablePath() -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
