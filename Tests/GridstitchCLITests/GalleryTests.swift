import Foundation
import Glibc
import Testing

/// `gridstitch view` against folders a long run or a hostile user leaves: many snapshots, very
/// large files, names that need URL encoding, hard links. Through the built binary and curl, on
/// loopback ports chosen free by the test.
@Suite(.serialized) struct GalleryTests {
  /// 20,000 snapshots (`--snapshot-every 50` over a million grids): the index lists the folder
  /// once. Listed per entry, as it was, it took 145 s of a core.
  @Test(.timeLimit(.minutes(1)))
  func twentyThousandSnapshotsAreListedOnce() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    for grid in 1...20_000 {
      try png.write(to: URL(fileURLWithPath: folder + String(format: "/grid-%06d.png", grid * 50)))
    }
    try withGallery(folder) { base, _ in
      let page = try HTTP.request(base + "/", maxSeconds: 50)
      #expect(page.status == 200)
      #expect(page.text.components(separatedBy: "class=\"card\"").count - 1 == 20_000)
      #expect(page.text.contains("href=\"/image/grid-1000000.png\""))
    }
  }

  /// Four clients fetching a 256 MiB snapshot at once: each request holds one piece of it, not
  /// the file (read whole per request, as it was, the server grew past 1 GiB).
  @Test(.timeLimit(.minutes(1)))
  func aLargeSnapshotIsStreamedNotReadWhole() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let size = 256 << 20
    let path = folder + "/big.png"
    #expect(FileManager.default.createFile(atPath: path, contents: Data([0x89, 0x50])))
    #expect(truncate(path, off_t(size)) == 0)  // sparse: zeros after the first two bytes
    try withGallery(folder) { base, pid in
      let sizes = Box<[Int]>([])
      DispatchQueue.concurrentPerform(iterations: 4) { _ in
        let downloaded = Self.curlByteCount(base + "/image/big.png")
        sizes.update { $0.append(downloaded) }
      }
      #expect(sizes.value == [size, size, size, size])
      let peak = try #require(Self.peakResidentKiB(pid))
      // Under AddressSanitizer the freed pieces wait in its quarantine (256 MiB by default) before
      // their memory is reused. Read whole, the four requests alone held 1 GiB.
      let bound = CLI.addressSanitized ? 640 << 10 : 200 << 10
      #expect(peak < bound, "the gallery's peak resident size was \(peak) KiB")
    }
  }

  /// Names that need encoding are linked so that they are found; a hard link to a file outside
  /// the folder is neither listed nor served.
  @Test(.timeLimit(.minutes(1)))
  func linksAreURLEncodedAndHardLinksRefused() throws {
    let root = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let folder = root + "/snapshots"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let names = ["100%.png", "a#b.png", "what?.png", "sp ace.png", "caf\u{e9}.png"]
    for (index, name) in names.enumerated() {
      try Data([0x89, 0x50, UInt8(index)]).write(to: URL(fileURLWithPath: folder + "/" + name))
    }
    let secret = root + "/secret.png"
    try Data([0x89, 0x50, 0x4E, 0x47, 0x53]).write(to: URL(fileURLWithPath: secret))
    #expect(Glibc.link(secret, folder + "/hard.png") == 0)
    try withGallery(folder) { base, _ in
      let page = try HTTP.request(base + "/")
      #expect(page.text.contains("href=\"/image/100%25.png\""), "\(page.text)")
      #expect(page.text.contains("href=\"/image/a%23b.png\""))
      #expect(page.text.contains("href=\"/image/caf%C3%A9.png\""))
      #expect(!page.text.contains("hard.png"))
      for (index, name) in names.enumerated() {
        let link = try #require(Self.link(to: name, in: page.text), "\(name) is not linked")
        let reply = try HTTP.request(base + link)
        #expect(reply.status == 200 && reply.body == Data([0x89, 0x50, UInt8(index)]), "\(name) via \(link)")
      }
      #expect(try HTTP.request(base + "/image/hard.png").status == 404)
    }
  }

  /// Starts `view` on a free port, waits for its page, runs `body` with the base URL and the
  /// server's pid, and stops it with SIGTERM (exit 143).
  private func withGallery(_ folder: String, _ body: (String, pid_t) throws -> Void) throws {
    let port = try FreePort.pick()
    let base = "http://127.0.0.1:\(port)"
    let gallery = try CLI.Running(["view", folder, "--serve", "127.0.0.1:\(port)"])
    defer { gallery.stopIfRunning() }  // a failed expectation never leaves it running
    try HTTP.await(base + "/", seconds: 50)
    try body(base, gallery.pid)
    kill(gallery.pid, SIGTERM)
    let outcome = try #require(gallery.wait(seconds: 10), "view did not stop on SIGTERM")
    #expect(outcome.status == 143, "\(outcome.stderr)")
  }

  /// The href of the card whose alt text is `name` (HTML-escaped on the page).
  private static func link(to name: String, in page: String) -> String? {
    for card in page.components(separatedBy: "<a class=\"card\" href=\"").dropFirst() {
      guard let end = card.firstIndex(of: "\"") else { continue }
      if card.contains("alt=\"\(name)\"") { return String(card[..<end]) }
    }
    return nil
  }

  /// How many body bytes curl received from `url` (into /dev/null); -1 if it failed.
  private static func curlByteCount(_ url: String) -> Int {
    precondition(url.hasPrefix("http://127.0.0.1:"), "tests talk to loopback only")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-s", "-f", "-o", "/dev/null", "-w", "%{size_download}", "--max-time", "40", url]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return -1 }
    let written = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return -1 }
    return Int(String(decoding: written, as: UTF8.self)) ?? -1
  }

  /// VmHWM of a process, in KiB.
  private static func peakResidentKiB(_ pid: pid_t) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
    return nil
  }
}
