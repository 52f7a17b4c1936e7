import CShims
import Glibc
import SystemPackage

/// The one owner of an open descriptor. It closes it exactly once: in `close()`, or in `deinit`
/// when nobody did. `take()` hands the number over (to a child process, or to another owner) and
/// this owner forgets it; a second hand-over is a compile error, not a double close. Outside
/// GridPosix the number is only lent, to a closure (`withDescriptor`), so no caller keeps it past
/// its owner.
public struct OwnedDescriptor: ~Copyable {
  /// The descriptor, for GridPosix's own calls; it stays owned here.
  let descriptor: FileDescriptor

  public init(taking descriptor: FileDescriptor) { self.descriptor = descriptor }

  var rawValue: CInt { descriptor.rawValue }

  /// Lends the descriptor to `body`, and only to it: it stays owned here.
  public borrowing func withDescriptor<R, E: Error>(_ body: (FileDescriptor) throws(E) -> R) throws(E) -> R {
    try body(descriptor)
  }

  /// Hands the descriptor over without closing it.
  public consuming func take() -> FileDescriptor {
    let descriptor = self.descriptor
    discard self
    return descriptor
  }

  /// The corresponding C function is `close` (on Linux the number is gone even if it fails).
  public consuming func close() {
    try? descriptor.close()
    discard self
  }

  deinit { try? descriptor.close() }
}

/// Both ends of a pipe, each with its one owner: a failure half-way closes what was made.
@frozen public struct PipeEnds: ~Copyable {
  public var readEnd: OwnedDescriptor
  public var writeEnd: OwnedDescriptor

  /// A close-on-exec pipe with both ends above `FileDescriptors.floor`.
  /// The corresponding C functions are `pipe2(O_CLOEXEC)` and `fcntl(F_DUPFD_CLOEXEC)`.
  public init() throws(SyscallError) {
    var fds: (CInt, CInt) = (-1, -1)
    let result = withUnsafeMutableBytes(of: &fds) {
      gs_pipe_cloexec($0.baseAddress!.assumingMemoryBound(to: CInt.self))
    }
    _ = try check("pipe2", result)
    let readEnd = OwnedDescriptor(taking: FileDescriptor(rawValue: fds.0))
    let writeEnd = OwnedDescriptor(taking: FileDescriptor(rawValue: fds.1))
    let high = try FileDescriptors.moveHigh(readEnd)
    self.writeEnd = try FileDescriptors.moveHigh(writeEnd)
    self.readEnd = high
  }
}

/// A numbered set of descriptors with one owner (a transport's per-camera ends, a start line's
/// four ends): each is closed once, by `close(at:)` or in `deinit`. Its entries are only lent, to
/// a closure; what leaves it for a camera leaves inside that closure, to a child process (see
/// `CameraEnds` for the camera's side, which owns what it was handed).
public final class DescriptorSet {
  private var entries: [FileDescriptor?]

  public init(count: Int) { entries = Array(repeating: nil, count: count) }

  public var count: Int { entries.count }

  /// Takes ownership of `owned` as entry `index` (closing any it replaces).
  public func adopt(_ owned: consuming OwnedDescriptor, at index: Int) {
    close(at: index)
    entries[index] = owned.take()
  }

  /// Lends entry `index` to `body` (nil once it is closed); it stays owned here.
  public func withDescriptor<R, E: Error>(at index: Int, _ body: (FileDescriptor?) throws(E) -> R) throws(E)
    -> R
  {
    try body(entries[index])
  }

  /// Lends the entries of `indices` that are still open, in that order, to `body`.
  public func withDescriptors<R, E: Error>(
    at indices: some Sequence<Int>, _ body: ([FileDescriptor]) throws(E) -> R
  )
    throws(E) -> R
  {
    try body(indices.compactMap { entries[$0] })
  }

  public func close(at index: Int) {
    if let descriptor = entries[index] {
      entries[index] = nil
      try? descriptor.close()
    }
  }

  public func closeAll() {
    for index in entries.indices { close(at: index) }
  }

  deinit { closeAll() }
}
