import CShims
import Glibc
import SystemPackage

/// One owner of one `mmap`ed range: unmapped exactly once, in `deinit`. Its owner (one of the
/// classes below) lives as long as anything addressed from `base`.
struct Mapping: ~Copyable {
  let base: UnsafeMutableRawPointer
  let size: Int

  /// Maps `size` bytes of `fd` shared, read-write or read-only.
  /// The corresponding C function is `mmap(MAP_SHARED)`.
  init(_ fd: FileDescriptor, size: Int, writable: Bool) throws(SyscallError) {
    let protection = writable ? PROT_READ | PROT_WRITE : PROT_READ
    let address = mmap(nil, size, protection, MAP_SHARED, fd.rawValue, 0)
    guard let address, address != MAP_FAILED else { throw SyscallError("mmap") }
    self.base = address
    self.size = size
  }

  func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E)
    -> R
  {
    try body(UnsafeMutableRawBufferPointer(start: base, count: size))
  }

  /// The corresponding C function is `munmap`.
  deinit { munmap(base, size) }
}

/// A shared mapping of an anonymous memfd: no name in /dev/shm, gone when the last descriptor
/// and mapping are. Its descriptor and its mapping each have one owner, so a failure half-way
/// through `init` releases what was made.
public final class SharedMemory: @unchecked Sendable {
  private let owned: OwnedDescriptor
  private let mapping: Mapping

  /// Lends the memfd's descriptor to `body` (to hand to a camera), and only to it.
  public func withDescriptor<R, E: Error>(_ body: (FileDescriptor) throws(E) -> R) throws(E) -> R {
    try owned.withDescriptor(body)
  }
  public var size: Int { mapping.size }

  /// The mapping's first byte: the one pointer into owned memory that leaves a type, because the
  /// ring's atomics, the slots' semaphores and the frames are addressed from it for a whole run.
  /// Whoever derives a pointer from it keeps this object in a stored property beside that pointer
  /// for as long as it is used (`RingMapping`, `SharedSlotReceiver`, `SharedSlotPublisher`, the
  /// transports that make them), so the mapping cannot go while a pointer into it is live.
  public var base: UnsafeMutableRawPointer { mapping.base }

  /// Creates and maps `size` zeroed bytes. The corresponding C functions are `memfd_create`,
  /// `ftruncate` and `mmap(MAP_SHARED)`.
  public init(name: String, size: Int) throws(SyscallError) {
    precondition(size > 0)
    let created = try Self.create(name: name, size: size, sealable: false)
    self.mapping = try Mapping(created.descriptor, size: size, writable: true)
    self.owned = created
  }

  /// Maps an inherited memfd after checking that it is one and that its size is exactly `size`,
  /// so a foreign or short object is an error, not a SIGBUS.
  public init(attaching descriptor: consuming OwnedDescriptor, size: Int) throws(SyscallError) {
    try FileDescriptors.expect(.memfd, descriptor.descriptor)
    try FileDescriptors.expect(size: size, descriptor.descriptor)
    self.mapping = try Mapping(descriptor.descriptor, size: size, writable: true)
    self.owned = descriptor
  }

  /// A new memfd of `size` bytes, close-on-exec, above the low numbers. The corresponding C
  /// functions are `memfd_create` and `ftruncate`.
  static func create(name: String, size: Int, sealable: Bool) throws(SyscallError) -> OwnedDescriptor {
    // A shared mapping reserves nothing up front; refuse now rather than die of OOM mid-run.
    if let available = availableBytes(), size > available {
      throw SyscallError("memfd of \(size) bytes (only \(available) bytes of memory available)", .noMemory)
    }
    let fd = try check("memfd_create", name.withCString { gs_memfd_create($0, sealable ? 1 : 0) })
    let owned = try FileDescriptors.moveHigh(OwnedDescriptor(taking: FileDescriptor(rawValue: fd)))
    _ = try retryOnInterrupt("ftruncate") { ftruncate(owned.rawValue, off_t(size)) }
    return owned
  }

