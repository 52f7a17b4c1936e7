import FuzzDriver
import GridCore
import GridTransports

/// The first byte is how many parts the message came in (1 to 3), the rest its first part, as a
/// hub or a camera reads it. Whatever the bytes, classifying and explaining them must not trap;
/// a part that is accepted must decode, and re-encode to exactly the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  guard count >= 1 else { return 0 }
  let parts = Int(start.load(as: UInt8.self) % 3) + 1
  // A copy of its own, so a read past the part is a read past an allocation.
  let bytes = Array(UnsafeRawBufferPointer(start: start + 1, count: count - 1))
  bytes.withUnsafeBytes { part in check(part, parts: parts) }
  return 0
}

func check(_ part: UnsafeRawBufferPointer, parts: Int) {
  let refusal = ZMQWire.refusal(of: part, parts: parts)
  precondition(!refusal.isEmpty && refusal.utf8.count < 200, "refusal: \(refusal)")
  guard let kind = ZMQWire.kind(of: part, parts: parts) else { return }
  precondition(kind.firstPartSize.contains(part.count) && kind.parts == parts)
  let body = ZMQWire.body(part)
  precondition(body.count == part.count - ZMQWire.prefixSize)
  let same = ZMQWire.message(kind, body: Array(body))
  precondition(same.elementsEqual(part), "\(kind) does not re-encode to its bytes")
  let encoded: [UInt8]
  switch kind {
  case .hello:
    encoded = ZMQWire.hello(ZMQWire.decodeHello(body))
  case .frame, .jpegFrame:
    let header = FrameHeader(decoding: body.baseAddress!)
    encoded = framePrefix(header, kind: kind)
    // Only the header's own fields survive; flag bits beyond the checksum's and the source's
    // (`SourceSignal`) are not kept.
    let again = encoded.withUnsafeBytes { FrameHeader(decoding: $0.baseAddress! + ZMQWire.prefixSize) }
    precondition(again == header, "frame header \(header) decodes as \(again)")
    precondition(Array(encoded.prefix(ZMQWire.prefixSize)).elementsEqual(part.prefix(ZMQWire.prefixSize)))
    return
  case .heartbeat, .ping, .go:
    encoded = ZMQWire.message(kind, body: ZMQWire.bytes(of: ZMQWire.uint64(body, at: 0)))
  case .pong:
    encoded = ZMQWire.message(
      kind,
      body: ZMQWire.bytes(of: ZMQWire.uint64(body, at: 0)) + ZMQWire.bytes(of: ZMQWire.uint64(body, at: 8)))
  case .credit:
    encoded = ZMQWire.message(kind, body: ZMQWire.bytes(of: ZMQWire.uint32(body, at: 0)))
  case .welcome:
    checkOrders(body)
    return
  case .refuse, .stop, .hubHeartbeat:
    encoded = ZMQWire.message(kind, body: Array(body))
  }
  precondition(encoded.elementsEqual(part), "\(kind) does not round-trip")
}

/// A welcome is accepted only as orders whose every key is known and given once, their text
/// within its bound; accepted orders re-encode to a welcome that reads back the same.
func checkOrders(_ body: UnsafeRawBufferPointer) {
  guard let orders = try? ZMQWire.orders(welcome: body) else { return }
  precondition(body.count <= CameraOrders.maxTextBytes, "orders of \(body.count) bytes")
  precondition(orders.fault.map { $0.camera == orders.camera } ?? true, "orders \(orders)")
  let encoded = ZMQWire.welcome(orders)
  let again = encoded.withUnsafeBytes { try? ZMQWire.orders(welcome: $0) }
  precondition(again == orders, "orders \(orders) do not round-trip")
}

func framePrefix(_ header: FrameHeader, kind: ZMQWire.Kind) -> [UInt8] {
  var buffer = [UInt8](repeating: 0xAA, count: ZMQWire.prefixSize + FrameHeader.wireSize)
  buffer.withUnsafeMutableBytes { ZMQWire.writeFramePrefix(header, kind: kind, into: $0) }
  return buffer
}

/// The process's entry: libFuzzer's driver (SwiftPM links `main` to this name).
@_cdecl("FuzzZMQWire_main")
public func start(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  gridstitch_fuzz_main(argc, argv)
}
