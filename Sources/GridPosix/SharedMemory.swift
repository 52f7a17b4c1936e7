import CShims
import Glibc
import SystemPackage

/// A shared mapping of an anonymous memfd: no name in /dev/shm, gone when the last descriptor
/// and mapping are. Owned by one instance, unmapped and closed in `deinit`.
public final class SharedMemory: @unchecked Sendable {
  public let descriptor: FileDescriptor
  public let size: Int
  public let base: UnsafeMutableRawPointer

  /// Creates and maps `size` zeroed bytes. The corresponding C functions are `memfd_create`,
  /// `ftruncate` and `mmap(MAP_SHARED)`.
  public init(name: String, size: Int) throws(SyscallError) {
    precondition(size > 0)
    // A shared mapping reserves nothing up front; refuse now rather than die of OOM mid-run.
    if let available = Self.availableBytes(), size > available {
      throw SyscallError("memfd of \(size) bytes (only \(available) bytes of memory available)", .noMemory)
    }
    let fd = try check("memfd_create", name.withCString { gs_memfd_create($0) })
    do {
      _ = try retryOnInterrupt("ftruncate") { ftruncate(fd, off_t(size)) }
      self.base = try Self.map(fd: fd, size: size)
    } catch {
      close(fd)
      throw error
    }
    self.descriptor = FileDescriptor(rawValue: try FileDescriptors.moveHigh(fd))
    self.size = size
  }

  /// Maps an inherited memfd, checking its size first so a short object is an error, not a SIGBUS.
  public init(attaching descriptor: FileDescriptor, size: Int) throws(SyscallError) {
    var info = stat()
    _ = try check("fstat", fstat(descriptor.rawValue, &info))
    guard Int(info.st_size) >= size else {
      throw SyscallError("mmap (object smaller than expected)", .invalidArgument)
    }
    self.base = try Self.map(fd: descriptor.rawValue, size: size)
    self.descriptor = descriptor
    self.size = size
  }

  /// MemAvailable from /proc/meminfo, in bytes.
  public static func availableBytes() -> Int? {
    guard let meminfo = MachineInfo.readText("/proc/meminfo") else { return nil }
    for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
      return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
    }
    return nil
  }

  private static func map(fd: CInt, size: Int) throws(SyscallError) -> UnsafeMutableRawPointer {
    let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
    guard let address, address != MAP_FAILED else { throw SyscallError("mmap") }
    return address
  }

  deinit {
    munmap(base, size)
    close(descriptor.rawValue)
  }
}
