/// The first part of every imagezmq message (imagezmq 1.2.0, `SerializingSocket`): JSON from
/// pyzmq's `send_json`. `send_image` sends `{"msg": NAME, "dtype": "uint8", "shape": [h, w]}` or
/// `[h, w, 3]`, and the C-contiguous array bytes as the second part; `send_jpg` sends
/// `{"msg": NAME}` and the JPEG bytes.
public struct ImageZMQMetadata: Equatable {
  public enum Payload: Equatable {
    /// An OpenCV image: rows of `width × channels` bytes, BGR when `channels` is 3.
    case array(height: Int, width: Int, channels: Int)
    case jpeg
  }

  /// The sender's name: each distinct name is a camera.
  public let name: String
  public let payload: Payload

  /// The largest JSON part read at all: pyzmq's metadata is under 100 bytes with a short name.
  public static let maxBytes = 8192
  /// The longest name accepted, in UTF-8 bytes.
  public static let maxNameBytes = 256

  /// Reads and checks the metadata; `maxSide` bounds an array's height and width. Every
  /// refusal names what was wrong and what is accepted.
  public static func parse(_ bytes: UnsafeRawBufferPointer, maxSide: Int) throws(ImageZMQRejection)
    -> ImageZMQMetadata
  {
    guard bytes.count <= maxBytes else {
      throw ImageZMQRejection("metadata of \(bytes.count) bytes: the limit is \(maxBytes)")
    }
    let value: JSONValue
    do {
      value = try JSONReader.read(bytes)
    } catch {
      throw ImageZMQRejection("invalid JSON metadata: \(error.reason)")
    }
    guard case .object(let members) = value else {
      throw ImageZMQRejection("metadata is \(value.kind), not an object with \"msg\"")
    }
    var fields: [String: JSONValue] = [:]
    for (key, value) in members where ["msg", "dtype", "shape"].contains(key) {
      guard fields.updateValue(value, forKey: key) == nil else {
        throw ImageZMQRejection("metadata names \"\(key)\" twice")
      }
    }
    guard case .string(let name)? = fields["msg"] else {
      throw ImageZMQRejection(
        fields["msg"].map { "\"msg\" is \($0.kind), not a string" }
          ?? "metadata has no \"msg\" (the sender's name)")
    }
    guard !name.isEmpty, name.utf8.count <= maxNameBytes else {
      throw ImageZMQRejection("\"msg\" of \(name.utf8.count) bytes: use 1 to \(maxNameBytes)")
    }
    if fields["dtype"] == nil && fields["shape"] == nil {
      return ImageZMQMetadata(name: name, payload: .jpeg)
    }
    guard case .string(let dtype)? = fields["dtype"] else {
      throw ImageZMQRejection(refusing: name, "\"dtype\" is missing or not a string: send uint8 images")
    }
    guard dtype == "uint8" else {
      throw ImageZMQRejection(refusing: name, "dtype \(dtype) is not accepted: send uint8 images")
    }
    guard case .array(let shape)? = fields["shape"] else {
      throw ImageZMQRejection(
        refusing: name, "\"shape\" is missing or not an array: send [h, w] or [h, w, 3]")
    }
    var sides: [Int] = []
    for side in shape {
      guard case .number(let number?) = side else {
        throw ImageZMQRejection(refusing: name, "shape holds \(side.kind) that is not a whole number")
      }
      sides.append(number)
    }
    let shown = "[" + sides.map(String.init).joined(separator: ", ") + "]"
    guard sides.count == 2 || (sides.count == 3 && sides[2] == 3) else {
      throw ImageZMQRejection(
        refusing: name, "shape \(shown) is not accepted: send [h, w] (grey) or [h, w, 3] (BGR)")
    }
    guard (1...maxSide).contains(sides[0]), (1...maxSide).contains(sides[1]) else {
      throw ImageZMQRejection(
        refusing: name, "shape \(shown) is out of range: height and width 1 to \(maxSide)")
    }
    return ImageZMQMetadata(
      name: name, payload: .array(height: sides[0], width: sides[1], channels: sides.count == 3 ? 3 : 1))
  }
}

/// Why a message was dropped, and the sender's name when the metadata named one.
public struct ImageZMQRejection: Error, Equatable {
  public let reason: String
  public let name: String?

  init(_ reason: String) {
    self.reason = reason
    name = nil
  }

  init(refusing name: String?, _ reason: String) {
    self.reason = reason
    self.name = name
  }
}
