import CShims
import Dispatch
import Glibc
import GridPosix
import SystemPackage
import Testing

/// Every owner in GridPosix releases what it owns exactly once, on every path: checked where the
/// resource would be left — this process's /proc/self/fd and /proc/self/maps, and /proc/PID for
/// a child.
@Suite(.serialized) struct OwnershipTests {
  static func mappings(named name: String) -> Int {
    guard let file = fopen("/proc/self/maps", "r") else { return -1 }
    defer { fclose(file) }
    var maps = ""
    var line = [CChar](repeating: 0, count: 4096)
    while fgets(&line, Int32(line.count), file) != nil {
      maps += String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    return maps.split(separator: "\n").filter { $0.contains("/memfd:\(name)") }.count
  }

  static func isOpen(_ fd: CInt) -> Bool { fcntl(fd, F_GETFD) != -1 }

  @Test func ownedDescriptorClosesOnceWhenDropped() throws {
    let raw = open("/dev/null", O_RDONLY | O_CLOEXEC)
    try #require(raw >= 0)
    do { _ = OwnedDescriptor(taking: FileDescriptor(rawValue: raw)) }
    #expect(!Self.isOpen(raw))
  }

  @Test func takeHandsOverWithoutClosing() throws {
    let raw = open("/dev/null", O_RDONLY | O_CLOEXEC)
    let owner = OwnedDescriptor(taking: FileDescriptor(rawValue: raw))
    let handed = owner.take()
    #expect(Self.isOpen(raw))
    try handed.close()
    #expect(!Self.isOpen(raw))
  }

  @Test func pipeEndsAreHighAndCloseOnExec() throws {
    let before = FileDescriptors.openDescriptors()
    do {
      let ends = try PipeEnds()
      for fd in [ends.readEnd.withDescriptor(\.rawValue), ends.writeEnd.withDescriptor(\.rawValue)] {
        #expect(fd >= FileDescriptors.floor)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
      }
      let (readEnd, writeEnd) = (ends.readEnd.withDescriptor { $0 }, ends.writeEnd.withDescriptor { $0 })
      try FileDescriptors.expect(.pipeReadEnd, readEnd)
      try FileDescriptors.expect(.pipeWriteEnd, writeEnd)
      #expect(throws: SyscallError.self) { try FileDescriptors.expect(.pipeWriteEnd, readEnd) }
      #expect(throws: SyscallError.self) { try FileDescriptors.expect(.memfd, readEnd) }
    }
    #expect(FileDescriptors.openDescriptors() == before)
  }

  @Test func descriptorSetClosesWhatIsLeft() throws {
    let before = FileDescriptors.openDescriptors()
    do {
      let set = DescriptorSet(count: 3)
      for index in 0..<3 {
        let ends = try PipeEnds()
        set.adopt(ends.readEnd, at: index)
      }
      let numbers = set.withDescriptors(at: 0..<3) { $0.map(\.rawValue) }
      #expect(numbers.count == 3 && numbers.allSatisfy(Self.isOpen))
      set.close(at: 0)
      #expect(set.withDescriptor(at: 0) { $0 } == nil)
      #expect(!Self.isOpen(numbers[0]))
      set.close(at: 0)  // once only: a second close is a no-op
      #expect(set.withDescriptors(at: 0..<3) { $0.map(\.rawValue) } == Array(numbers[1...]))
      #expect(Self.isOpen(numbers[1]) && Self.isOpen(numbers[2]))
    }
    #expect(FileDescriptors.openDescriptors() == before)
  }

  @Test func sharedMemoryUnmapsAndClosesAndChecksWhatItAttaches() throws {
    let before = FileDescriptors.openDescriptors()
    do {
      let memory = try SharedMemory(name: "gridstitch-owner-test", size: 8192)
      #expect(Self.mappings(named: "gridstitch-owner-test") == 1)
      try memory.withDescriptor { (fd) throws(SyscallError) in try FileDescriptors.expect(.memfd, fd) }
      let copy = memory.withDescriptor { fcntl($0.rawValue, F_DUPFD_CLOEXEC, 32) }
      // Exact size or nothing: a camera never maps more than the object holds.
      #expect(throws: SyscallError.self) {
        _ = try SharedMemory(attaching: OwnedDescriptor(taking: FileDescriptor(rawValue: copy)), size: 8193)
      }
      #expect(!Self.isOpen(copy), "a refused descriptor is still closed")
    }
    #expect(Self.mappings(named: "gridstitch-owner-test") == 0)
    #expect(FileDescriptors.openDescriptors() == before)
  }

