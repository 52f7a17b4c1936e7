import Foundation
import Testing

@testable import GridZMQ

/// The thin layer over libzmq, on inproc and loopback only.
@Suite(.serialized) struct GridZMQTests {
  @Test func errorsNameTheCall() throws {
    let context = try ZMQContext()
    let socket = try ZMQSocket(context, .router)
    #expect(throws: ZMQError.self) { try socket.bind("nonsense://here") }
    do {
      try socket.bind("nonsense://here")
    } catch {
      #expect(error.call == "zmq_bind(nonsense://here)")
      #expect(error.description.hasPrefix("zmq_bind(nonsense://here): "))
    }
    socket.close()
    #expect(throws: ZMQError.self) { try socket.bind("inproc://x") }
  }

  @Test(.timeLimit(.minutes(1))) func routerDealerMultipartRoundTrip() throws {
    let context = try ZMQContext()
    let router = try ZMQSocket(context, .router)
    try router.bind("tcp://127.0.0.1:0")
    let endpoint = try router.lastEndpoint
    #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
    let dealer = try ZMQSocket(context, .dealer)
    try dealer.setRoutingID([7])
    try dealer.connect(endpoint)
    try dealer.send(Array("head".utf8), more: true)
    try dealer.send(Array("body".utf8))
    #expect(try router.waitReadable(timeoutMillis: 5000))
    let (parts, overflowed) = try #require(try router.receiveParts(maxParts: 3))
    #expect(!overflowed)
    #expect(parts.map(\.array) == [[7], Array("head".utf8), Array("body".utf8)])
    // Too many parts: the extra are read and dropped, and the caller is told.
    try dealer.send([1], more: true)
    try dealer.send([2], more: true)
    try dealer.send([3])
    #expect(try router.waitReadable(timeoutMillis: 5000))
    let (short, cut) = try #require(try router.receiveParts(maxParts: 2))
    #expect(cut && short.count == 2)
    #expect(try router.receiveParts(maxParts: 2) == nil)
  }

  /// A zero-copy message: libzmq calls the free callback once, after sending from our buffer.
  @Test(.timeLimit(.minutes(1))) func zeroCopyBufferIsReturned() throws {
    let context = try ZMQContext()
    let pull = try ZMQSocket(context, .pull)
    try pull.bind("tcp://127.0.0.1:0")
    let push = try ZMQSocket(context, .push)
    try push.connect(try pull.lastEndpoint)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 100_000, alignment: 64)
    buffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
    // libzmq calls the free callback on its I/O thread: the count is read here under a lock.
    let freed = FreeCount()
    defer { buffer.deallocate() }
    let message = try ZMQMessage(
      lending: buffer,
      free: { _, hint in Unmanaged<FreeCount>.fromOpaque(hint!).takeUnretainedValue().add() },
      hint: Unmanaged.passUnretained(freed).toOpaque())
    try push.send(message)
    let received = ZMQMessage()
    try pull.receive(into: received)
    #expect(received.count == 100_000)
    #expect(received.array.allSatisfy { $0 == 0xA5 })
    let deadline = Date().addingTimeInterval(5)
    while freed.value == 0 && Date() < deadline { usleep(1000) }
    #expect(freed.value == 1)
    withExtendedLifetime(freed) {}
  }

  final class FreeCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
  }

  /// A message over `ZMQ_MAXMSGSIZE` never arrives: libzmq drops the connection instead.
  @Test(.timeLimit(.minutes(1))) func oversizedMessageIsRefused() throws {
    let context = try ZMQContext()
    let router = try ZMQSocket(context, .router)
    try router.setMaxMessageSize(1000)
    try router.bind("tcp://127.0.0.1:0")
    let monitor = try router.monitor(name: "oversize")
    let dealer = try ZMQSocket(context, .dealer)
    try dealer.connect(try router.lastEndpoint)
    try dealer.send([UInt8](repeating: 1, count: 5000))
    #expect(try !router.waitReadable(timeoutMillis: 500))
    var sawDisconnect = false
    let deadline = Date().addingTimeInterval(5)
    while !sawDisconnect && Date() < deadline {
      _ = try monitor.socket.waitReadable(timeoutMillis: 100)
      while let event = try monitor.next() { sawDisconnect = sawDisconnect || event.isDisconnect }
    }
    #expect(sawDisconnect)
  }

  @Test func curveKeys() throws {
    #expect(ZMQContext.has("curve"))
    let pair = try ZMQCurveKeyPair.generate()
    #expect(pair.publicKey.utf8.count == 40 && pair.secretKey.utf8.count == 40)
    #expect(ZMQCurveKeyPair(secretKey: pair.secretKey) == pair)
    #expect(ZMQCurveKeyPair(secretKey: "too short") == nil)
    let bytes = try #require(ZMQCurveKeyPair.decode(pair.publicKey))
    #expect(ZMQCurveKeyPair.encode(bytes) == pair.publicKey)
  }

  /// CURVE through the ZAP handler: an allowed key joins, another key and no key do not.
  @Test(.timeLimit(.minutes(1))) func authenticatorAdmitsOnlyAllowedKeys() throws {
    let context = try ZMQContext()
    let hub = try ZMQCurveKeyPair.generate()
    let good = try ZMQCurveKeyPair.generate()
    let stranger = try ZMQCurveKeyPair.generate()
    let zap = try ZMQAuthenticator(
      context: context, allowed: [try #require(ZMQCurveKeyPair.decode(good.publicKey))], allowNull: false)
    let router = try ZMQSocket(context, .router)
    try router.setCurveServer(secretKey: hub.secretKey)
    try router.setZAPDomain("gridstitch")
    try router.bind("tcp://127.0.0.1:0")
    let endpoint = try router.lastEndpoint

    func attempt(_ keys: ZMQCurveKeyPair?) throws -> Bool {
      let dealer = try ZMQSocket(context, .dealer)
      if let keys { try dealer.setCurveClient(keys: keys, serverKey: hub.publicKey) }
      try dealer.connect(endpoint)
      try dealer.send(Array("hello".utf8))
      let deadline = Date().addingTimeInterval(1)
      while Date() < deadline {
        try zap.serve(timeoutMillis: 20)
        if let (parts, _) = try router.receiveParts(maxParts: 2) {
          #expect(parts[1].property("User-Id") == keys?.publicKey)
          return true
        }
      }
      return false
    }
    #expect(try attempt(good))
    #expect(try !attempt(stranger))
    #expect(try !attempt(nil))
    #expect(zap.admitted == 1)
    #expect(zap.refused >= 1)
  }
}
