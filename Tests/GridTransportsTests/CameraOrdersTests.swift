import GridCore
import Testing

@testable import GridTransports

/// What a camera is told, one value every way it travels: its text is pinned, reads back to the
/// same orders, carries every field, names enums rather than numbering them, and anything else
/// is refused with a line that says what.
struct CameraOrdersTests {
  /// Every field away from its default, so a field left out of the text would be lost here.
  static let orders = CameraOrders(
    camera: 5, cameras: 16, geometry: FrameGeometry(width: 333, height: 177, channels: 3), frames: 1234,
    load: .cpu, workMicros: 777, sync: .genlock, periodMicros: 1500, policy: .latest, slots: 8,
    checksums: false,
    fault: Fault(kind: .wrongCamera, camera: 5, sequence: 42))

  @Test func theTextIsPinnedAndReadsBack() throws {
    let text = Self.orders.text
    #expect(
      text
        == "camera=5,cameras=16,width=333,height=177,channels=3,frames=1234,load=cpu,work-us=777,sync=genlock,"
        + "period-us=1500,policy=latest,slots=8,checksums=false,fault=wrong-camera:5:42")
    #expect(try CameraOrders(text: text) == Self.orders)
    var plain = Self.orders
    plain.fault = nil
    #expect(!plain.text.contains("fault"))
    #expect(try CameraOrders(text: plain.text) == plain)
  }

  /// Each stored field is a pair of the text (the geometry three of them): a field added to the
  /// orders without a way to travel fails here.
  @Test func everyFieldTravels() {
    let fields = Mirror(reflecting: Self.orders).children.count
    let geometryFields = Mirror(reflecting: Self.orders.geometry).children.count
    let pairs = Self.orders.text.split(separator: ",").count
    #expect(pairs == fields - 1 + geometryFields)
  }

  /// Enums travel by name: the case order never reaches the text.
  @Test func enumsTravelByName() throws {
    var orders = Self.orders
    for load in CameraLoad.allCases {
      orders.load = load
      #expect(orders.text.contains("load=\(load.rawValue),"))
      #expect(try CameraOrders(text: orders.text).load == load)
    }
    for sync in CameraSync.allCases {
      orders.sync = sync
      #expect(try CameraOrders(text: orders.text).sync == sync)
    }
    for policy in DeliveryPolicy.allCases {
      orders.policy = policy
      #expect(orders.text.contains("policy=\(policy.rawValue),"))
      #expect(try CameraOrders(text: orders.text).policy == policy)
    }
  }

  /// The orders for another tile keep everything else and drop a fault that was not its own.
  @Test func anotherTileKeepsTheRest() {
    let other = Self.orders.forCamera(6)
    #expect(other.camera == 6 && other.fault == nil && other.geometry == Self.orders.geometry)
    #expect(other.forCamera(5).fault == nil)
    #expect(Self.orders.forCamera(5) == Self.orders)
  }

  @Test(arguments: [
    ("zoom=2", "unknown key zoom"),
    ("camera=6", "camera is given twice"),
    ("-frames=1234", "frames is missing"),
    ("frames=12x", "frames=12x is not a whole number"),
    ("checksums=yes", "checksums=yes is not true or false"),
    ("load=warp", "load=warp is not accepted"),
    ("fault=die", "fault 'die' is not kind:camera:sequence"),
    ("fault=die:3:1", "fault die:3:1 is not camera 5's"),
    ("novalue", "'novalue' is not key=value"),
    ("=1", "'=1' is not key=value"),
    ("width=3\u{1B}[2J", "not printable ASCII"),
    ("width=é", "not printable ASCII"),
    ("pad=" + String(repeating: "x", count: 400), "at most 400"),
  ])
  func whatIsNotOrdersIsRefused(change: String, message: String) {
    // A pair replaces the one of its key, "-key" removes it, anything else is added.
    var pairs = Self.orders.text.split(separator: ",").map(String.init)
    let key = change.split(separator: "=", maxSplits: 1).first.map(String.init) ?? change
    if key.hasPrefix("-") {
      pairs.removeAll { $0.hasPrefix(key.dropFirst() + "=") }
    } else if let index = pairs.firstIndex(where: { $0.hasPrefix(key + "=") }), key != "camera" {
      pairs[index] = change
    } else {
      pairs.append(change)
    }
    let text = pairs.joined(separator: ",")
    #expect(throws: GridError.self) { try CameraOrders(text: text) }
    do {
      _ = try CameraOrders(text: text)
    } catch {
      #expect("\(error)".contains(message), "\(text): \(error)")
    }
  }
}