  @Test func sealedMemoryCannotBeChangedOrResized() throws {
    let before = FileDescriptors.openDescriptors()
    do {
      let sealed = try SealedMemory(name: "gridstitch-sealed-test", size: 4096) { buffer in
        buffer.initializeMemory(as: UInt8.self, repeating: 7)
      }
      #expect(sealed.withUnsafeBytes { $0[4095] } == 7)
      let fd = sealed.withDescriptor(\.rawValue)
      #expect(ftruncate(fd, 8192) == -1 && errno == EPERM)
      #expect(mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED)
      var byte: UInt8 = 1
      #expect(pwrite(fd, &byte, 1, 0) == -1)
      let copy = fcntl(fd, F_DUPFD_CLOEXEC, 32)
      let attached = try SealedMemory(
        attaching: OwnedDescriptor(taking: FileDescriptor(rawValue: copy)), size: 4096)
      #expect(attached.withUnsafeBytes { $0[0] } == 7)
      // An unsealed memfd is refused: a camera must not map a scene someone can still change.
      let open = try SharedMemory(name: "gridstitch-unsealed-test", size: 4096)
      let unsealed = open.withDescriptor { fcntl($0.rawValue, F_DUPFD_CLOEXEC, 32) }
      #expect(throws: SyscallError.self) {
        _ = try SealedMemory(
          attaching: OwnedDescriptor(taking: FileDescriptor(rawValue: unsealed)), size: 4096)
      }
    }
    #expect(Self.mappings(named: "gridstitch-sealed-test") == 0)
    #expect(FileDescriptors.openDescriptors() == before)
  }

  /// A page the kernel still holds when the contents are sealed delays the seal; it does not fail
  /// it. The hold here is real: the page is spliced into a pipe (the pipe keeps a reference to it)
  /// and read out 0.4 s later, beyond the 150 ms one `F_ADD_SEALS` waits before it says EBUSY.
  @Test(.timeLimit(.minutes(1))) func sealingWaitsOutAPageStillHeld() throws {
    var pipe: [CInt] = [-1, -1]
    try #require(Glibc.pipe(&pipe) == 0)
    let (reader, writer) = (pipe[0], pipe[1])
    // The pipe is read 0.4 s from now, and closed only after that, whatever the seal did.
    let drained = DispatchSemaphore(value: 0)
    DispatchQueue.global().asyncAfter(deadline: .now() + 0.4) {
      var page = [UInt8](repeating: 0, count: 4096)
      _ = read(reader, &page, page.count)
      drained.signal()
    }
    defer {
      drained.wait()
      close(reader)
      close(writer)
    }
    do {
      let sealed = try SealedMemory(name: "gridstitch-pinned-test", size: 8192) { buffer in
        buffer.initializeMemory(as: UInt8.self, repeating: 9)
        #expect(gs_vmsplice(writer, buffer.baseAddress, 4096) == 4096)
      }
      #expect(sealed.withUnsafeBytes { $0[8191] } == 9)
      let fd = sealed.withDescriptor { $0.rawValue }
      #expect(mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED)
    }
    #expect(Self.mappings(named: "gridstitch-pinned-test") == 0)
  }

  /// A page held for longer than the patience is a clear error, not a hang.
  @Test(.timeLimit(.minutes(1))) func sealingGivesUpOnAPageHeldTooLong() throws {
    var pipe: [CInt] = [-1, -1]
    try #require(Glibc.pipe(&pipe) == 0)
    defer { close(pipe[0]); close(pipe[1]) }
    let fd = gs_memfd_create("gridstitch-held-test", 1)
    try #require(fd >= 0)
    defer { close(fd) }
    try #require(ftruncate(fd, 4096) == 0)
    let mapped = mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
    let page = try #require(mapped == MAP_FAILED ? nil : mapped)
    page.storeBytes(of: 1, as: UInt8.self)
    try #require(gs_vmsplice(pipe[1], page, 4096) == 4096)
    munmap(page, 4096)
    let error = #expect(throws: SyscallError.self) {
      try SealedMemory.seal(FileDescriptor(rawValue: fd), patienceNanos: 300_000_000)
    }
    #expect(error?.errno == .resourceBusy)
    #expect(error?.description.contains("pages still held") == true, "\(String(describing: error))")
    #expect(gs_get_seals(fd) & gs_seals_final() == 0, "nothing was sealed")
  }

  @Test func messageQueueCheckRefusesOtherDescriptors() throws {
    let queue = try MessageQueue(capacity: 2, messageSize: 32)
    try queue.withDescriptor { (fd) throws(SyscallError) in try FileDescriptors.expect(.messageQueue, fd) }
    #expect(throws: SyscallError.self) {
      let null = OwnedDescriptor(taking: FileDescriptor(rawValue: open("/dev/null", O_RDWR | O_CLOEXEC)))
      _ = try MessageQueue(inherited: null, messageSize: 32)
    }
  }

  /// A dropped `ChildProcess` that still runs is killed and reaped: no process, no zombie.
  @Test(.timeLimit(.minutes(1))) func droppedChildIsKilledAndReaped() throws {
    var pid: pid_t = 0
    do {
      let child = try ChildProcess.spawn(executable: "/bin/sleep", arguments: ["30"], descriptors: [])
      pid = child.pid
      #expect(kill(pid, 0) == 0)
    }
    #expect(kill(pid, 0) == -1 && errno == ESRCH, "the child (or its zombie) is still there")
  }

  @Test(.timeLimit(.minutes(1))) func processTableStopsEveryChildItHolds() throws {
    var pids: [pid_t] = []
    do {
      let table = ProcessTable(count: 3)
      for index in 0..<3 {
        table.adopt(
          try ChildProcess.spawn(executable: "/bin/sleep", arguments: ["30"], descriptors: []), at: index)
      }
      pids = table.pids
      #expect(table.poll(1) == nil)
      #expect(table.stop(1, graceNanos: 100_000_000) == .killed(signal: SIGTERM))
    }
    #expect(pids.count == 3)
    for pid in pids { #expect(kill(pid, 0) == -1 && errno == ESRCH) }
  }
}
