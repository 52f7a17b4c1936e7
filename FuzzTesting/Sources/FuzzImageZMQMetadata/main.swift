import FuzzDriver
import GridTransports

/// The bytes are the first part of an imagezmq message, as a hub reads it. Metadata that is
/// accepted names a sender within the limits and a payload within `maxSide`, and reads back the
/// same when written out again as pyzmq's `send_json` would; a refusal names no sender beyond the
/// limits either.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  // A copy of its own, so a read past the part is a read past an allocation.
  let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
  let parsed = bytes.withUnsafeBytes { raw in
    Result { () throws(ImageZMQRejection) in try ImageZMQMetadata.parse(raw, maxSide: maxSide) }
  }
  switch parsed {
  case .failure(let rejection):
    precondition(!rejection.reason.isEmpty)
    if let name = rejection.name { checkName(name) }
  case .success(let metadata):
    checkName(metadata.name)
    if case .array(let height, let width, let channels) = metadata.payload {
      precondition((1...maxSide).contains(height) && (1...maxSide).contains(width), "\(metadata)")
      precondition(channels == 1 || channels == 3, "\(metadata)")
    }
    let again = json(metadata).withUnsafeBytes { try? ImageZMQMetadata.parse($0, maxSide: maxSide) }
    precondition(again == metadata, "\(metadata) reads back as \(String(describing: again))")
  }
  return 0
}

let maxSide = ImageZMQSettings.maxSide

func checkName(_ name: String) {
  precondition(
    !name.isEmpty && name.utf8.count <= ImageZMQMetadata.maxNameBytes, "name \(name.debugDescription)")
}

/// The metadata as pyzmq's `send_json` writes it (`json.dumps`, `ensure_ascii` off for brevity).
func json(_ metadata: ImageZMQMetadata) -> [UInt8] {
  var text = "{\"msg\": \"" + escaped(metadata.name) + "\""
  if case .array(let height, let width, let channels) = metadata.payload {
    text += ", \"dtype\": \"uint8\", \"shape\": [\(height), \(width)" + (channels == 3 ? ", 3]}" : "]}")
  } else {
    text += "}"
  }
  return Array(text.utf8)
}

func escaped(_ text: String) -> String {
  var out = ""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\u{00}"..."\u{1F}":
      let hex = String(scalar.value, radix: 16)
      out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out
}

/// The process's entry: libFuzzer's driver (SwiftPM links `main` to this name).
@_cdecl("FuzzImageZMQMetadata_main")
public func start(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  gridstitch_fuzz_main(argc, argv)
}
