import Foundation
import Glibc
import GridCore
import GridImage
import Testing

@testable import GridView

/// The gallery's routes (`gridstitch view`), served in-process on a loopback port of the kernel's
/// choosing and asked over real TCP: the index lists exactly the snapshots, each link serves its
/// file's bytes, and nothing else in or out of the folder can be reached.
@Suite(.serialized) struct GalleryServerRouteTests {
  /// A folder of snapshots with names that need encoding and escaping, beside everything the
  /// gallery must neither list nor serve; removed by `remove()`.
  struct Fixture {
    let root: String
    let folder: String
    /// Every snapshot the gallery serves, by name, with its bytes.
    let snapshots: [String: [UInt8]]
    /// The bytes of the files outside the folder that links inside it lead to.
    let outside: [[UInt8]]

    /// The snapshots' links, as the page must give them.
    static let links: [String: String] = [
      "grid-000010.png": "/image/grid-000010.png",
      "100%.png": "/image/100%25.png",
      "a#b.png": "/image/a%23b.png",
      "with space.png": "/image/with%20space.png",
      "<i>&'.png": "/image/%3Ci%3E%26%27.png",
    ]

    init() throws {
      root = NSTemporaryDirectory() + "gridview-gallery-" + UUID().uuidString
      folder = root + "/snapshots"
      try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
      try FileManager.default.createDirectory(
        atPath: folder + "/folder.png", withIntermediateDirectories: true)
      var snapshots: [String: [UInt8]] = [:]
      for (index, name) in Self.links.keys.sorted().enumerated() {
        let png = try Self.png(seed: index)
        try Self.write(png, to: folder + "/" + name)
        snapshots[name] = png
      }
      self.snapshots = snapshots
      try Self.write(Array("not a snapshot\n".utf8), to: folder + "/notes.txt")
      try Self.write(try Self.png(seed: 20), to: folder + "/.x.png")
      try Self.write(try Self.png(seed: 21), to: folder + "/sub/inner.png")
      let outsideLinked = try Self.png(seed: 22)
      let outsideHard = try Self.png(seed: 23)
      try Self.write(outsideLinked, to: root + "/outside.png")
      try Self.write(outsideHard, to: root + "/outside-hard.png")
      outside = [outsideLinked, outsideHard]
      // A link that leads out, one into a subfolder, one absolute; a second name for a file
      // outside.
      guard symlink("../outside.png", folder + "/out.png") == 0,
        symlink("sub/inner.png", folder + "/deep.png") == 0,
        symlink(root + "/outside.png", folder + "/absolute.png") == 0,
        link(root + "/outside-hard.png", folder + "/hard.png") == 0
      else {
        throw LoopbackHTTP.Failure(description: "cannot make the links: errno \(errno)")
      }
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// A 4×3 grey PNG whose pixels depend on `seed`.
    static func png(seed: Int) throws -> [UInt8] {
      let pixels = (0..<12).map { UInt8(truncatingIfNeeded: seed * 37 + $0 * 13) }
      return try pixels.withUnsafeBytes { bytes in
        try PNG.encode(width: 4, height: 3, channels: 1, pixels: bytes, path: "seed-\(seed).png")
      }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
      try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
  }

  /// Runs `body` against a gallery of `folder`, made by the program's own maker
  /// (`WebViews.hummingbird`), then stops it (off the task pool), whether `body` threw or not.
  static func withGallery(_ folder: String, _ body: (Int) async throws -> Void) async throws {
    let view = try await offThePool { try WebViews.hummingbird.gallery(folder, "127.0.0.1", 0) }
    do {
      let port = try #require(LoopbackHTTP.port(of: view.url), "unexpected URL \(view.url)")
      try await body(port)
    } catch {
      _ = try? await offThePool { view.stop() }
      throw error
    }
    _ = try? await offThePool { view.stop() }
  }

  static func get(_ port: Int, _ target: String, method: String = "GET") async throws -> LoopbackHTTP.Reply {
    try await offThePool { try LoopbackHTTP.request(port: port, method, target) }
  }

  /// One request with header `fields`, on a connection of its own.
  static func get(_ port: Int, _ target: String, fields: [String]) async throws -> LoopbackHTTP.Reply {
    try await offThePool {
      let connection = try LoopbackHTTP(port: port)
      defer { connection.close() }
      try connection.send("GET", target, fields: ["Connection: close"] + fields)
      let head = try connection.readHead()
      return LoopbackHTTP.Reply(head: head, body: try connection.readBody(of: head))
    }
  }

  /// A recording is listed as a video and served as `video/mp4`, whole or by one byte range; a
  /// range it cannot give is 416; a recording reached by a link out, a second name, or the other
  /// route is 404.
  @Test(.timeLimit(.minutes(1)))
  func recordingsAreServedWholeOrByRange() async throws {
    let root = NSTemporaryDirectory() + "gridview-recordings-" + UUID().uuidString
    let folder = root + "/out"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    let video = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
    try Fixture.write(video, to: folder + "/run.mp4")
    try Fixture.write([1, 2, 3], to: root + "/outside.mp4")
    try Fixture.write([4, 5, 6], to: root + "/outside-hard.mp4")
    #expect(symlink("../outside.mp4", folder + "/out.mp4") == 0)
    #expect(link(root + "/outside-hard.mp4", folder + "/hard.mp4") == 0)
    try await Self.withGallery(folder) { port in
      let page = try await Self.get(port, "/")
      #expect(Self.values(of: "src", in: page.text) == ["/video/run.mp4"])
      #expect(page.text.contains("· 0 snapshots, 1 recording, newest first"))
      #expect(!page.text.contains("out.mp4") && !page.text.contains("hard.mp4"))

      let whole = try await Self.get(port, "/video/run.mp4")
      #expect(whole.status == 200 && whole.contentType == "video/mp4" && whole.body == video)
      #expect(whole.head.field("accept-ranges") == "bytes")
      let part = try await Self.get(port, "/video/run.mp4", fields: ["Range: bytes=100-199"])
      #expect(part.status == 206 && part.body == Array(video[100...199]))
      #expect(part.head.field("content-range") == "bytes 100-199/1000")
      let tail = try await Self.get(port, "/video/run.mp4", fields: ["Range: bytes=-10"])
      #expect(tail.status == 206 && tail.body == Array(video[990...]))
      let past = try await Self.get(port, "/video/run.mp4", fields: ["Range: bytes=1000-"])
      #expect(past.status == 416 && past.head.field("content-range") == "bytes */1000")
      for target in [
        "/video/out.mp4", "/video/hard.mp4", "/video/..%2Foutside.mp4", "/image/run.mp4", "/video/run.MP4",
        "/video/missing.mp4", "/video/", "/video/%2e%2e",
      ] {
        let reply = try await Self.get(port, target)
        #expect(reply.status == 404, "GET \(target) answered \(reply.status)")
        #expect(
          reply.body != [1, 2, 3] && reply.body != [4, 5, 6], "GET \(target) sent a file from outside")
      }
    }
  }

