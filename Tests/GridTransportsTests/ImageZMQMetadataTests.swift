import Testing

@testable import GridTransports

private func parse(_ text: String, maxSide: Int = 8192) throws(ImageZMQRejection) -> ImageZMQMetadata {
  try parse(Array(text.utf8), maxSide: maxSide)
}

private func parse(_ bytes: [UInt8], maxSide: Int = 8192) throws(ImageZMQRejection) -> ImageZMQMetadata {
  let result = bytes.withUnsafeBytes { buffer in
    Result { () throws(ImageZMQRejection) in try ImageZMQMetadata.parse(buffer, maxSide: maxSide) }
  }
  return try result.get()
}

/// The reason `text` is refused, or nil if it is accepted.
private func refusal(_ text: String) -> String? {
  do {
    _ = try parse(text)
    return nil
  } catch {
    return error.reason
  }
}

/// imagezmq's metadata, as pyzmq's `send_json` writes it, and everything a hostile peer might
/// send instead.
@Suite struct ImageZMQMetadataTests {
  @Test func readsWhatImageZMQSends() throws {
    #expect(
      try parse(#"{"msg": "rpi-1", "dtype": "uint8", "shape": [240, 320]}"#)
        == ImageZMQMetadata(name: "rpi-1", payload: .array(height: 240, width: 320, channels: 1)))
    #expect(
      try parse(#"{"msg": "cam", "dtype": "uint8", "shape": [480, 640, 3]}"#)
        == ImageZMQMetadata(name: "cam", payload: .array(height: 480, width: 640, channels: 3)))
    #expect(try parse(#"{"msg": "jpg-cam"}"#) == ImageZMQMetadata(name: "jpg-cam", payload: .jpeg))
    // json.dumps escapes non-ASCII (ensure_ascii) and may order keys any way.
    #expect(
      try parse(
        #" {"shape":[1,1],"msg":"caf\u00e9 \ud83d\udcf7","dtype":"uint8","extra":{"a":[null,true,1.5e3]}} "#
      ).name == "café 📷")
    #expect(try parse(Array(#"{"msg": "naïve"}"#.utf8)).name == "naïve")
  }

  @Test(arguments: [
    (#"{"msg": "x", "#, "invalid JSON"),
    (#"{"msg": "x"} trailing"#, "invalid JSON"),
    ("[1, 2]", "is an array"),
    (#""just a string""#, "is a string"),
    (#"{"dtype": "uint8", "shape": [2, 2]}"#, "no \"msg\""),
    (#"{"msg": 7}"#, "not a string"),
    (#"{"msg": ""}"#, "1 to 256"),
    (#"{"msg": "a", "msg": "b"}"#, "twice"),
    (#"{"msg": "f", "dtype": "float32", "shape": [2, 2]}"#, "dtype float32 is not accepted"),
    (#"{"msg": "f", "shape": [2, 2]}"#, "dtype"),
    (#"{"msg": "f", "dtype": "uint8"}"#, "shape"),
    (#"{"msg": "f", "dtype": "uint8", "shape": [2, 2, 4]}"#, "[2, 2, 4] is not accepted"),
    (#"{"msg": "f", "dtype": "uint8", "shape": [2, 2, 1]}"#, "[2, 2, 1] is not accepted"),
    (#"{"msg": "f", "dtype": "uint8", "shape": [5]}"#, "[5] is not accepted"),
    (#"{"msg": "f", "dtype": "uint8", "shape": [2, 2, 3, 1]}"#, "not accepted"),
    (#"{"msg": "f", "dtype": "uint8", "shape": [8193, 1]}"#, "out of range"),
    (#"{"msg": "f", "dtype": "uint8", "shape": [0, 4]}"#, "out of range"),
    (#"{"msg": "f", "dtype": "uint8", "shape": [-2, 4]}"#, "out of range"),
    (#"{"msg": "f", "dtype": "uint8", "shape": [2.5, 4]}"#, "whole number"),
    (#"{"msg": "f", "dtype": "uint8", "shape": [1e3, 4]}"#, "whole number"),
    (#"{"msg": "f", "dtype": "uint8", "shape": [99999999999999999999999, 4]}"#, "whole number"),
    (#"{"msg": "f", "dtype": "uint8", "shape": ["2", 4]}"#, "whole number"),
    (#"{"msg": "\ud800"}"#, "lone surrogate"),
    ("{\"msg\": \"tab\there\"}", "control character"),
    (#"{"msg": "x", "a": 01}"#, "invalid JSON"),
    (#"{"msg": "x", "a": tru}"#, "invalid JSON"),
    (String(repeating: "[", count: 40) + String(repeating: "]", count: 40), "nested deeper"),
  ])
  func refusesWithAReason(text: String, reason: String) {
    let said = refusal(text)
    #expect(said?.contains(reason) == true, "\(text): \(said ?? "accepted")")
  }

  @Test func refusesBadBytesAndOversizedMetadata() {
    for bytes: [UInt8] in [
      Array(#"{"msg": ""#.utf8) + [0xFF] + Array(#""}"#.utf8),  // not UTF-8
      Array(#"{"msg": ""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8),  // overlong
      Array(#"{"msg": ""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8),  // a surrogate
      [],
    ] {
      #expect(throws: ImageZMQRejection.self) { try parse(bytes) }
    }
    let padded = #"{"msg": "x", "pad": ""# + String(repeating: "a", count: 9000) + #""}"#
    #expect(refusal(padded)?.contains("the limit is 8192") == true)
    #expect(
      refusal(#"{"msg": ""# + String(repeating: "n", count: 257) + #""}"#)?.contains("257 bytes") == true)
  }

  @Test func aRefusalNamesTheSenderWhenItCan() {
    do {
      _ = try parse(#"{"msg": "pi-7", "dtype": "int16", "shape": [2, 2]}"#)
      Issue.record("accepted")
    } catch {
      #expect(error.name == "pi-7")
    }
  }
}
