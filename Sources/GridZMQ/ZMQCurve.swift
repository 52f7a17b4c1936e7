import CZMQ

/// CURVE keys (Curve25519), as libzmq prints them: 40 characters of Z85.
public struct ZMQCurveKeyPair: Sendable, Equatable {
  public let publicKey: String
  public let secretKey: String

  /// A new key pair (`zmq_curve_keypair`); throws if this libzmq has no CURVE.
  public static func generate() throws(ZMQError) -> ZMQCurveKeyPair {
    var publicKey = [CChar](repeating: 0, count: 41)
    var secretKey = [CChar](repeating: 0, count: 41)
    _ = try check("zmq_curve_keypair") { zmq_curve_keypair(&publicKey, &secretKey) }
    return ZMQCurveKeyPair(
      publicKey: String(decoding: publicKey.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self),
      secretKey: String(decoding: secretKey.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self))
  }

  /// The pair of `secretKey` (`zmq_curve_public`); nil if it is not 40 characters of Z85.
  public init?(secretKey: String) {
    guard ZMQCurveKeyPair.isKey(secretKey) else { return nil }
    var publicKey = [CChar](repeating: 0, count: 41)
    guard zmq_curve_public(&publicKey, secretKey) == 0 else { return nil }
    self.publicKey = String(decoding: publicKey.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    self.secretKey = secretKey
  }

  private init(publicKey: String, secretKey: String) {
    self.publicKey = publicKey
    self.secretKey = secretKey
  }

  /// Whether `text` is a Z85 key: 40 characters that decode to 32 bytes.
  public static func isKey(_ text: String) -> Bool {
    guard text.utf8.count == 40 else { return false }
    var bytes = [UInt8](repeating: 0, count: 32)
    return zmq_z85_decode(&bytes, text) != nil
  }

  /// The 32 bytes of a Z85 key, or nil.
  public static func decode(_ text: String) -> [UInt8]? {
    guard text.utf8.count == 40 else { return nil }
    var bytes = [UInt8](repeating: 0, count: 32)
    return zmq_z85_decode(&bytes, text) == nil ? nil : bytes
  }

  /// The Z85 text of 32 key bytes.
  public static func encode(_ bytes: [UInt8]) -> String? {
    guard bytes.count == 32 else { return nil }
    var text = [CChar](repeating: 0, count: 41)
    guard zmq_z85_encode(&text, bytes, 32) != nil else { return nil }
    return String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

extension ZMQSocket {
  /// This socket is a CURVE server with `secretKey`: every peer must know its public key.
  public func setCurveServer(secretKey: String) throws(ZMQError) {
    try set(ZMQ_CURVE_SERVER, 1)
    try set(ZMQ_CURVE_SECRETKEY, string: secretKey)
  }

  /// This socket is a CURVE client of the server whose public key is `serverKey`.
  public func setCurveClient(keys: ZMQCurveKeyPair, serverKey: String) throws(ZMQError) {
    try set(ZMQ_CURVE_SERVERKEY, string: serverKey)
    try set(ZMQ_CURVE_PUBLICKEY, string: keys.publicKey)
    try set(ZMQ_CURVE_SECRETKEY, string: keys.secretKey)
  }
}
