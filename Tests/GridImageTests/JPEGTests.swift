import CTurboJPEG
import Foundation
import GridImage
import Testing

/// Decodes with libturbojpeg itself (decoding is not GridImage's yet): size, channels, pixels.
private func decode(_ jpeg: [UInt8], channels: Int) throws -> (width: Int, height: Int, pixels: [UInt8]) {
  let handle = try #require(tjInitDecompress())
  defer { tjDestroy(handle) }
  var width: Int32 = 0
  var height: Int32 = 0
  var subsampling: Int32 = 0
  var colorspace: Int32 = 0
  try #require(
    tjDecompressHeader3(handle, jpeg, UInt(jpeg.count), &width, &height, &subsampling, &colorspace) == 0)
  var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
  let format = channels == 1 ? TJPF_GRAY : TJPF_RGB
  try #require(
    tjDecompress2(handle, jpeg, UInt(jpeg.count), &pixels, width, 0, height, Int32(format.rawValue), 0) == 0)
  return (Int(width), Int(height), pixels)
}

/// Smooth gradients, which JPEG keeps closely.
private func gradient(width: Int, height: Int, channels: Int) -> [UInt8] {
  var pixels: [UInt8] = []
  pixels.reserveCapacity(width * height * channels)
  for y in 0..<height {
    for x in 0..<width {
      for channel in 0..<channels {
        let value = [x * 255 / width, y * 255 / height, (x + y) * 255 / (width + height)][
          channel == 0 && channels == 1 ? 2 : channel]
        pixels.append(UInt8(value))
      }
    }
  }
  return pixels
}

@Suite struct JPEGTests {
  @Test(arguments: [1, 3])
  func encodesAGridThatDecodesToTheSameSizeAndPicture(channels: Int) throws {
    let (width, height) = (1280, 960)
    let pixels = gradient(width: width, height: height, channels: channels)
    let encoder = try JPEGEncoder()
    let jpeg = try pixels.withUnsafeBytes {
      try encoder.encode(width: width, height: height, channels: channels, pixels: $0)
    }
    #expect(jpeg.starts(with: [0xFF, 0xD8]))
    #expect(jpeg.suffix(2) == [0xFF, 0xD9])
    let decoded = try decode(jpeg, channels: channels)
    #expect(decoded.width == width && decoded.height == height)
    var worst = 0
    for index in stride(from: 0, to: pixels.count, by: 97) {
      worst = max(worst, abs(Int(pixels[index]) - Int(decoded.pixels[index])))
    }
    #expect(worst <= 16, "largest difference \(worst)")
    // The encoder is reused: a second frame of another size encodes too.
    let small = gradient(width: 33, height: 17, channels: channels)
    let again = try small.withUnsafeBytes {
      try encoder.encode(width: 33, height: 17, channels: channels, pixels: $0)
    }
    #expect(try decode(again, channels: channels).width == 33)
  }

  @Test func refusesWhatItCannotEncode() throws {
    let encoder = try JPEGEncoder()
    let pixels = [UInt8](repeating: 0, count: 12)
    pixels.withUnsafeBytes { buffer in
      #expect(throws: ImageError.self) {
        try encoder.encode(width: 2, height: 2, channels: 2, pixels: buffer)
      }
      #expect(throws: ImageError.self) {
        try encoder.encode(width: 3, height: 3, channels: 1, pixels: buffer)
      }
      #expect(throws: ImageError.self) {
        try encoder.encode(width: 0, height: 4, channels: 3, pixels: buffer)
      }
      #expect(throws: ImageError.self) {
        try encoder.encode(width: 2, height: 2, channels: 3, pixels: buffer, quality: 0)
      }
    }
  }

}
