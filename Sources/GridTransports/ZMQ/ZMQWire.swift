import GridCore

/// gridstitch's messages over ZeroMQ, version 1. Every message's first part starts with an
/// 8-byte prefix — "GSZ", the version, the type, three zero bytes — then the type's fixed body,
/// little-endian. A frame is two parts: prefix + `FrameHeader`, then exactly the geometry's pixel
/// bytes. Every part is checked (magic, version, type, exact length, number of parts) before
/// anything in it is used; nothing is ever sized from a peer's claim.
public enum ZMQWire {
  public static let version: UInt8 = 1
  static let magic: [UInt8] = Array("GSZ".utf8)
  public static let prefixSize = 8

  public enum Kind: UInt8, Sendable {
    // camera → hub
    case hello = 0x01
    case frame = 0x02
    case heartbeat = 0x03
    case pong = 0x04
    // hub → camera
    case welcome = 0x11
    case refuse = 0x12
    case ping = 0x13
    case go = 0x14
    case credit = 0x15
    case stop = 0x16
    case hubHeartbeat = 0x17

    /// The exact size of the first part (prefix + body); `refuse` carries up to 200 bytes of text.
    public var firstPartSize: ClosedRange<Int> {
      let body: Int
      switch self {
      case .hello: body = 4 + 8 + 8
      case .frame: body = FrameHeader.wireSize
      case .heartbeat: body = 8  // frames sent so far
      case .stop, .hubHeartbeat: body = 0
      case .pong: body = 16
      case .welcome: body = Settings.wireSize
      case .refuse: return ZMQWire.prefixSize...(ZMQWire.prefixSize + 200)
      case .ping, .go: body = 8
      case .credit: body = 4
      }
      return (ZMQWire.prefixSize + body)...(ZMQWire.prefixSize + body)
    }

    /// Parts in the whole message (a ROUTER adds the routing id in front of these).
    public var parts: Int { self == .frame ? 2 : 1 }
  }

  /// What the hub tells a camera that joins: everything it needs to agree with the hub.
  public struct Settings: Sendable, Equatable {
    public var camera: Int
    public var cameras: Int
    public var geometry: FrameGeometry
    public var frames: Int
    public var load: CameraLoad
    public var workMicros: Int
    public var sync: CameraSync
    public var periodMicros: Int
    public var policy: DeliveryPolicy
    public var slots: Int
    public var checksums: Bool

    public init(
      camera: Int, cameras: Int, geometry: FrameGeometry, frames: Int, load: CameraLoad, workMicros: Int,
      sync: CameraSync, periodMicros: Int, policy: DeliveryPolicy, slots: Int, checksums: Bool
    ) {
      self.camera = camera
      self.cameras = cameras
      self.geometry = geometry
      self.frames = frames
      self.load = load
      self.workMicros = workMicros
      self.sync = sync
      self.periodMicros = periodMicros
      self.policy = policy
      self.slots = slots
      self.checksums = checksums
    }

    public static let wireSize = 11 * 8

    public var shape: TransportShape {
      TransportShape(cameras: cameras, geometry: geometry, slots: slots, policy: policy)
    }

    public func encode() -> [UInt8] {
      let values: [Int64] = [
        Int64(camera), Int64(cameras), Int64(geometry.width), Int64(geometry.height),
        Int64(geometry.channels), Int64(frames), Int64(CameraLoad.allCases.firstIndex(of: load)!),
        Int64(workMicros), Int64(periodMicros),
        Int64(sync == .genlock ? 1 : 0) | Int64(policy == .latest ? 2 : 0)
          | Int64(checksums ? 4 : 0), Int64(slots),
      ]
      return values.flatMap { ZMQWire.bytes(of: UInt64(bitPattern: $0)) }
    }

    /// Decodes the values; their limits are for the camera to check (`RunConfiguration`).
    public static func decode(_ body: UnsafeRawBufferPointer) throws(GridError) -> Settings {
      guard body.count == wireSize else { throw .runtime("the hub's settings are \(body.count) bytes") }
      func value(_ index: Int) -> Int64 {
        Int64(
          bitPattern: UInt64(littleEndian: body.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)))
      }
      func int(_ index: Int) throws(GridError) -> Int {
        let raw = value(index)
        guard raw >= 0, raw <= Int64(Int32.max) else { throw .runtime("the hub sent a setting of \(raw)") }
        return Int(raw)
      }
      let loadIndex = try int(6)
      guard loadIndex < CameraLoad.allCases.count else { throw .runtime("the hub sent load \(loadIndex)") }
      let flags = try int(9)
      return Settings(
        camera: try int(0), cameras: try int(1),
        geometry: FrameGeometry(width: try int(2), height: try int(3), channels: try int(4)),
        frames: try int(5), load: CameraLoad.allCases[loadIndex], workMicros: try int(7),
        sync: flags & 1 != 0 ? .genlock : .free, periodMicros: try int(8),
        policy: flags & 2 != 0 ? .latest : .lockstep, slots: try int(10), checksums: flags & 4 != 0)
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

  public static func writeFramePrefix(_ header: FrameHeader, into buffer: UnsafeMutableRawBufferPointer) {
    for (index, byte) in prefix(.frame).enumerated() { buffer[index] = byte }
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
