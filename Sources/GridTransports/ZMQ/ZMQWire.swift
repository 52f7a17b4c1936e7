import GridCore
import GridImage

/// gridstitch's messages over ZeroMQ, version 2. Every message's first part starts with an
/// 8-byte prefix — "GSZ", the version, the type, three zero bytes — then the type's body: fixed
/// and little-endian, but for the hub's texts (a welcome holds the camera's orders as
/// `CameraOrders.text`, which version 2 brought; a refusal its reason). A frame is two parts:
/// prefix + `FrameHeader`, then exactly the geometry's pixel bytes; a JPEG frame (version 3,
/// `gridstitch camera --encode jpeg`) is prefix + `FrameHeader` whose byte count is the JPEG's,
/// then exactly those bytes, at most `maxJPEGBytes`. Every part is checked (magic, version, type, exact length, number of parts) before
/// anything in it is used; nothing is ever sized from a peer's claim.
public enum ZMQWire {
  public static let version: UInt8 = 3
  static let magic: [UInt8] = Array("GSZ".utf8)
  public static let prefixSize = 8

  public enum Kind: UInt8, Sendable {
    // camera → hub
    case hello = 0x01
    case frame = 0x02
    case heartbeat = 0x03
    case pong = 0x04
    case jpegFrame = 0x05
    // hub → camera
    case welcome = 0x11
    case refuse = 0x12
    case ping = 0x13
    case go = 0x14
    case credit = 0x15
    case stop = 0x16
    case hubHeartbeat = 0x17

    /// The size of the first part (prefix + body): exact, but for the texts of `welcome` (the
    /// orders) and `refuse` (up to 200 bytes).
    public var firstPartSize: ClosedRange<Int> {
      let body: Int
      switch self {
      case .hello: body = 4 + 8 + 8
      case .frame, .jpegFrame: body = FrameHeader.wireSize
      case .heartbeat: body = 8  // frames sent so far
      case .stop, .hubHeartbeat: body = 0
      case .pong: body = 16
      case .welcome: return (ZMQWire.prefixSize + 1)...(ZMQWire.prefixSize + CameraOrders.maxTextBytes)
      case .refuse: return ZMQWire.prefixSize...(ZMQWire.prefixSize + 200)
      case .ping, .go: body = 8
      case .credit: body = 4
      }
      return (ZMQWire.prefixSize + body)...(ZMQWire.prefixSize + body)
    }

    /// Parts in the whole message (a ROUTER adds the routing id in front of these).
    public var parts: Int { self == .frame || self == .jpegFrame ? 2 : 1 }
  }

  /// The most bytes a JPEG frame of `geometry` may have: libturbojpeg's worst case for its size.
  public static func maxJPEGBytes(_ geometry: FrameGeometry) -> Int {
    JPEG.maxBytes(width: geometry.width, height: geometry.height, channels: geometry.channels) ?? 0
  }

  /// The largest second part a frame of `geometry` may have, raw or JPEG.
  public static func maxFrameBytes(_ geometry: FrameGeometry) -> Int {
    max(geometry.bytesPerFrame, maxJPEGBytes(geometry))
  }

  /// The hub's welcome: the camera's orders as their text (`CameraOrders.text`), read back
  /// with every key and value checked; the values' limits are for the camera to check.
  public static func welcome(_ orders: CameraOrders) -> [UInt8] { Array(orders.text.utf8) }

  public static func orders(welcome body: UnsafeRawBufferPointer) throws(GridError) -> CameraOrders {
    do {
      return try CameraOrders(text: String(decoding: body, as: UTF8.self))
    } catch {
      throw .runtime("the hub's welcome: \(error)")
    }
  }

  /// A camera's hello: the tile it asks for (or -1) and the checksums of its scene in grey and
  /// in RGB, so the hub can check it films the same picture.
  public struct Hello: Sendable, Equatable {
    public var requestedCamera: Int32
    public var sceneGrey: UInt64
    public var sceneRGB: UInt64

    public init(requestedCamera: Int32, sceneGrey: UInt64, sceneRGB: UInt64) {
      self.requestedCamera = requestedCamera
      self.sceneGrey = sceneGrey
      self.sceneRGB = sceneRGB
    }
  }

  // MARK: encoding

  public static func bytes(of value: UInt64) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
  }
  public static func bytes(of value: UInt32) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
  }

  static func prefix(_ kind: Kind) -> [UInt8] { magic + [version, kind.rawValue, 0, 0, 0] }

  public static func message(_ kind: Kind, body: [UInt8] = []) -> [UInt8] { prefix(kind) + body }

  public static func hello(_ hello: Hello) -> [UInt8] {
    message(
      .hello,
      body: bytes(of: UInt32(bitPattern: hello.requestedCamera)) + bytes(of: hello.sceneGrey)
        + bytes(of: hello.sceneRGB))
  }

  public static func writeFramePrefix(
    _ header: FrameHeader, kind: Kind = .frame, into buffer: UnsafeMutableRawBufferPointer
  ) {
    for (index, byte) in prefix(kind).enumerated() { buffer[index] = byte }
    header.encode(into: buffer.baseAddress! + prefixSize)
  }

  // MARK: decoding

  /// The kind of a first part whose prefix and exact length check out; nil otherwise (the
  /// caller counts it as rejected, or ends the run if a joined camera sent it).
  public static func kind(of part: UnsafeRawBufferPointer, parts: Int) -> Kind? {
    guard part.count >= prefixSize, part[0] == magic[0], part[1] == magic[1], part[2] == magic[2] else {
      return nil
    }
    guard part[3] == version, part[5] == 0, part[6] == 0, part[7] == 0, let kind = Kind(rawValue: part[4]),
      kind.firstPartSize.contains(part.count), kind.parts == parts
    else { return nil }
    return kind
  }

  /// Why a first part was refused, for the message that names a camera.
  public static func refusal(of part: UnsafeRawBufferPointer, parts: Int) -> String {
    guard part.count >= prefixSize, Array(part[0..<3]) == magic else {
      return "not a gridstitch message (\(part.count) bytes)"
    }
    guard part[3] == version else { return "protocol version \(part[3]), this hub speaks \(version)" }
    guard let kind = Kind(rawValue: part[4]) else { return "unknown message type \(part[4])" }
    guard kind.parts == parts else { return "\(kind) message of \(parts) parts, expected \(kind.parts)" }
    return "\(kind) message of \(part.count) bytes"
  }

  /// The part's bytes after the prefix: a slice of `part`, owned by no one here, valid exactly as
  /// long as the caller's loan of `part` (inside its `ZMQMessage.withUnsafeBytes`).
  public static func body(_ part: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: part[prefixSize...])
  }

  public static func uint64(_ body: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
    UInt64(littleEndian: body.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
  }

  public static func uint32(_ body: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
    UInt32(littleEndian: body.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
  }

  public static func decodeHello(_ body: UnsafeRawBufferPointer) -> Hello {
    Hello(
      requestedCamera: Int32(bitPattern: uint32(body, at: 0)), sceneGrey: uint64(body, at: 4),
      sceneRGB: uint64(body, at: 12))
  }
}
