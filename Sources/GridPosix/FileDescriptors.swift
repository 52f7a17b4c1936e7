import CShims
import Glibc
import SystemPackage

/// Descriptor plumbing: close-on-exec pipes kept above the low numbers a spawned camera is given,
/// bounded reads that let the caller re-check liveness, and gathered writes.
public enum FileDescriptors {
  /// Lowest number for descriptors we create, so `dup2` to 3, 4, … in a spawned child never
  /// overwrites a source descriptor.
  public static let floor: CInt = 32

  /// Moves `fd` to a number ≥ `floor`, close-on-exec, closing the original.
  /// The corresponding C function is `fcntl(F_DUPFD_CLOEXEC)`.
  public static func moveHigh(_ fd: CInt) throws(SyscallError) -> CInt {
    if fd >= floor { return fd }
    let high = fcntl(fd, F_DUPFD_CLOEXEC, floor)
    Glibc.close(fd)
    if high == -1 { throw SyscallError("fcntl(F_DUPFD_CLOEXEC)") }
    return high
  }

  /// A close-on-exec pipe. The corresponding C function is `pipe2(O_CLOEXEC)`.
  public static func pipe() throws(SyscallError) -> (readEnd: FileDescriptor, writeEnd: FileDescriptor) {
    var fds: (CInt, CInt) = (-1, -1)
    let result = withUnsafeMutableBytes(of: &fds) {
      gs_pipe_cloexec($0.baseAddress!.assumingMemoryBound(to: CInt.self))
    }
    _ = try check("pipe2", result)
    let readEnd = try moveHigh(fds.0)
    let writeEnd = try moveHigh(fds.1)
    return (FileDescriptor(rawValue: readEnd), FileDescriptor(rawValue: writeEnd))
  }

  /// Makes a pipe hold up to `bytes` (a whole frame) so a camera rarely blocks mid-frame.
  /// The corresponding C function is `fcntl(F_SETPIPE_SZ)`; a refusal is not an error.
  public static func growPipe(_ fd: FileDescriptor, to bytes: Int) {
    _ = gs_set_pipe_size(fd.rawValue, CInt(min(bytes, 1 << 20)))
  }

  /// Waits until `fd` is readable (or hung up), at most `timeoutMillis`; false on timeout or signal.
  /// The corresponding C function is `poll`.
  public static func waitReadable(_ fd: FileDescriptor, timeoutMillis: Int32) throws(SyscallError) -> Bool {
    var entry = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
    let ready = poll(&entry, 1, timeoutMillis)
    if ready == -1 {
      if Glibc.errno == EINTR { return false }
      throw SyscallError("poll")
    }
    return ready == 1
  }

  /// One `read`; 0 at end of file, nil when interrupted.
  public static func readSome(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer)
    throws(SyscallError)
    -> Int?
  {
    let count = read(fd.rawValue, buffer.baseAddress, buffer.count)
    if count == -1 {
      if Glibc.errno == EINTR || Glibc.errno == EAGAIN { return nil }
      throw SyscallError("read")
    }
    return count
  }

  /// Writes all of `parts` in as few `writev` calls as the kernel allows.
  /// The corresponding C function is `writev`.
  public static func writeAll(
    _ fd: FileDescriptor, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer
  )
    throws(SyscallError)
  {
    var done = 0
    let total = first.count + second.count
    while done < total {
      var vectors = (iovec(), iovec())
      var count: Int32 = 0
      withUnsafeMutableBytes(of: &vectors) { raw in
        let iov = raw.baseAddress!.assumingMemoryBound(to: iovec.self)
        if done < first.count {
          iov[0] = iovec(
            iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress! + done),
            iov_len: first.count - done)
          iov[1] = iovec(
            iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count)
          count = second.count > 0 ? 2 : 1
        } else {
          let offset = done - first.count
          iov[0] = iovec(
            iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress! + offset),
            iov_len: second.count - offset)
          count = 1
        }
      }
      let written = withUnsafeBytes(of: &vectors) { raw in
        writev(fd.rawValue, raw.baseAddress!.assumingMemoryBound(to: iovec.self), count)
      }
      if written == -1 {
        if Glibc.errno == EINTR { continue }
        throw SyscallError("writev")
      }
      done += written
    }
  }

  /// Writes every byte; retries EINTR. The corresponding C function is `write`.
  public static func writeAll(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer) throws(SyscallError) {
    try writeAll(fd, bytes, UnsafeRawBufferPointer(start: nil, count: 0))
  }

  /// Makes reads on `fd` return EAGAIN instead of blocking. The corresponding C function is
  /// `fcntl(F_SETFL, O_NONBLOCK)`.
  public static func setNonBlocking(_ fd: FileDescriptor) throws(SyscallError) {
    let flags = try check("fcntl(F_GETFL)", fcntl(fd.rawValue, F_GETFL))
    _ = try check("fcntl(F_SETFL)", fcntl(fd.rawValue, F_SETFL, flags | O_NONBLOCK))
  }

  /// In a forked camera: closes every descriptor above stderr but `keep`, so the camera holds
  /// exactly what a spawned one would (a pipe's end of file then means its one writer is gone).
  public static func closeAll(except keep: [CInt]) {
    for fd in openDescriptors() where fd > 2 && !keep.contains(fd) { _ = Glibc.close(fd) }
  }

  /// Closes `fd`, ignoring errors (the descriptor is gone either way on Linux).
  public static func close(_ fd: FileDescriptor) { _ = Glibc.close(fd.rawValue) }

  /// Whether `fd` is a terminal. The corresponding C function is `isatty`.
  public static func isTerminal(_ fd: FileDescriptor) -> Bool { isatty(fd.rawValue) == 1 }

  /// The descriptors this process has open, from /proc/self/fd (for leak checks).
  public static func openDescriptors() -> [CInt] {
    guard let dir = opendir("/proc/self/fd") else { return [] }
    defer { closedir(dir) }
    let own = dirfd(dir)
    var result: [CInt] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) {
        String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
      }
      if let fd = CInt(name), fd != own { result.append(fd) }
    }
    return result.sorted()
  }
}