  /// Every value of `attribute="…"` on the page, in order.
  static func values(of attribute: String, in page: String) -> [String] {
    page.components(separatedBy: " \(attribute)=\"").dropFirst().compactMap {
      $0.split(separator: "\"", omittingEmptySubsequences: false).first.map(String.init)
    }
  }

  /// `/`: exactly the `.png` snapshots, each linked once by its URL-encoded name, with its name
  /// HTML-escaped; nothing hidden, linked out, nested or not a PNG.
  @Test(.timeLimit(.minutes(1)))
  func theIndexListsExactlyTheSnapshots() async throws {
    let fixture = try Fixture()
    defer { fixture.remove() }
    try await Self.withGallery(fixture.folder) { port in
      let page = try await Self.get(port, "/")
      #expect(page.status == 200)
      #expect(page.contentType == "text/html; charset=utf-8")
      #expect(page.head.field("cache-control") == "no-cache")
      let hrefs = Self.values(of: "href", in: page.text)
      #expect(hrefs.sorted() == Fixture.links.values.sorted())
      #expect(Self.values(of: "src", in: page.text).sorted() == Fixture.links.values.sorted())
      #expect(page.text.contains("· 5 snapshots, newest first"))
      #expect(page.text.contains(#"alt="&lt;i&gt;&amp;&#39;.png""#))
      #expect(page.text.contains(#"<span class="title">&lt;i&gt;&amp;&#39;</span>"#))
      #expect(page.text.contains(#"alt="with space.png""#))
      #expect(page.text.contains(#"<span class="title">grid 10</span>"#))
      #expect(!page.text.contains("<i>"))
      for absent in [
        "notes", ".x.png", "out.png", "deep.png", "absolute.png", "hard.png", "folder.png", "inner",
      ] {
        #expect(!page.text.contains(absent), "\(absent) is on the page")
      }
    }
  }

