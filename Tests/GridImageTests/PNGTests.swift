import CShims
import Foundation
import GridCore
import GridImage
import Testing

/// A fresh folder under the system temporary directory, removed when the test ends.
private func withTemporaryFolder(_ body: (String) throws -> Void) throws {
  let folder = FileManager.default.temporaryDirectory
    .appendingPathComponent("gridimage-tests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: folder) }
  try body(folder.path)
}

private func contents(of folder: String) throws -> [String] {
  try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
}

/// A deterministic pattern that exercises every byte value.
private func pattern(width: Int, height: Int, channels: Int) -> [UInt8] {
  (0..<width * height * channels).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) }
}

@Suite struct PNGTests {
  @Test(arguments: [1, 3])
  func roundTripIsExact(channels: Int) throws {
    try withTemporaryFolder { folder in
      let path = folder + "/image.png"
      let image = Image(
        width: 37, height: 23, channels: channels,
        pixels: pattern(width: 37, height: 23, channels: channels))
      try PNG.write(image, to: path)
      #expect(try PNG.read(path: path, channels: channels) == image)
      #expect(try contents(of: folder) == ["image.png"])
    }
  }

  @Test func largeImageKeepsItsSize() throws {
    try withTemporaryFolder { folder in
      let path = folder + "/large.png"
      let pixels = pattern(width: 1280, height: 960, channels: 3)
      try pixels.withUnsafeBytes { buffer in
        try PNG.write(path: path, width: 1280, height: 960, channels: 3, pixels: buffer)
      }
      let image = try PNG.read(path: path, channels: 3)
      #expect(image.width == 1280)
      #expect(image.height == 960)
      #expect(image.pixels == pixels)
    }
  }

  @Test func overwritesAnExistingFile() throws {
    try withTemporaryFolder { folder in
      let path = folder + "/image.png"
      try PNG.write(Image(width: 2, height: 1, channels: 1, pixels: [1, 2]), to: path)
      try PNG.write(Image(width: 1, height: 2, channels: 1, pixels: [3, 4]), to: path)
      #expect(try PNG.read(path: path, channels: 1).pixels == [3, 4])
      #expect(try contents(of: folder) == ["image.png"])
    }
  }

  @Test func readsRGBAsGreyAndGreyAsRGB() throws {
    try withTemporaryFolder { folder in
      let path = folder + "/white.png"
      try PNG.write(Image(width: 1, height: 1, channels: 3, pixels: [255, 255, 255]), to: path)
      #expect(try PNG.read(path: path, channels: 1).pixels == [255])
      try PNG.write(Image(width: 1, height: 1, channels: 1, pixels: [0]), to: path)
      #expect(try PNG.read(path: path, channels: 3).pixels == [0, 0, 0])
    }
  }

