import CShims
import Glibc

/// A POSIX message queue created exclusive, mode 0600, under an unguessable name that is unlinked
/// at once: the descriptor (inherited over fork or spawn) is the only way in, and nothing stays in
/// /dev/mqueue whatever happens next.
public final class MessageQueue: @unchecked Sendable {
  public let descriptor: mqd_t
  public let messageSize: Int
  private let owned: Bool

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
    self.descriptor = try FileDescriptors.moveHigh(mq)
    self.messageSize = messageSize
    self.owned = true
  }

  /// Takes ownership of an inherited queue descriptor.
  public init(inherited descriptor: CInt, messageSize: Int) {
    self.descriptor = descriptor
    self.messageSize = messageSize
    self.owned = true
  }

  /// Sends one message, waiting at most `timeoutNanos`; false on timeout or signal.
  /// The corresponding C function is `mq_timedsend`.
  public func send(_ bytes: UnsafeRawBufferPointer, timeoutNanos: Int64) throws(SyscallError) -> Bool {
    if gs_mq_send(
      descriptor, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count, timeoutNanos) == 0
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
      descriptor, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), buffer.count, timeoutNanos)
    if count >= 0 { return count }
    if Glibc.errno == ETIMEDOUT || Glibc.errno == EINTR { return nil }
    throw SyscallError("mq_timedreceive")
  }

  deinit {
    if owned { mq_close(descriptor) }
  }
}
