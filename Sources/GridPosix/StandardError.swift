import Glibc
import Synchronization
import SystemPackage

/// Lines to stderr that never make the process wait. A consumer must not stop stitching because
/// whoever reads its stderr is slow or gone (a pipe nobody drains held a hub in `write` for 19 s),
/// so after `neverWait()` a line that does not fit at once is dropped and counted, and the next
/// line that fits says how many went before it.
///
/// Non-blocking is set on a file description of our own: a pipe is opened again through
/// /proc/self/fd/2, so the cameras that share it keep theirs blocking; a socket is sent to with
/// `MSG_DONTWAIT`. A regular file never makes a writer wait, and a terminal only when its user
/// paused it (Ctrl-S): both are written as they are, so a burst of lines to a terminal is never
/// cut.
public enum StandardError {
  private enum Mode: Int {
    case blocking = 0
    case own = 1
    case socket = 2
  }

  private static let mode = Atomic<Int>(Mode.blocking.rawValue)
  private static let ownDescriptor = Atomic<Int32>(-1)
  private static let dropped = Atomic<Int>(0)

  /// From now on, a line that would wait is dropped. Call it once, early, in the process that
  /// must not wait. The corresponding C functions are `fstat`, and `open` of /proc/self/fd/2.
  public static func neverWait() {
    var info = stat()
    guard fstat(STDERR_FILENO, &info) == 0 else { return }
    switch info.st_mode & S_IFMT {
    case S_IFIFO:
      let fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
      guard fd >= 0 else { return }  // then stderr stays as it is
      ownDescriptor.store(fd, ordering: .releasing)
      mode.store(Mode.own.rawValue, ordering: .releasing)
    case S_IFSOCK:
      mode.store(Mode.socket.rawValue, ordering: .releasing)
    default:
      break
    }
  }

  /// Lines dropped so far because stderr was full.
  public static var droppedLines: Int { dropped.load(ordering: .relaxed) }

  /// Writes `line` (with its newline) whole, or not at all if stderr is full under `neverWait()`.
  /// Lines up to `PIPE_BUF` (4096) bytes reach a pipe in one piece, never mixed with a camera's.
  public static func write(_ line: String) {
    let bytes = Array(line.utf8)
    switch Mode(rawValue: mode.load(ordering: .acquiring)) ?? .blocking {
    case .blocking:
      bytes.withUnsafeBytes { _ = try? FileDescriptors.writeAll(.standardError, $0) }
    case .own, .socket:
      let held = dropped.exchange(0, ordering: .relaxed)
      let note =
        held > 0
        ? Array(
          "gridstitch: \(held) earlier line\(held == 1 ? "" : "s") to stderr dropped: it was not read\n".utf8)
        : []
      if !note.isEmpty && !attempt(note) {
        dropped.add(held + 1, ordering: .relaxed)
        return
      }
      if !attempt(bytes) { dropped.add(1, ordering: .relaxed) }
    }
  }

  /// One try at writing all of `bytes` without waiting; false if nothing could be written. A
  /// partial write (only a line over `PIPE_BUF`) is finished without waiting as far as it goes.
  /// The corresponding C functions are `write` and `send(MSG_DONTWAIT)`.
  private static func attempt(_ bytes: [UInt8]) -> Bool {
    let socket = mode.load(ordering: .relaxed) == Mode.socket.rawValue
    let fd = socket ? STDERR_FILENO : ownDescriptor.load(ordering: .acquiring)
    return bytes.withUnsafeBytes { buffer in
      var done = 0
      while done < buffer.count {
        let rest = buffer.count - done
        let result =
          socket
          ? send(fd, buffer.baseAddress! + done, rest, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
          : Glibc.write(fd, buffer.baseAddress! + done, rest)
        if result > 0 {
          done += result
        } else if result < 0 && errno == EINTR {
          continue
        } else {
          return done > 0
        }
      }
      return true
    }
  }
}
