import Foundation
import GridImage
import Testing

/// Remote cameras that send JPEG (`gridstitch camera --encode jpeg`): the hub checks the
/// compressed bytes, decodes them into the tile and stitches them with raw cameras' tiles.
@Suite(.serialized) struct RemoteJPEGTests {
  /// One hub on loopback with `count` cameras sending as `encode` says; the final grid's pixels.
  static func grid(encode: [String], frames: Int, port: Int) throws -> (json: [String: Any], pixels: [UInt8])
  {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let listen = "tcp://127.0.0.1:\(port)"
    let hub = try CLI.Running([
      "run", "--transport", "zmq", "--listen", listen, "--cameras", "\(encode.count)", "--frames",
      "\(frames)",
      "--verify", "--json", "--quiet", "--output", output,
    ])
    var cameras: [CLI.Running] = []
    for (index, encoding) in encode.enumerated() {
      cameras.append(
        try CLI.Running(["camera", "--connect", listen, "--camera", "\(index)", "--encode", encoding]))
    }
    let outcome = try #require(hub.wait(seconds: 60), "the hub hung")
    try #require(outcome.status == 0, "\(outcome.stderr)")
    for camera in cameras { #expect(camera.wait(seconds: 5)?.status == 0) }
    let png = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output + "/grid-latest.png")))
    let image = try PNG.decode(png, channels: 1, path: "grid-latest.png")
    return (try CLI.json(outcome), image.pixels)
  }

  /// Mean absolute difference of tile `tile` (of a 2 × 2 grid of 320 × 240) between two grids.
  static func difference(_ left: [UInt8], _ right: [UInt8], tile: Int) -> Double {
    let (column, row) = (tile % 2, tile / 2)
    var sum = 0
    for y in 0..<240 {
      let start = (row * 240 + y) * 640 + column * 320
      for x in 0..<320 { sum += abs(Int(left[start + x]) - Int(right[start + x])) }
    }
    return Double(sum) / Double(320 * 240)
  }

  /// Two JPEG cameras beside two raw ones: every frame verified (the JPEG ones by the checksum
  /// of their compressed bytes), and each JPEG tile is its raw tile but for JPEG's loss: close
  /// (a mean difference under 3 of 255 at quality 90), and not equal (it was compressed).
  @Test(.timeLimit(.minutes(2)))
  func jpegTilesAreTheirRawTilesButForTheLoss() throws {
    let raw = try Self.grid(encode: ["raw", "raw", "raw", "raw"], frames: 120, port: 7721)
    let mixed = try Self.grid(encode: ["jpeg:90", "raw", "jpeg:90", "raw"], frames: 120, port: 7722)
    #expect(raw.json["verified_frames"] as? Int == 480)
    #expect(mixed.json["verified_frames"] as? Int == 480)
    for tile in [0, 2] {
      let difference = Self.difference(raw.pixels, mixed.pixels, tile: tile)
      #expect(difference > 0 && difference < 3, "tile \(tile): mean difference \(difference)")
    }
    for tile in [1, 3] { #expect(Self.difference(raw.pixels, mixed.pixels, tile: tile) == 0) }
  }

  @Test(arguments: ["png", "jpeg:0", "jpeg:101", "jpeg:", "jpeg:9x"])
  func badEncodingsAreRefused(encode: String) throws {
    let outcome = try CLI.run(
      ["camera", "--connect", "tcp://127.0.0.1:7723", "--encode", encode], timeout: 10)
    #expect(outcome.status == 2, "\(outcome.stderr)")
    #expect(outcome.stderr.contains("--encode"), "\(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
  }
}
