import CShims
import Glibc
import SystemPackage

/// A POSIX message queue created exclusive, mode 0600, under an unguessable name that is unlinked
/// at once: the descriptor (inherited over fork or spawn) is the only way in, and nothing stays in
/// /dev/mqueue whatever happens next.
public final class MessageQueue: @unchecked Sendable {
  public let messageSize: Int
  /// On Linux a queue descriptor is a file descriptor: closing it is `mq_close`.
  private let owned: OwnedDescriptor

  /// Lends the queue's descriptor to `body` (to hand to a camera), and only to it.
  public func withDescriptor<R, E: Error>(_ body: (FileDescriptor) throws(E) -> R) throws(E) -> R {
    try owned.withDescriptor(body)
  }

  /// The corresponding C functions are `mq_open(O_CREAT|O_EXCL, 0600)` and `mq_unlink`.
  public init(capacity: Int, messageSize: Int) throws(SyscallError) {
    var random: (UInt64, UInt64) = (0, 0)
    withUnsafeMutableBytes(of: &random) { _ = gs_random_bytes($0.baseAddress, $0.count) }
    let name = "/gridstitch-\(String(random.0, radix: 36))\(String(random.1, radix: 36))"
    let mq = name.withCString { gs_mq_create($0, capacity, messageSize) }
    if mq == -1 {
      let error = SyscallError("mq_open(\(name))")
      throw error
    }
    _ = name.withCString { mq_unlink($0) }
    self.owned = try FileDescriptors.moveHigh(OwnedDescriptor(taking: FileDescriptor(rawValue: mq)))
    self.messageSize = messageSize
  }

  /// Takes ownership of an inherited queue descriptor, after checking that it is one.
  public init(inherited descriptor: consuming OwnedDescriptor, messageSize: Int) throws(SyscallError) {
    try FileDescriptors.expect(.messageQueue, descriptor.descriptor)
    self.owned = descriptor
    self.messageSize = messageSize
  }

  /// Sends one message, waiting at most `timeoutNanos`; false on timeout or signal.
  /// The corresponding C function is `mq_timedsend`.
  public func send(_ bytes: UnsafeRawBufferPointer, timeoutNanos: Int64) throws(SyscallError) -> Bool {
    if gs_mq_send(
      owned.rawValue, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count, timeoutNanos)
      == 0
    {
      return true
    }
    if Glibc.errno == ETIMEDOUT || Glibc.errno == EINTR { return false }
    throw SyscallError("mq_timedsend")
  }

  /// Receives one message into `buffer` (at least `messageSize` bytes), waiting at most
  /// `timeoutNanos`; its length, or nil on timeout or signal. The corresponding C function is
  /// `mq_timedreceive`.
  public func receive(into buffer: UnsafeMutableRawBufferPointer, timeoutNanos: Int64) throws(SyscallError)
    -> Int?
  {
    let count = gs_mq_receive(
      owned.rawValue, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), buffer.count, timeoutNanos
    )
    if count >= 0 { return count }
    if Glibc.errno == ETIMEDOUT || Glibc.errno == EINTR { return nil }
    throw SyscallError("mq_timedreceive")
  }
}
