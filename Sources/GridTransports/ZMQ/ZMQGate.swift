import Atomics
import GridPosix
import GridZMQ
import Synchronization

/// The CURVE gatekeeper: a ZAP handler served on its own thread until stopped. The hub's peer
/// table, not the gate's thread, speaks of the handshakes it refuses: the gate keeps them until
/// the hub takes them (`takeRefusals()`), so they are counted and said within the same limits as
/// every other refusal.
final class ZMQGate: @unchecked Sendable {
  /// Handshakes refused since the hub last asked, and the last one's address and reason.
  struct Refusals: Sendable {
    var count = 0
    var last: (address: String, reason: String)?
  }

  private let authenticator: ZMQAuthenticator
  private let running = ManagedAtomic<Bool>(true)
  private let refusals = Mutex(Refusals())
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
        let count = authenticator.refused - reported
        reported = authenticator.refused
        refusals.withLock {
          $0.count += count
          $0.last = refusal
        }
      }
    }
  }

  /// The handshakes refused since the last call.
  func takeRefusals() -> Refusals {
    refusals.withLock {
      let taken = $0
      $0 = Refusals()
      return taken
    }
  }

  func stop() {
    running.store(false, ordering: .releasing)
    thread?.join()
    thread = nil
  }
}
