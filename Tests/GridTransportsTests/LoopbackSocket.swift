import Glibc
import Testing

/// A TCP socket bound to a loopback port of the kernel's choosing, not yet listening: connections
/// to it are refused until `listen`, and the port stays the test's meanwhile.
struct LoopbackSocket {
  let descriptor: Int32
  let port: UInt16

  /// The address it is bound to, for `connect`.
  var address: sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    return address
  }

  /// The caller closes `descriptor`.
  static func bound() throws -> LoopbackSocket {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(descriptor >= 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
      }
    }
    guard named else {
      close(descriptor)
      throw LoopbackError()
    }
    return LoopbackSocket(descriptor: descriptor, port: UInt16(bigEndian: address.sin_port))
  }

  struct LoopbackError: Error {}
}
