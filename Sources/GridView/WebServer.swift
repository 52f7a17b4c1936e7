import Glibc
import GridPosix
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// Why a server could not start, as a one-line message.
public struct ServeError: Error, CustomStringConvertible {
  public let description: String
}

/// A Hummingbird application running beside the work on threads of its own (SwiftNIO's), never
/// inside it. `start` returns once the socket is bound, or throws a one-line error.
public final class WebServer: @unchecked Sendable {
  /// The port bound (the one asked for, or the kernel's pick for port 0).
  public let port: Int
  public let host: String
  private let task: Task<Void, Never>
  private let exited: Outcome<Void>
  /// The application's service group: it is stopped gracefully (see `stop`).
  private let group: ServiceGroup

  /// Connections served at once; more wait in the kernel's backlog, holding none of ours.
  static let maximumConnections = 256
  /// A connection that sends no request for this long is closed (one that is being answered, a
  /// stream, is not idle).
  static let idleSeconds: Int64 = 10

  public var url: String {
    let shown = host.contains(":") ? "[\(host)]" : host
    return "http://\(shown):\(port)/"
  }

  init(host: String, port: Int, router: Router<BasicRequestContext>) throws(ServeError) {
    let bound = Outcome<Int>()
    let exited = Outcome<Void>()
    // Requests are not logged: stdout may carry `--json`, and stderr is for one-line errors.
    let quiet = Logger(label: "gridstitch.view") { _ in SwiftLogNoOpLogHandler() }
    let app = Application(
      router: router,
      server: .http1Closing(configuration: .init(idleTimeout: .seconds(Self.idleSeconds))),
      configuration: .init(
        address: .hostname(host, port: port), serverName: "gridstitch",
        availableConnectionsDelegate: MaximumAvailableConnections(Self.maximumConnections)),
      onServerRunning: { channel in bound.settle(.success(channel.localAddress?.port ?? port)) },
      logger: quiet)
    // No signals of its own: the run answers SIGINT and SIGTERM, and stops the server itself.
    let group = ServiceGroup(services: [app], logger: quiet)
    self.group = group
    task = Task.detached {
      do {
        try await group.run()
      } catch {
        bound.settle(.failure(error))
      }
      bound.settle(.failure(CancellationError()))
      exited.settle(.success(()))
    }
    self.exited = exited
    self.host = host
    switch bound.wait() {
    case .success(let actual):
      self.port = actual
    case .failure(let error):
      task.cancel()
      throw ServeError(description: Self.explain(error, host: host, port: port))
    }
  }

  /// Closes the socket and every connection; waits (bounded) for the server to wind down.
  ///
  /// Gracefully: the server stops accepting and serves out what it has taken in. Cancelling its
  /// task instead can drop a connection NIO accepted but the server had not yet taken from its
  /// queue, and NIO traps on that (SIGILL, "Deinited NIOAsyncWriter without calling finish()";
  /// swift-nio issues 2637 and 3481): a run with viewers still connecting died that way at its
  /// end, 3 times in 15. Cancelling stays the fallback for a server that does not wind down.
  public func stop() {
    let group = group
    Task.detached { await group.triggerGracefulShutdown() }
    if exited.wait(timeoutNanos: 3_000_000_000) == nil {
      task.cancel()
      _ = exited.wait(timeoutNanos: 2_000_000_000)
    }
  }

  private static func explain(_ error: any Error, host: String, port: Int) -> String {
    let address = "\(host):\(port)"
    if let io = error as? IOError {
      switch io.errnoCode {
      case EADDRINUSE: return "--serve \(address): the address is already in use"
      case EACCES: return "--serve \(address): permission denied (ports below 1024 need privileges)"
      case EADDRNOTAVAIL: return "--serve \(address): no such address on this machine"
      default: return "--serve \(address): cannot listen: \(io.description)"
      }
    }
    return "--serve \(address): cannot listen: \(error)"
  }
}

/// The first outcome of something another thread does (the server bound, the server gone),
/// waited for by one that cannot go on without it.
final class Outcome<Value: Sendable>: @unchecked Sendable {
  private let lock = ConditionLock()
  // Guarded by `lock`.
  private var result: Result<Value, any Error>?

  func settle(_ outcome: Result<Value, any Error>) {
    lock.withLock {
      if result == nil { result = outcome }
      lock.broadcast()
    }
  }

  /// Waits for the outcome.
  func wait() -> Result<Value, any Error> {
    lock.withLock {
      while result == nil { lock.wait(timeoutNanos: 1_000_000_000) }
      return result!
    }
  }

  /// Waits at most `timeoutNanos`; nil if nothing was settled by then.
  func wait(timeoutNanos: UInt64) -> Result<Value, any Error>? {
    let deadline = MonotonicClock.nanos() &+ timeoutNanos
    return lock.withLock {
      while result == nil {
        let now = MonotonicClock.nanos()
        guard now < deadline else { break }
        lock.wait(timeoutNanos: Int64(deadline &- now))
      }
      return result
    }
  }
}
