import GridCore
import GridPosix
import Hummingbird

/// `gridstitch view [DIR]`: a gallery of the snapshots in one folder, newest first, each a link to
/// the full-size image. Only `/` and `/image/NAME` exist, and NAME must be a snapshot listed in
/// the folder (see `SnapshotFolder`); everything else is 404.
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
    server = try WebServer(host: host, port: port, router: router)
  }

  public func stop() { server.stop() }

  /// A file's bytes in pieces of `chunkBytes`, each sent before the next is read: a request holds
  /// one piece, however large the file. A file that shrank since it was opened ends the
  /// connection (its length was promised).
  static func streaming(_ file: FileReader) -> ResponseBody {
    ResponseBody(contentLength: file.size) { writer in
      var offset = 0
      while offset < file.size {
        let count = min(chunkBytes, file.size - offset)
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
