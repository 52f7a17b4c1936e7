import GridCore

// `Codable` as flat `key=value` pairs, for `CameraOrders`: a nested value's keys join its
// parent's (FrameGeometry's `width`, not `geometry.width`), whole numbers are decimal, booleans
// `true` or `false`, enums their raw names, an absent optional no pair at all. Lists are not
// supported, and a key may appear once.

/// The pairs, in the order they were encoded.
final class FlatTextStorage {
  var pairs: [(key: String, value: String)] = []
  var failure: GridError?

  func add(_ key: String, _ value: String) {
    if pairs.contains(where: { $0.key == key }) { failure = failure ?? .runtime("\(key) is encoded twice") }
    if value.isEmpty || !value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x2C && $0 != 0x3D }) {
      failure = failure ?? .runtime("\(key)'s value cannot be written as text")
    }
    pairs.append((key, value))
  }

  /// Adds `value` under `key`: a whole number, boolean or text as itself, anything else by its
  /// own encoding (a nested value's keys, or an enum's single name).
  func add<T: Encodable>(_ value: T, key: String?) throws {
    switch value {
    case let number as Int: add(try Self.named(key), String(number))
    case let flag as Bool: add(try Self.named(key), flag ? "true" : "false")
    case let text as String: add(try Self.named(key), text)
    default: try value.encode(to: FlatTextEncoder(storage: self, key: key))
    }
  }

  static func named(_ key: String?) throws(GridError) -> String {
    guard let key else { throw .runtime("a single value needs a key in flat text") }
    return key
  }
}

struct FlatTextEncoder: Encoder {
  let storage: FlatTextStorage
  /// The key a single value goes under (nil at the top).
  let key: String?
  var codingPath: [any CodingKey] { [] }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  init(storage: FlatTextStorage = FlatTextStorage(), key: String? = nil) {
    self.storage = storage
    self.key = key
  }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    KeyedEncodingContainer(Keyed<Key>(storage: storage))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    storage.failure = storage.failure ?? .runtime("flat text has no lists")
    return Unkeyed()
  }

  func singleValueContainer() -> any SingleValueEncodingContainer { Single(storage: storage, key: key) }

  struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let storage: FlatTextStorage
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws {}
    // One generic witness serves every `encode(_:forKey:)` requirement.
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
      try storage.add(value, key: key.stringValue)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
      -> KeyedEncodingContainer<NestedKey>
    {
      KeyedEncodingContainer(Keyed<NestedKey>(storage: storage))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
      FlatTextEncoder(storage: storage).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { FlatTextEncoder(storage: storage) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { FlatTextEncoder(storage: storage) }
  }

  struct Single: SingleValueEncodingContainer {
    let storage: FlatTextStorage
    let key: String?
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws {}
    mutating func encode<T: Encodable>(_ value: T) throws { try storage.add(value, key: key) }
  }

  /// What `unkeyedContainer` returns: it records nothing (the storage's failure says why).
  struct Unkeyed: UnkeyedEncodingContainer {
    var codingPath: [any CodingKey] { [] }
    var count: Int { 0 }
    mutating func encodeNil() throws {}
    mutating func encode<T: Encodable>(_ value: T) throws {}
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
      -> KeyedEncodingContainer<NestedKey>
    {
      KeyedEncodingContainer(Keyed<NestedKey>(storage: FlatTextStorage()))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { self }
    mutating func superEncoder() -> any Encoder { FlatTextEncoder() }
  }
}

/// Reads pairs back; remembers which keys it used, so the caller can refuse the others.
final class FlatTextDecoder: Decoder {
  let values: [String: String]
  private(set) var used: Set<String> = []
  var codingPath: [any CodingKey] { [] }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  init(values: [String: String]) { self.values = values }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
    KeyedDecodingContainer(Keyed<Key>(root: self))
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    throw GridError.usage("flat text has no lists")
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer {
    throw GridError.usage("flat text has no value without a key")
  }

  /// The value under `key`: a whole number, boolean or text from its pair, anything else by its
  /// own decoding (a nested value's keys, or an enum's single name).
  func decode<T: Decodable>(_ type: T.Type, key: String) throws -> T {
    if T.self == Int.self || T.self == Bool.self || T.self == String.self {
      guard let text = values[key] else { throw GridError.usage("camera orders: \(key) is missing") }
      used.insert(key)
      if T.self == Int.self {
        guard let number = Int(text) else {
          throw GridError.usage("camera orders: \(key)=\(text) is not a whole number")
        }
        return number as! T
      }
      if T.self == Bool.self {
        guard text == "true" || text == "false" else {
          throw GridError.usage("camera orders: \(key)=\(text) is not true or false")
        }
        return (text == "true") as! T
      }
      return text as! T
    }
    do {
      return try T(from: ValueDecoder(root: self, key: key))
    } catch is DecodingError {
      throw GridError.usage("camera orders: \(key)=\(values[key] ?? "") is not accepted")
    }
  }

  /// A nested value under one key: its single value is that key's pair; its keys are the root's.
  struct ValueDecoder: Decoder {
    let root: FlatTextDecoder
    let key: String
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
      root.container(keyedBy: type)
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { try root.unkeyedContainer() }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(root: root, key: key) }
  }

  struct Single: SingleValueDecodingContainer {
    let root: FlatTextDecoder
    let key: String
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool { root.values[key] == nil }
    // One generic witness serves every `decode(_:)` requirement.
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try root.decode(type, key: key) }
  }

  struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let root: FlatTextDecoder
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { root.values.keys.compactMap(Key.init(stringValue:)) }

    func contains(_ key: Key) -> Bool { root.values[key.stringValue] != nil }
    func decodeNil(forKey key: Key) throws -> Bool { !contains(key) }
    // One generic witness serves every `decode(_:forKey:)` requirement.
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
      try root.decode(type, key: key.stringValue)
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key)
      -> KeyedDecodingContainer<NestedKey>
    {
      root.container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
      try root.unkeyedContainer()
    }
    func superDecoder() -> any Decoder { root }
    func superDecoder(forKey key: Key) -> any Decoder { root }
  }
}
