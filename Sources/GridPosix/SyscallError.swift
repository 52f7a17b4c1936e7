import Glibc
import SystemPackage

/// A failed system call: which call, and the errno it left.
public struct SyscallError: Error, CustomStringConvertible, Sendable {
  public let call: String
  public let errno: Errno

  public init(_ call: String, _ errno: Errno = Errno(rawValue: Glibc.errno)) {
    self.call = call
    self.errno = errno
  }

  public var description: String { "\(call): \(String(cString: strerror(errno.rawValue)))" }
}

/// Runs `body` until it does not fail with EINTR; -1 becomes a `SyscallError` naming `call`.
@inline(__always)
func retryOnInterrupt<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(SyscallError) -> T {
  while true {
    let result = body()
    if result != -1 { return result }
    if Glibc.errno == EINTR { continue }
    throw SyscallError(call)
  }
}

/// -1 becomes a `SyscallError` naming `call`; no retry (for calls where EINTR must reach the caller).
@inline(__always)
func check<T: BinaryInteger>(_ call: String, _ result: T) throws(SyscallError) -> T {
  if result == -1 { throw SyscallError(call) }
  return result
}