  @Test func missingFileSaysCannotOpen() throws {
    try withTemporaryFolder { folder in
      let path = folder + "/absent.png"
      #expect(throws: ImageError(path: path, reason: "cannot open: No such file or directory")) {
        try PNG.read(path: path, channels: 3)
      }
    }
  }

  @Test func corruptFileReportsLibpngMessage() throws {
    try withTemporaryFolder { folder in
      let path = folder + "/garbage.png"
      try Data("this is not a PNG file, just some bytes".utf8).write(to: URL(fileURLWithPath: path))
      let error = try #require(throws: ImageError.self) { try PNG.read(path: path, channels: 3) }
      #expect(error.path == path)
      #expect(error.reason.hasPrefix("cannot read PNG: "))
      #expect(error.reason.count > "cannot read PNG: ".count)
      #expect(!error.description.contains("\n"))
    }
  }

  @Test func truncatedFileReportsAnError() throws {
    try withTemporaryFolder { folder in
      let path = folder + "/truncated.png"
      try PNG.write(
        Image(width: 64, height: 64, channels: 3, pixels: pattern(width: 64, height: 64, channels: 3)),
        to: path)
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
      let error = try #require(throws: ImageError.self) { try PNG.read(path: path, channels: 3) }
      #expect(error.reason.hasPrefix("cannot decode PNG"))
    }
  }

  @Test func writingIntoAMissingFolderThrowsAndLeavesNothing() throws {
    try withTemporaryFolder { folder in
      let path = folder + "/missing/image.png"
      let error = try #require(throws: ImageError.self) {
        try PNG.write(Image(width: 1, height: 1, channels: 1, pixels: [0]), to: path)
      }
      #expect(error == ImageError(path: path, reason: "cannot create: No such file or directory"))
      #expect(try contents(of: folder).isEmpty)
    }
  }

  @Test func writingUnderAFileThrowsAndLeavesNothing() throws {
    try withTemporaryFolder { folder in
      let file = folder + "/plain"
      try Data("x".utf8).write(to: URL(fileURLWithPath: file))
      let path = file + "/image.png"
      #expect(throws: ImageError(path: path, reason: "cannot create: Not a directory")) {
        try PNG.write(Image(width: 1, height: 1, channels: 1, pixels: [0]), to: path)
      }
      #expect(try contents(of: folder) == ["plain"])
    }
  }

  @Test func readingAFolderSaysSo() throws {
    try withTemporaryFolder { folder in
      #expect(throws: ImageError(path: folder, reason: "cannot open: Is a directory")) {
        try PNG.read(path: folder, channels: 1)
      }
    }
  }

  /// Root ignores folder permissions, so as root (as CI runs) the write is made by this thread
  /// as `nobody`, and the thread is root again afterwards.
  @Test func writingIntoAReadOnlyFolderThrowsAndLeavesNothing() throws {
    try withTemporaryFolder { folder in
      let locked = folder + "/locked"
      try FileManager.default.createDirectory(
        atPath: locked, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o500])
      defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: locked) }
      let path = locked + "/image.png"
      let asRoot = geteuid() == 0
      if asRoot {
        chmod(folder, 0o755)  // nobody may reach the folder, not write in it
        try #require(gs_thread_set_effective_ids(65534, 65534) == 0, "cannot act as nobody")
        try #require(geteuid() == 65534)
      }
      #expect(throws: ImageError(path: path, reason: "cannot create: Permission denied")) {
        try PNG.write(Image(width: 1, height: 1, channels: 1, pixels: [0]), to: path)
      }
      if asRoot { #expect(gs_thread_set_effective_ids(0, 0) == 0 && geteuid() == 0) }
      #expect(try contents(of: locked).isEmpty)
    }
  }

  @Test func renameFailureRemovesTheTemporaryFile() throws {
    try withTemporaryFolder { folder in
      // A non-empty folder at the destination makes rename(2) fail after the PNG is written.
      let path = folder + "/taken"
      try FileManager.default.createDirectory(
        atPath: path + "/inside", withIntermediateDirectories: true)
      let error = try #require(throws: ImageError.self) {
        try PNG.write(Image(width: 1, height: 1, channels: 1, pixels: [0]), to: path)
      }
      #expect(error.reason.hasPrefix("cannot rename into place: "))
      #expect(try contents(of: folder) == ["taken"])
    }
  }

  @Test func invalidArgumentsAreRejectedBeforeLibpng() throws {
    try withTemporaryFolder { folder in
      let path = folder + "/bad.png"
      let invalid: [Image] = [
        Image(width: 0, height: 1, channels: 1, pixels: []),
        Image(width: 1, height: -1, channels: 1, pixels: [0]),
        Image(width: 1, height: 1, channels: 2, pixels: [0, 0]),
        Image(width: 2, height: 2, channels: 1, pixels: [0, 0, 0]),
      ]
      for image in invalid {
        let error = try #require(throws: ImageError.self) { try PNG.write(image, to: path) }
        #expect(error.path == path)
        #expect(!error.reason.isEmpty)
      }
      #expect(throws: ImageError.self) { try PNG.read(path: path, channels: 4) }
      #expect(try contents(of: folder).isEmpty)
    }
  }

  /// The fuzzer's finding: 67 bytes whose last chunk header claims 2 GB of zTXt that is not
  /// there. libpng allocated and touched the whole claim before it found the end of the data.
  /// The decode must fail as a short file does, without growing by anything like that.
  @Test func aTruncatedChunkThatClaimsGigabytesCostsNothing() throws {
    let plain = try ([1, 2, 3] as [UInt8]).withUnsafeBytes {
      try PNG.encode(width: 1, height: 1, channels: 3, pixels: $0, path: "claim")
    }
    let claim = Array(plain[..<33]) + [0x7D, 0x72, 0x00, 0x49] + Array("zTXtEN".utf8)
    let before = maximumResidentBytes()
    let error = try #require(throws: ImageError.self) { try PNG.decode(claim, channels: 3, path: "claim") }
    #expect(error.reason.hasPrefix("cannot read PNG"))
    #expect(maximumResidentBytes() - before < 256 << 20)
  }

  /// Chunks outside the decode are dropped, the ones it reads are kept in order, and bytes after
  /// IEND are gone; a truncated chunk of a kept type reaches libpng, which reports it.
  @Test func onlyTheChunksThatShapePixelsReachLibpng() throws {
    let plain = try ([1, 2, 3, 4, 5, 6] as [UInt8]).withUnsafeBytes {
      try PNG.encode(width: 2, height: 1, channels: 3, pixels: $0, path: "x")
    }
    let noisy =
      Array(plain[..<33]) + chunk("iCCP", Array("x".utf8) + [0, 0, 0x78, 0x9C])
      + chunk("tEXt", Array("a\0b".utf8))
      + Array(plain[33...]) + [1, 2, 3]
    #expect(PNG.decodableChunks(of: noisy) == plain)
    #expect(try PNG.decode(noisy, channels: 3, path: "x").pixels == [1, 2, 3, 4, 5, 6])
    let truncated = Array(plain.prefix(plain.count - 14))
    #expect(PNG.decodableChunks(of: truncated) == truncated)
    #expect(throws: ImageError.self) { try PNG.decode(truncated, channels: 3, path: "x") }
  }
}