  /// Every link on the page serves its file's exact bytes as `image/png`.
  @Test(.timeLimit(.minutes(1)))
  func everyLinkServesItsFile() async throws {
    let fixture = try Fixture()
    defer { fixture.remove() }
    try await Self.withGallery(fixture.folder) { port in
      for (name, link) in Fixture.links {
        let reply = try await Self.get(port, link)
        #expect(reply.status == 200, "\(link)")
        #expect(reply.contentType == "image/png", "\(link)")
        #expect(reply.head.field("cache-control") == "no-cache", "\(link)")
        #expect(reply.head.field("content-length") == String(fixture.snapshots[name]?.count ?? -1), "\(link)")
        #expect(reply.body == fixture.snapshots[name], "\(name) via \(link)")
      }
      // Encoding a byte that needs none changes nothing.
      let encoded = try await Self.get(port, "/image/grid%2D000010%2Epng")
      #expect(encoded.status == 200 && encoded.body == fixture.snapshots["grid-000010.png"])
    }
  }

  /// Whatever leads out of the folder, into a subfolder, to a hidden or non-PNG file, or is not
  /// a name at all is 404, and no outside file's bytes are ever sent.
  @Test(.timeLimit(.minutes(1)))
  func everythingElseIs404() async throws {
    let fixture = try Fixture()
    defer { fixture.remove() }
    let targets = [
      "/image/..%2F..%2Fetc%2Fpasswd", "/image/%2Fetc%2Fpasswd", "/image/..%2Foutside.png",
      "/image/%2e%2e%2Foutside.png", "/image/%2E%2E%2Foutside.png", "/image/../outside.png",
      "/image/..", "/image/%2e%2e", "/image/.", "/image//etc/passwd", "/image/%2F",
      "/image/out.png", "/image/absolute.png", "/image/deep.png", "/image/hard.png",
      "/image/.x.png", "/image/%2Ex.png", "/image/notes.txt", "/image/folder.png",
      "/image/sub", "/image/sub%2Finner.png", "/image/sub/inner.png", "/image/missing.png",
      "/image/100%.png", "/image/%zz.png", "/image/%FF.png", "/image/grid-000010.png%00",
      "/image/grid-000010.png%00.png", "/image/", "/image", "/outside.png", "/snapshots/grid-000010.png",
      "/grid-000010.png", "/image/grid-000010.PNG", "/IMAGE/grid-000010.png", "/stats.json",
      "/stream.mjpg", "/index.html",
    ]
    try await Self.withGallery(fixture.folder) { port in
      for target in targets {
        let reply = try await Self.get(port, target)
        #expect(reply.status == 404, "GET \(target) answered \(reply.status)")
        #expect(!fixture.outside.contains(reply.body), "GET \(target) sent a file from outside")
        #expect(!fixture.snapshots.values.contains(reply.body), "GET \(target) sent a snapshot")
      }
      for (method, target) in [
        ("HEAD", "/"), ("HEAD", "/image/grid-000010.png"), ("POST", "/"), ("PUT", "/image/new.png"),
        ("DELETE", "/image/grid-000010.png"),
      ] {
        let reply = try await Self.get(port, target, method: method)
        #expect(reply.status == 404, "\(method) \(target) answered \(reply.status)")
      }
    }
    // Nothing was deleted or written.
    #expect(FileManager.default.fileExists(atPath: fixture.folder + "/grid-000010.png"))
    #expect(!FileManager.default.fileExists(atPath: fixture.folder + "/new.png"))
  }

  /// The folder is read at each request: a snapshot written after the start is listed and served.
  @Test(.timeLimit(.minutes(1)))
  func aSnapshotWrittenLaterIsListedAndServed() async throws {
    let fixture = try Fixture()
    defer { fixture.remove() }
    try await Self.withGallery(fixture.folder) { port in
      let later = try Fixture.png(seed: 30)
      try Fixture.write(later, to: fixture.folder + "/grid-000020.png")
      let page = try await Self.get(port, "/")
      #expect(Self.values(of: "href", in: page.text).contains("/image/grid-000020.png"))
      #expect(page.text.contains("· 6 snapshots"))
      let served = try await Self.get(port, "/image/grid-000020.png")
      #expect(served.body == later)
    }
  }

  /// An empty folder's page says so; a path that is not a folder is a one-line error.
  @Test(.timeLimit(.minutes(1)))
  func anEmptyFolderAndNoFolder() async throws {
    let root = NSTemporaryDirectory() + "gridview-empty-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    try await Self.withGallery(root) { port in
      let page = try await Self.get(port, "/")
      #expect(page.status == 200)
      #expect(page.text.contains("No snapshots in this folder yet"))
      #expect(Self.values(of: "href", in: page.text).isEmpty)
    }
    let missing = root + "/missing"
    let refusal = #expect(throws: ServeError.self) {
      _ = try WebViews.hummingbird.gallery(missing, "127.0.0.1", 0)
    }
    #expect(refusal?.description == "view: '\(missing)' is not a folder")
  }
}
