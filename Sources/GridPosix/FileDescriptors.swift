import CShims
import Glibc
import SystemPackage

/// Descriptor plumbing: close-on-exec pipes kept above the low numbers a spawned camera is given,
/// bounded reads that let the caller re-check liveness, and gathered writes.
public enum FileDescriptors {
  /// Lowest number for descriptors we create, so `dup2` to 3, 4, … in a spawned child never
  /// overwrites a source descriptor.
  public static let floor: CInt = 32

  /// Moves `owned` to a number ≥ `floor`, close-on-exec; the original number is closed either way.
  /// The corresponding C function is `fcntl(F_DUPFD_CLOEXEC)`.
  public static func moveHigh(_ owned: consuming OwnedDescriptor) throws(SyscallError) -> OwnedDescriptor {
    if owned.rawValue >= floor { return owned }
    let high = fcntl(owned.rawValue, F_DUPFD_CLOEXEC, floor)
    if high == -1 { throw SyscallError("fcntl(F_DUPFD_CLOEXEC)") }
    owned.close()
    return OwnedDescriptor(taking: FileDescriptor(rawValue: high))
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

  /// One `read` (EINTR retried); 0 at end of file, nil when a non-blocking read finds nothing.
  /// The corresponding C function is `read`.
  public static func readSome(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer)
    throws(SyscallError) -> Int?
  {
    do {
      return try fd.read(into: buffer, retryOnInterrupt: true)
    } catch let errno as Errno {
      if errno == .wouldBlock { return nil }
      throw SyscallError("read", errno)
    } catch {
      throw SyscallError("read")
    }
  }

  /// One `pread` at `offset` (EINTR retried), leaving the file's shared offset alone.
  /// The corresponding C function is `pread`.
  public static func readSome(
    _ fd: FileDescriptor, atOffset offset: Int64, into buffer: UnsafeMutableRawBufferPointer
  )
    throws(SyscallError) -> Int
  {
    do {
      return try fd.read(fromAbsoluteOffset: offset, into: buffer, retryOnInterrupt: true)
    } catch let errno as Errno {
      throw SyscallError("pread", errno)
    } catch {
      throw SyscallError("pread")
    }
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
      let written = try retryOnInterrupt("writev") {
        withUnsafeBytes(of: &vectors) { raw in
          writev(fd.rawValue, raw.baseAddress!.assumingMemoryBound(to: iovec.self), count)
        }
      }
      done += written
    }
  }

  /// Writes every byte; retries EINTR. The corresponding C function is `write`.
  public static func writeAll(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer) throws(SyscallError) {
    do {
      _ = try fd.writeAll(bytes)
    } catch let errno as Errno {
      throw SyscallError("write", errno)
    } catch {
      throw SyscallError("write")
    }
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

  /// Whether `fd` is a terminal. The corresponding C function is `isatty`.
  public static func isTerminal(_ fd: FileDescriptor) -> Bool { isatty(fd.rawValue) == 1 }

  /// The descriptors this process has open, from /proc/self/fd (for leak checks).
  public static func openDescriptors() -> [CInt] {
    guard let dir = opendir("/proc/self/fd") else { return [] }
    defer { closedir(dir) }
    let own = dirfd(dir)
    var result: [CInt] = []
    while let entry = readdir(dir) {
      let name = String(cString: gs_dirent_name(entry))
      if let fd = CInt(name), fd != own { result.append(fd) }
    }
    return result.sorted()
  }
}

/// What an inherited descriptor must be before a camera uses it: a process that trusts the
/// numbers it was handed blocks forever on /dev/null or dies of SIGBUS on a short file.
public enum DescriptorKind: String, Sendable {
  case memfd = "a memfd"
  case pipeReadEnd = "the read end of a pipe"
  case pipeWriteEnd = "the write end of a pipe"
  case messageQueue = "a POSIX message queue"
  case directory = "a directory"
  case socket = "a socket"
}

extension FileDescriptors {
  /// Checks that `fd` is open and is what `kind` says. The corresponding C functions are
  /// `fstat`, `fstatfs` (MQUEUE_MAGIC), `fcntl(F_GETFL)` and `readlink` on /proc/self/fd.
  public static func expect(_ kind: DescriptorKind, _ fd: FileDescriptor) throws(SyscallError) {
    var info = stat()
    _ = try check("fstat(\(fd.rawValue))", fstat(fd.rawValue, &info))
    let flags = try check("fcntl(\(fd.rawValue), F_GETFL)", fcntl(fd.rawValue, F_GETFL))
    let access = flags & O_ACCMODE
    let matches: Bool
    switch kind {
    case .memfd:
      matches = info.st_mode & S_IFMT == S_IFREG && (target(of: fd)?.hasPrefix("/memfd:") ?? false)
    case .pipeReadEnd:
      matches = info.st_mode & S_IFMT == S_IFIFO && access == O_RDONLY
    case .pipeWriteEnd:
      matches = info.st_mode & S_IFMT == S_IFIFO && access == O_WRONLY
    case .messageQueue:
      matches = try check("fstatfs(\(fd.rawValue))", gs_is_mqueue(fd.rawValue)) == 1
    case .directory:
      matches = info.st_mode & S_IFMT == S_IFDIR
    case .socket:
      matches = info.st_mode & S_IFMT == S_IFSOCK
    }
    guard matches else {
      throw SyscallError("descriptor \(fd.rawValue) is not \(kind.rawValue)", .badFileDescriptor)
    }
  }