@Suite struct SceneCardTests {
  @Test func isDeterministicAndSized() {
    let first = SceneCard.render(width: SceneCard.defaultWidth, height: SceneCard.defaultHeight)
    #expect(first.count == SceneCard.defaultWidth * SceneCard.defaultHeight * 3)
    #expect(first == SceneCard.render(width: SceneCard.defaultWidth, height: SceneCard.defaultHeight))
  }

  @Test func isColourful() {
    let width = SceneCard.defaultWidth
    let pixels = SceneCard.render(width: width, height: SceneCard.defaultHeight)
    var colours = Set<UInt32>()
    var coloured = 0
    for index in stride(from: 0, to: pixels.count, by: 3) {
      let (r, g, b) = (pixels[index], pixels[index + 1], pixels[index + 2])
      colours.insert(UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b))
      if max(r, g, b) - min(r, g, b) > 64 { coloured += 1 }
    }
    #expect(colours.count > 1000)
    #expect(coloured > pixels.count / 3 / 2)
  }

  @Test func cameraWindowsSeeDifferentContent() {
    let width = SceneCard.defaultWidth
    let pixels = SceneCard.render(width: width, height: SceneCard.defaultHeight)
    func window(x: Int, y: Int) -> [UInt8] {
      var bytes: [UInt8] = []
      for row in y..<y + 240 {
        let start = (row * width + x) * 3
        bytes += pixels[start..<start + 320 * 3]
      }
      return bytes
    }
    var windows = Set<[UInt8]>()
    for camera in 0..<16 {
      windows.insert(window(x: (camera % 4) * 400 + 100, y: (camera / 4) * 300 + 60))
    }
    #expect(windows.count == 16)
  }

  @Test func handlesOddAndEmptySizes() {
    #expect(SceneCard.render(width: 0, height: 10).isEmpty)
    #expect(SceneCard.render(width: 1, height: 1).count == 3)
    #expect(SceneCard.render(width: 333, height: 77).count == 333 * 77 * 3)
  }
}

