import GridCore

/// What a camera is told: one value that every camera is made from, wherever it runs. A thread
/// or a forked camera gets it in memory; a spawned camera as `produce --orders TEXT`; a remote
/// camera in the hub's welcome, as the same text. Its fields have one list, the coding keys:
/// `text` writes them and `init(text:)` reads them back, both through `Codable`, so a field added
/// here travels every way at once. Enums travel by their names (their raw values), never by
/// their order, so reordering a case cannot change what a camera is told.
public struct CameraOrders: Codable, Sendable, Equatable {
  /// This camera's tile.
  public var camera: Int
  public var cameras: Int
  public var geometry: FrameGeometry
  public var frames: Int
  public var load: CameraLoad
  public var workMicros: Int
  public var sync: CameraSync
  /// Under `genlock`, microseconds between triggers.
  public var periodMicros: Int
  public var policy: DeliveryPolicy
  /// Slots (shm-ring) or credits (zmq) per camera.
  public var slots: Int
  /// Whether frames carry a checksum: only when the run verifies, so a camera that is not
  /// checked costs no more than its rendering.
  public var checksums: Bool
  /// A fault to inject (tests); only ever this camera's own.
  public var fault: Fault?

  enum CodingKeys: String, CodingKey {
    case camera, cameras, geometry, frames, load
    case workMicros = "work-us"
    case sync
    case periodMicros = "period-us"
    case policy, slots, checksums, fault
  }

  public init(
    camera: Int, cameras: Int, geometry: FrameGeometry, frames: Int, load: CameraLoad, workMicros: Int,
    sync: CameraSync = .free, periodMicros: Int? = nil, policy: DeliveryPolicy = .lockstep, slots: Int = 4,
    checksums: Bool = true, fault: Fault? = nil
  ) {
    self.camera = camera
    self.cameras = cameras
    self.geometry = geometry
    self.frames = frames
    self.load = load
    self.workMicros = workMicros
    self.sync = sync
    self.periodMicros = periodMicros ?? workMicros
    self.policy = policy
    self.slots = slots
    self.checksums = checksums
    self.fault = fault.flatMap { $0.camera == camera ? $0 : nil }
  }

  public var shape: TransportShape {
    TransportShape(cameras: cameras, geometry: geometry, slots: slots, policy: policy)
  }

  /// The same orders for another tile (a hub's welcome, a launch's next camera).
  public func forCamera(_ index: Int) -> CameraOrders {
    var orders = self
    orders.camera = index
    orders.fault = fault.flatMap { $0.camera == index ? $0 : nil }
    return orders
  }

  /// The longest text a camera reads: every field at its widest fits with room to spare.
  public static let maxTextBytes = 400

  /// `key=value` pairs, joined by commas, in the coding keys' order; a missing fault is left out.
  public var text: String {
    let encoder = FlatTextEncoder()
    // Every value is a whole number, a boolean, a name or a fault, and each has a text.
    do { try encode(to: encoder) } catch { preconditionFailure("camera orders cannot be written: \(error)") }
    if let failure = encoder.storage.failure {
      preconditionFailure("camera orders cannot be written: \(failure)")
    }
    return encoder.storage.pairs.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
  }

  /// Reads what `text` wrote. Every key must be known and given once, every value well formed;
  /// the values' limits are for the camera to check (`RunConfiguration`) before anything is sized
  /// from them.
  public init(text: String) throws(GridError) {
    guard text.utf8.count <= Self.maxTextBytes else {
      throw .usage("camera orders of \(text.utf8.count) bytes: at most \(Self.maxTextBytes)")
    }
    guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
      throw .usage("camera orders hold a byte that is not printable ASCII")
    }
    var values: [String: String] = [:]
    for pair in text.split(separator: ",", omittingEmptySubsequences: false) {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty else {
        throw .usage("camera orders: '\(pair)' is not key=value")
      }
      let key = String(parts[0])
      guard values.updateValue(String(parts[1]), forKey: key) == nil else {
        throw .usage("camera orders: \(key) is given twice")
      }
    }
    let decoder = FlatTextDecoder(values: values)
    do {
      self = try CameraOrders(from: decoder)
    } catch let error as GridError {
      throw error
    } catch {
      throw .usage("camera orders: \(error)")
    }
    if let unknown = values.keys.sorted().first(where: { !decoder.used.contains($0) }) {
      throw .usage("camera orders: unknown key \(unknown)")
    }
    if let fault, fault.camera != camera {
      throw .usage("camera orders: fault \(fault) is not camera \(camera)'s")
    }
  }
}

extension FrameGeometry: Codable {
  enum CodingKeys: String, CodingKey { case width, height, channels }

  public init(from decoder: any Decoder) throws {
    let values = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      width: try values.decode(Int.self, forKey: .width),
      height: try values.decode(Int.self, forKey: .height),
      channels: try values.decode(Int.self, forKey: .channels))
  }

  public func encode(to encoder: any Encoder) throws {
    var values = encoder.container(keyedBy: CodingKeys.self)
    try values.encode(width, forKey: .width)
    try values.encode(height, forKey: .height)
    try values.encode(channels, forKey: .channels)
  }
}

extension CameraLoad: Codable {}
extension CameraSync: Codable {}
extension DeliveryPolicy: Codable {}

/// A fault travels as its own text, `kind:camera:sequence`.
extension Fault: Codable {
  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let fault = Fault(parsing: text) else {
      throw GridError.usage("camera orders: fault '\(text)' is not kind:camera:sequence")
    }
    self = fault
  }

  public func encode(to encoder: any Encoder) throws {
    var value = encoder.singleValueContainer()
    try value.encode(description)
  }
}
