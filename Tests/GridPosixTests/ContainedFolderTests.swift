import Foundation
import Glibc
import GridPosix
import Testing

/// What a gallery folder hands out, checked on a real folder: a file inside, a link inside, and
/// everything that must not resolve.
@Suite struct ContainedFolderTests {
  /// A fresh folder `base` with `base/folder` inside it; removed when `body` returns.
  static func withFolders(_ body: (_ base: String, _ folder: String) throws -> Void) rethrows {
    var template = Array("/tmp/gridstitch-contained-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    let base = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    defer { try? FileManager.default.removeItem(atPath: base) }
    mkdir(base + "/folder", 0o700)
    try body(base, base + "/folder")
  }

  static func write(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    precondition(fd >= 0, "cannot create \(path)")
    _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    close(fd)
  }

  @Test func handsOutFilesAndLinksInsideOnly() throws {
    try Self.withFolders { base, folder in
      Self.write(folder + "/a.png", "a")
      Self.write(base + "/outside.png", "outside")
      symlink("a.png", folder + "/latest.png")
      symlink("../outside.png", folder + "/escape.png")
      #expect(link(base + "/outside.png", folder + "/hard.png") == 0)
      mkfifo(folder + "/fifo.png", 0o600)
      mkdir(folder + "/sub.png", 0o700)
      let contained = try #require(ContainedFolder(path: folder))
      #expect(contained.entries().map(\.name).sorted() == ["a.png", "latest.png"])
      #expect(contained.read(named: "latest.png", limit: 10) == Array("a".utf8))
      for refused in [
        "hard.png", "escape.png", "fifo.png", "sub.png", "../outside.png", ".", "", "missing.png",
      ] {
        #expect(contained.entry(named: refused) == nil, "\(refused)")
        #expect(contained.open(named: refused) == nil, "\(refused)")
      }
    }
  }

  /// A large file is read in pieces from any offset; a piece past the end is short or empty.
  @Test func aReaderReadsPieces() throws {
    try Self.withFolders { _, folder in
      Self.write(folder + "/big.png", String(repeating: "0123456789", count: 1000))
      let file = try FileReader(path: folder + "/big.png")
      #expect(file.size == 10_000 && file.links == 1)
      #expect(try file.read(at: 9_995, count: 10) == Array("56789".utf8))
      #expect(try file.read(at: 10_000, count: 10).isEmpty)
      #expect(try file.read(at: 3, count: 4) == Array("3456".utf8))
      #expect(throws: FileError.self) { try FileReader(path: folder) }
      mkfifo(folder + "/fifo", 0o600)
      #expect(throws: FileError(path: folder + "/fifo", reason: "cannot open: not a regular file (a FIFO)")) {
        try FileReader(path: folder + "/fifo")
      }
    }
  }
}
