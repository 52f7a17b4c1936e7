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
    let output = try PipeEnds()
    let errors = try PipeEnds()
    // The child gets the write ends; ours close once it has them, whatever happens.
    var child = try ChildProcess.spawn(
      executable: executable, arguments: arguments,
      mapping: [
        (from: output.writeEnd.descriptor, to: STDOUT_FILENO),
        (from: errors.writeEnd.descriptor, to: STDERR_FILENO),
      ])
    output.writeEnd.close()
    errors.writeEnd.close()
    // On an error below, `child`'s deinit kills and reaps it: nothing is left running.

    let readEnds = DescriptorSet(count: 2)
    readEnds.adopt(output.readEnd, at: 0)
    readEnds.adopt(errors.readEnd, at: 1)
    var streams = readEnds.withDescriptors(at: 0..<2) { $0.map { Stream(fd: $0) } }
    var forwarded = false
    var reapedAt: UInt64?
    while streams.contains(where: \.open) {
      if !forwarded, let signal = StopSignals.pending {
        child.signal(signal)
        forwarded = true
      }
      if reapedAt == nil, child.poll() != nil { reapedAt = MonotonicClock.nanos() }
      if let reapedAt, MonotonicClock.nanos() &- reapedAt > drainAfterExitNanos { break }
      try drainReady(&streams, timeoutMillis: 100)
    }
    let status = try child.waitBlocking()
    readEnds.closeAll()
    return Outcome(status: status, standardOutput: streams[0].bytes, standardError: streams[1].bytes)
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
      let fd = streams[index].fd
      let got = chunk.withUnsafeMutableBytes { buffer in
        Result { () throws(SyscallError) in try FileDescriptors.readSome(fd, into: buffer) }
      }
      guard let count = try got.get() else { continue }
      if count == 0 {
        streams[index].open = false
      } else {
        streams[index].bytes.append(contentsOf: chunk[0..<count])
      }
    }
  }
}
