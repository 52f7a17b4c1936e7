import GridCore
import Testing

@testable import GridTransports

/// The zmq wire: what a camera and a hub agree on, and what a hub refuses before using it.
struct ZMQWireTests {
  /// The welcome is the orders' text, read back whole; a body that is not orders is refused.
  @Test func welcomeCarriesTheOrders() throws {
    let orders = CameraOrders(
      camera: 5, cameras: 16, geometry: FrameGeometry(width: 320, height: 240, channels: 3), frames: 1234,
      load: .cpu, workMicros: 777, sync: .genlock, periodMicros: 1500, policy: .latest, slots: 8)
    let body = ZMQWire.welcome(orders)
    #expect(body.count <= CameraOrders.maxTextBytes)
    #expect(ZMQWire.Kind.welcome.firstPartSize.contains(ZMQWire.prefixSize + body.count))
    #expect(try body.withUnsafeBytes { try ZMQWire.orders(welcome: $0) } == orders)
    let spoiled = Array(body.dropLast(3))
    #expect(throws: GridError.self) { try spoiled.withUnsafeBytes { try ZMQWire.orders(welcome: $0) } }
  }

  @Test func helloRoundTrip() {
    let hello = ZMQWire.Hello(requestedCamera: -1, sceneGrey: 0x0123_4567_89AB_CDEF, sceneRGB: 42)
    let bytes = ZMQWire.hello(hello)
    bytes.withUnsafeBytes { raw in
      #expect(ZMQWire.kind(of: raw, parts: 1) == .hello)
      #expect(ZMQWire.decodeHello(ZMQWire.body(raw)) == hello)
    }
  }

  /// A JPEG frame is two parts like a raw one; its second part may be as large as the JPEG worst
  /// case of the tile (over the raw size for a tile this small), no larger.
  @Test func jpegFramesAreTwoPartsWithinTheWorstCase() {
    let frame = ZMQWire.message(.jpegFrame, body: [UInt8](repeating: 0, count: FrameHeader.wireSize))
    frame.withUnsafeBytes { raw in
      #expect(ZMQWire.kind(of: raw, parts: 2) == .jpegFrame)
      #expect(ZMQWire.kind(of: raw, parts: 1) == nil)
    }
    let tile = FrameGeometry(width: 32, height: 24, channels: 1)
    #expect(ZMQWire.maxJPEGBytes(tile) > tile.bytesPerFrame)
    #expect(ZMQWire.maxFrameBytes(tile) == ZMQWire.maxJPEGBytes(tile))
    let large = FrameGeometry(width: 320, height: 240, channels: 3)
    #expect(ZMQWire.maxFrameBytes(large) >= large.bytesPerFrame)
  }

  /// Each way a first part can be wrong is refused, and the reason says which.
  @Test func malformedFirstPartsAreRefused() {
    let frame = ZMQWire.message(.frame, body: [UInt8](repeating: 0, count: FrameHeader.wireSize))
    frame.withUnsafeBytes { #expect(ZMQWire.kind(of: $0, parts: 2) == .frame) }
    let cases: [([UInt8], Int, String)] = [
      (Array("garbage".utf8), 2, "not a gridstitch message"),
      (Array(frame.prefix(3)) + [9] + Array(frame.dropFirst(4)), 2, "protocol version 9"),
      (Array(frame.prefix(4)) + [0x7F] + Array(frame.dropFirst(5)), 2, "unknown message type 127"),
      (frame, 1, "frame message of 1 parts, expected 2"),
      (frame, 3, "frame message of 3 parts, expected 2"),
      (Array(frame.dropLast()), 2, "frame message of 47 bytes"),
      (Array(frame.prefix(5)) + [1] + Array(frame.dropFirst(6)), 2, "frame message of 48 bytes"),
    ]
    for (bytes, parts, reason) in cases {
      bytes.withUnsafeBytes { raw in
        #expect(ZMQWire.kind(of: raw, parts: parts) == nil, "\(reason)")
        #expect(
          ZMQWire.refusal(of: raw, parts: parts).contains(reason), "\(ZMQWire.refusal(of: raw, parts: parts))"
        )
      }
    }
  }
}
