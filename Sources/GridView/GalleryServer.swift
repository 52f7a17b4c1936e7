import GridCore
import GridPosix
import Hummingbird

/// `gridstitch view [DIR]`: a gallery of the snapshots and recordings in one folder, newest first:
/// each snapshot a link to the full-size image, each recording a video that plays in the page.
/// Only `/`, `/image/NAME` and `/video/NAME` exist, and NAME must be a snapshot (`.png`) or a
/// recording (`.mp4`) listed in the folder (see `SnapshotFolder`); everything else is 404. A
/// video is served whole or by one byte range (`Range: bytes=…`), as a browser asks to seek.
public final class GalleryServer: Sendable {
  private let server: WebServer

  public var url: String { server.url }
  public var port: Int { server.port }

  public init(folder path: String, host: String, port: Int) throws(ServeError) {
    let folder = try SnapshotFolder(path: path)
    let router = Router()
    router.get("/") { _, _ in
      Response(
        status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
        body: .init(byteBuffer: ByteBuffer(string: GalleryPage.html(folder: path, entries: folder.entries())))
      )
    }
    router.get("/image/{name}") { _, context in
      // Decoding is safe here: only a name that resolves inside the folder is ever read.
      guard let raw = context.parameters.get("name"), let name = Markup.decodedSegment(raw),
        let file = folder.open(name)
      else {
        return Response(
          status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
          body: .init(byteBuffer: ByteBuffer(string: "not found\n")))
      }
      return Response(
        status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-cache"],
        body: Self.streaming(file))
    }
    router.get("/video/{name}") { request, context in
      guard let raw = context.parameters.get("name"), let name = Markup.decodedSegment(raw),
        let file = folder.openRecording(name)
      else {
        return Response(
          status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
          body: .init(byteBuffer: ByteBuffer(string: "not found\n")))
      }
      guard let asked = request.headers[.range] else {
        return Response(
          status: .ok,
          headers: [.contentType: "video/mp4", .acceptRanges: "bytes", .cacheControl: "no-cache"],
          body: Self.streaming(file))
      }
      guard let range = ByteRange(header: asked, size: file.size) else {
        return Response(
          status: .rangeNotSatisfiable,
          headers: [.contentRange: "bytes */\(file.size)", .contentType: "text/plain; charset=utf-8"],
          body: .init(byteBuffer: ByteBuffer(string: "range not satisfiable\n")))
      }
      return Response(
        status: .partialContent,
        headers: [
          .contentType: "video/mp4", .acceptRanges: "bytes", .cacheControl: "no-cache",
          .contentRange: "bytes \(range.first)-\(range.last)/\(file.size)",
        ],
        body: Self.streaming(file, from: range.first, count: range.last - range.first + 1))
    }
    server = try WebServer(host: host, port: port, router: router)
  }

  public func stop() { server.stop() }

  /// A file's bytes (`count` from `start`; all of it by default) in pieces of `chunkBytes`, each
  /// sent before the next is read: a request holds one piece, however large the file. A file
  /// that shrank since it was opened ends the connection (its length was promised).
  static func streaming(_ file: FileReader, from start: Int = 0, count total: Int? = nil) -> ResponseBody {
    let end = start + (total ?? file.size - start)
    return ResponseBody(contentLength: end - start) { writer in
      var offset = start
      while offset < end {
        let count = min(chunkBytes, end - offset)
        var piece = ByteBufferAllocator().buffer(capacity: count)
        let got = try piece.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
          try file.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: raw[..<count]))
        }
        guard got > 0 else { throw FileError(path: "snapshot", reason: "shrank while it was sent") }
        try await writer.write(piece)
        offset += got
      }
      try await writer.finish(nil)
    }
  }

  static let chunkBytes = 256 << 10
}
