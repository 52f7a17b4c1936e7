import Atomics
import GridPosix
import GridZMQ

/// The CURVE gatekeeper: a ZAP handler served on its own thread until stopped.
final class ZMQGate: @unchecked Sendable {
  private let authenticator: ZMQAuthenticator
  private let running = ManagedAtomic<Bool>(true)
  private var thread: GridPosix.Thread?
  private let log: @Sendable (String) -> Void

  init(context: ZMQContext, allowed: Set<[UInt8]>, log: @escaping @Sendable (String) -> Void) throws {
    authenticator = try ZMQAuthenticator(context: context, allowed: allowed, allowNull: false)
    self.log = log
    thread = try GridPosix.Thread { [self] in self.serve() }
  }

  private func serve() {
    var reported = 0
    while running.load(ordering: .acquiring) {
      do {
        try authenticator.serve(timeoutMillis: 50)
      } catch {
        log("gridstitch: CURVE gate: \(error)")
        return
      }
      if authenticator.refused > reported, let refusal = authenticator.lastRefusal {
        reported = authenticator.refused
        log("gridstitch: refused a camera from \(refusal.address): \(refusal.reason)")
      }
    }
  }

  func stop() {
    running.store(false, ordering: .releasing)
    thread?.join()
    thread = nil
  }
}
