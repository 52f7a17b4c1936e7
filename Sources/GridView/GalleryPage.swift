import Glibc
import GridCore

/// The gallery's one page, rendered on the server: no script, no outside assets. Recordings come
/// first, each a `<video>` that plays in the page; then the snapshots.
enum GalleryPage {
  static func html(folder: String, entries all: [SnapshotFolder.Entry]) -> String {
    let entries = all.filter { !$0.isRecording }
    let recordings = all.filter(\.isRecording).map { entry in
      let link = "/video/" + escape(Markup.pathSegment(entry.name))
      return """
        <figure class="recording"><video controls muted playsinline preload="metadata" src="\(link)"></video>\
        <figcaption><a href="\(link)">\(escape(entry.name))</a> <span class="time">\(localTime(entry.modifiedSeconds)) · \
        \(megabytes(entry.bytes))</span></figcaption></figure>
        """
    }
    let cards = entries.map { entry in
      let link = "/image/" + escape(Markup.pathSegment(entry.name))
      let title = entry.grid.map { "grid \($0)" } ?? escape(String(entry.name.dropLast(4)))
      return """
        <a class="card" href="\(link)"><img src="\(link)" loading="lazy" alt="\(escape(entry.name))">\
        <span class="title">\(title)</span><span class="time">\(localTime(entry.modifiedSeconds))</span></a>
        """
    }
    let snapshots =
      cards.isEmpty
      ? "<p class=\"empty\">No snapshots in this folder yet: <code>gridstitch run --snapshot-every 250</code> writes some.</p>"
      : "<main>\n" + cards.joined(separator: "\n") + "\n</main>"
    let videos =
      recordings.isEmpty
      ? "" : "<section class=\"recordings\">\n" + recordings.joined(separator: "\n") + "\n</section>\n"
    let body = videos + snapshots
    let counted =
      recordings.isEmpty ? "" : ", \(recordings.count) recording" + (recordings.count == 1 ? "" : "s")
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
      .recordings { display: grid; gap: 1rem; padding: 0 1.5rem 1rem;
                    grid-template-columns: repeat(auto-fill, minmax(min(100%, 480px), 1fr)); }
      .recording { margin: 0; background: #1d1d1d; border-radius: 8px; overflow: hidden; }
      .recording video { display: block; width: 100%; aspect-ratio: 4 / 3; background: #000; }
      .recording figcaption { padding: .5rem .75rem; } .recording a { color: inherit; font-weight: 600; }
      </style></head>
      <body><header><h1>gridstitch gallery</h1><p>\(escape(folder)) · \(entries.count) snapshots\(counted), newest first</p></header>
      \(body)
      </body></html>
      """
  }

  static func escape(_ text: String) -> String { Markup.escape(text) }

  /// "12.3 MB".
  static func megabytes(_ bytes: Int) -> String {
    let tenths = (bytes + 50_000) / 100_000
    return "\(tenths / 10).\(tenths % 10) MB"
  }

  /// "YYYY-MM-DD HH:MM:SS" in the server's time zone. The corresponding C functions are
  /// `localtime_r` and `strftime`.
  static func localTime(_ seconds: Int) -> String {
    var time = time_t(seconds)
    var parts = tm()
    guard localtime_r(&time, &parts) != nil else { return "" }
    var text = [CChar](repeating: 0, count: 32)
    let count = strftime(&text, text.count, "%Y-%m-%d %H:%M:%S", &parts)
    return String(decoding: text.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
