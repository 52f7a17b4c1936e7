import Foundation
import GridCore

/// The gallery's one page, rendered on the server: no script, no outside assets.
enum GalleryPage {
  static func html(folder: String, entries: [SnapshotFolder.Entry]) -> String {
    let format = DateFormatter()
    format.dateFormat = "yyyy-MM-dd HH:mm:ss"
    format.locale = Locale(identifier: "en_US_POSIX")
    let cards = entries.map { entry in
      let link = "/image/" + escape(pathSegment(entry.name))
      let title = entry.grid.map { "grid \($0)" } ?? escape(String(entry.name.dropLast(4)))
      return """
        <a class="card" href="\(link)"><img src="\(link)" loading="lazy" alt="\(escape(entry.name))">\
        <span class="title">\(title)</span><span class="time">\(format.string(from: entry.modified))</span></a>
        """
    }
    let body =
      cards.isEmpty
      ? "<p class=\"empty\">No snapshots in this folder yet: <code>gridstitch run --snapshot-every 250</code> writes some.</p>"
      : "<main>\n" + cards.joined(separator: "\n") + "\n</main>"
    return """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>gridstitch gallery · \(escape(folder))</title>
      <style>
      body { margin: 0; font: 16px/1.4 system-ui, sans-serif; background: #111; color: #eee; }
      header { padding: 1rem 1.5rem; } h1 { margin: 0; font-size: 1.4rem; } header p { margin: .2rem 0 0; color: #aaa; }
      main { display: grid; gap: 1rem; padding: 0 1.5rem 1.5rem;
             grid-template-columns: repeat(auto-fill, minmax(min(100%, 320px), 1fr)); }
      .card { display: flex; flex-direction: column; background: #1d1d1d; border-radius: 8px; overflow: hidden;
              color: inherit; text-decoration: none; }
      .card:hover { outline: 2px solid #4da3ff; }
      .card img { width: 100%; aspect-ratio: 4 / 3; object-fit: contain; background: #000; }
      .title { padding: .5rem .75rem 0; font-weight: 600; } .time { padding: 0 .75rem .5rem; color: #aaa; font-size: .9rem; }
      .empty { padding: 0 1.5rem; color: #aaa; }
      </style></head>
      <body><header><h1>gridstitch gallery</h1><p>\(escape(folder)) · \(entries.count) snapshots, newest first</p></header>
      \(body)
      </body></html>
      """
  }

  static func escape(_ text: String) -> String { Markup.escape(text) }

  /// `name` as one URL path segment: every byte but the unreserved ones (RFC 3986) as `%XX`, so
  /// `100%.png`, `a#b.png` and `a?b.png` reach the route as they are named.
  static func pathSegment(_ name: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for byte in name.utf8 {
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
        UInt8(ascii: "~"):
        out.append(byte)
      default:
        out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