  /// MemAvailable from /proc/meminfo, in bytes.
  public static func availableBytes() -> Int? {
    guard let meminfo = MachineInfo.readText("/proc/meminfo") else { return nil }
    for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
      return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
    }
    return nil
  }
}

/// Read-only shared bytes that no process can change any more: a memfd filled once, then sealed
/// against writing, shrinking and growing, and mapped read-only. Every camera maps the one copy
/// (the scene), whether it was forked or spawned.
public final class SealedMemory: @unchecked Sendable {
  private let owned: OwnedDescriptor
  private let mapping: Mapping

  /// Lends the memfd's descriptor to `body` (to hand to a camera), and only to it.
  public func withDescriptor<R, E: Error>(_ body: (FileDescriptor) throws(E) -> R) throws(E) -> R {
    try owned.withDescriptor(body)
  }
  public var size: Int { mapping.size }

  /// Lends the sealed bytes to `body`, and only to it.
  public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try mapping.withUnsafeMutableBytes { (bytes) throws(E) in try body(UnsafeRawBufferPointer(bytes)) }
  }

  /// The seals that make the contents final. The corresponding C macros are `F_SEAL_*`.
  static let seals = gs_seals_final()

  /// Creates `size` bytes, lets `fill` write them once, then seals and maps them read-only.
  /// The corresponding C functions are `memfd_create(MFD_ALLOW_SEALING)`, `mmap`, `munmap` and
  /// `fcntl(F_ADD_SEALS)`.
  public init(name: String, size: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
    precondition(size > 0)
    let created = try SharedMemory.create(name: name, size: size, sealable: true)
    do {
      let writable = try Mapping(created.descriptor, size: size, writable: true)
      try writable.withUnsafeMutableBytes { try fill($0) }
    }  // the writable mapping is gone here: F_SEAL_WRITE refuses while one exists
    try Self.seal(created.descriptor)
    self.mapping = try Mapping(created.descriptor, size: size, writable: false)
    self.owned = created
  }

  /// How long sealing waits for the kernel to let go of the pages just written.
  public static let sealPatienceNanos: UInt64 = 3_000_000_000

  /// Seals `fd` final, waiting out pages that something still holds. F_SEAL_WRITE is refused
  /// (EBUSY) while any page has a reference beyond the file's own: a pin (a pipe that a page was
  /// spliced into, direct I/O) or the kernel's own passing work on it. One call waits 150 ms for
  /// them to go; under load that was measured too short (1 seal in 3000, the retry then
  /// succeeded), so EBUSY is tried again until `patienceNanos` have passed.
  /// The corresponding C function is `fcntl(F_ADD_SEALS)`.
  public static func seal(_ fd: FileDescriptor, patienceNanos: UInt64 = sealPatienceNanos)
    throws(SyscallError)
  {
    let start = MonotonicClock.nanos()
    var attempts = 0
    while true {
      attempts += 1
      if gs_add_seals(fd.rawValue, seals) == 0 { return }
      let error = Errno(rawValue: Glibc.errno)
      if error == .interrupted { continue }
      guard error == .resourceBusy, MonotonicClock.nanos() &- start < patienceNanos else {
        let waited = error == .resourceBusy ? " (pages still held after \(attempts) attempts)" : ""
        throw SyscallError("fcntl(F_ADD_SEALS)\(waited)", error)
      }
      MonotonicClock.sleep(micros: 10_000)
    }
  }

  /// Maps an inherited sealed memfd read-only, after checking that it is a memfd, that it is
  /// sealed, and that it holds exactly `size` bytes.
  public init(attaching descriptor: consuming OwnedDescriptor, size: Int) throws(SyscallError) {
    try FileDescriptors.expect(.memfd, descriptor.descriptor)
    let seals = gs_get_seals(descriptor.rawValue)
    guard seals != -1, seals & Self.seals == Self.seals else {
      throw SyscallError("memfd \(descriptor.rawValue) is not sealed", .invalidArgument)
    }
    try FileDescriptors.expect(size: size, descriptor.descriptor)
    self.mapping = try Mapping(descriptor.descriptor, size: size, writable: false)
    self.owned = descriptor
  }
}