  /// Checks that the file behind `fd` holds exactly `size` bytes. The corresponding C function
  /// is `fstat`.
  public static func expect(size: Int, _ fd: FileDescriptor) throws(SyscallError) {
    var info = stat()
    _ = try check("fstat(\(fd.rawValue))", fstat(fd.rawValue, &info))
    guard Int(info.st_size) == size else {
      throw SyscallError(
        "descriptor \(fd.rawValue) holds \(info.st_size) bytes where \(size) were expected", .invalidArgument)
    }
  }

  /// A path-only descriptor of the directory `path` (close-on-exec, ≥ `floor`): a process that
  /// holds it reaches the directory's entries as /proc/self/fd/N/NAME even after the path is gone
  /// from view. The corresponding C function is `open(O_PATH | O_DIRECTORY)`.
  public static func openDirectory(_ path: String) throws(SyscallError) -> OwnedDescriptor {
    let fd = gs_open_directory_path(path)
    if fd == -1 { throw SyscallError("open(\(path), O_PATH)") }
    return try moveHigh(OwnedDescriptor(taking: FileDescriptor(rawValue: fd)))
  }

  /// The bytes the kernel has received on TCP connection `fd`, read by its owner yet or not; nil
  /// if `fd` is not a TCP socket (or the kernel does not say). The corresponding C function is
  /// `getsockopt(TCP_INFO)`.
  public static func tcpBytesReceived(_ fd: Int32) -> UInt64? {
    var bytes: UInt64 = 0
    return gs_tcp_bytes_received(fd, &bytes) == 0 ? bytes : nil
  }

  /// The device and inode of `fd`'s file: a socket's identity while it is open, so a number
  /// reused for another connection is not taken for the first. The corresponding C function is
  /// `fstat`.
  public static func identity(_ fd: Int32) -> (device: UInt64, inode: UInt64)? {
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    return (UInt64(info.st_dev), UInt64(info.st_ino))
  }

  /// Ends a connection both ways, for its owner (libzmq) to see it end and close it. The
  /// corresponding C function is `shutdown(SHUT_RDWR)`.
  public static func shutDown(_ fd: Int32) {
    _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
  }

  /// The address of the peer of a connected IPv4 or IPv6 socket, as "ADDR:PORT" ("[ADDR]:PORT" for
  /// IPv6); nil if it is not one. The corresponding C functions are `getpeername` and `inet_ntop`.
  public static func peerAddress(_ fd: Int32) -> String? {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let got = withUnsafeMutablePointer(to: &storage) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
    }
    guard got == 0 else { return nil }
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    switch Int32(storage.ss_family) {
    case AF_INET:
      return withUnsafePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
          var ip = address.pointee.sin_addr
          guard inet_ntop(AF_INET, &ip, &text, socklen_t(text.count)) != nil else { return nil }
          return "\(Self.text(text)):\(UInt16(bigEndian: address.pointee.sin_port))"
        }
      }
    case AF_INET6:
      return withUnsafePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
          var ip = address.pointee.sin6_addr
          guard inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count)) != nil else { return nil }
          return "[\(Self.text(text))]:\(UInt16(bigEndian: address.pointee.sin6_port))"
        }
      }
    default: return nil
    }
  }

  private static func text(_ characters: [CChar]) -> String {
    String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// What /proc/self/fd/N points at ("/memfd:name (deleted)", "pipe:[123]", a path).
  static func target(of fd: FileDescriptor) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/fd/\(fd.rawValue)", &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