@Suite struct BitmapFontTests {
  @Test func drawsInsideItsBoxOnly() {
    let (width, height, channels) = (64, 32, 3)
    var pixels = [UInt8](repeating: 128, count: width * height * channels)
    let (x, y, scale) = (5, 4, 2)
    let text = "C07 #12"
    pixels.withUnsafeMutableBytes { raw in
      BitmapFont.draw(
        text, into: raw, width: width, height: height, channels: channels, x: x, y: y,
        scale: scale)
    }
    let boxWidth = BitmapFont.textWidth(text, scale: scale)
    let boxHeight = BitmapFont.textHeight(scale: scale)
    #expect(boxWidth == (7 * BitmapFont.cellWidth + 1) * scale)
    var foreground = 0
    var background = 0
    for py in 0..<height {
      for px in 0..<width {
        let value = pixels[(py * width + px) * channels]
        let inside = px >= x && px < x + boxWidth && py >= y && py < y + boxHeight
        if inside {
          #expect(value == 0 || value == 255)
          if value == 255 { foreground += 1 } else { background += 1 }
        } else if value != 128 {
          Issue.record("pixel (\(px), \(py)) outside the box changed to \(value)")
        }
      }
    }
    #expect(foreground > 50)
    #expect(background > foreground)
  }

  @Test func unknownCharactersDrawAsFilledBoxes() {
    let (width, height) = (20, 20)
    var pixels = [UInt8](repeating: 0, count: width * height)
    pixels.withUnsafeMutableBytes { raw in
      BitmapFont.draw("é", into: raw, width: width, height: height, channels: 1, x: 0, y: 0, scale: 1)
    }
    #expect(BitmapFont.textWidth("é", scale: 1) == BitmapFont.cellWidth + 1)
    // The glyph area (5×7 from (1, 1)) is solid foreground.
    for py in 1...7 {
      for px in 1...5 { #expect(pixels[py * width + px] == 255) }
    }
  }

  @Test(arguments: [(-7, -5), (60, 28), (-1000, 3), (3, 1000), (50, -3), (Int.min / 2, Int.max / 2)])
  func clipsAtTheEdges(x: Int, y: Int) {
    let (width, height, channels) = (64, 32, 3)
    // Guard bytes after the image catch any write past its end.
    var pixels = [UInt8](repeating: 7, count: width * height * channels + 64)
    pixels.withUnsafeMutableBytes { raw in
      BitmapFont.draw(
        "EDGE 0123456789", into: raw, width: width, height: height, channels: channels, x: x, y: y,
        scale: 3)
    }
    #expect(pixels[(width * height * channels)...].allSatisfy { $0 == 7 })
  }

  @Test func smallBufferIsLeftAlone() {
    var pixels = [UInt8](repeating: 7, count: 10)
    pixels.withUnsafeMutableBytes { raw in
      BitmapFont.draw("A", into: raw, width: 8, height: 8, channels: 1, x: 0, y: 0, scale: 1)
    }
    #expect(pixels.allSatisfy { $0 == 7 })
  }

  /// A FIFO is refused at once: opened non-blocking, it is not a regular file.
  @Test(.timeLimit(.minutes(1))) func fifoIsRefusedNotWaitedOn() throws {
    try withTemporaryFolder { folder in
      let path = folder + "/pipe.png"
      try #require(mkfifo(path, 0o600) == 0)
      #expect(throws: ImageError(path: path, reason: "cannot open: not a regular file (a FIFO)")) {
        try PNG.read(path: path, channels: 1)
      }
    }
  }

  /// Written as a user file: mode 0644 less the umask, like any file a program creates.
  @Test func writtenFilesHaveMode0644() throws {
    try withTemporaryFolder { folder in
      let path = folder + "/mode.png"
      try PNG.write(Image(width: 1, height: 1, channels: 1, pixels: [0]), to: path)
      let mask = umask(0o022)
      umask(mask)
      let mode = try #require(
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
      #expect(mode == 0o644 & ~Int(mask))
    }
  }
}

/// The process's peak resident size so far, in bytes.
private func maximumResidentBytes() -> Int {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return usage.ru_maxrss * 1024
}

/// A PNG chunk: length, type, data, CRC-32 of type and data.
private func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
  let body = Array(type.utf8) + data
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in body {
    crc ^= UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  crc = ~crc
  let length = UInt32(data.count)
  return [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) } + body
    + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) }
}
