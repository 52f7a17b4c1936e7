import GridCore
import Testing

@testable import GridView

/// The gallery's page data: links that survive any file name, text that cannot become markup.
@Suite struct GalleryPageTests {
  @Test func aNameBecomesOnePathSegment() {
    #expect(Markup.pathSegment("grid-000010.png") == "grid-000010.png")
    #expect(Markup.pathSegment("100%.png") == "100%25.png")
    #expect(Markup.pathSegment("a#b?c d/e.png") == "a%23b%3Fc%20d%2Fe.png")
    #expect(Markup.pathSegment("café~.png") == "caf%C3%A9~.png")
    for name in ["100%.png", "a#b?.png", "x y&z<.png", "ünï.png"] {
      #expect(Markup.decodedSegment(Markup.pathSegment(name)) == name)
    }
  }

  @Test func malformedEscapesAndBytesThatAreNotUTF8DecodeToNothing() {
    for segment in ["%", "%4", "%zz", "a%G1", "%FF", "%C0%AF", "%ED%A0%80"] {
      #expect(Markup.decodedSegment(segment) == nil, "\(segment)")
    }
    #expect(Markup.decodedSegment("%2e%2E%2fx") == "../x")
  }

  @Test func cardsLinkEncodedNamesAndEscapeText() {
    let entries = [
      SnapshotFolder.Entry(
        name: "<b>&\"x\".png", grid: nil, modifiedSeconds: 0, modifiedNanos: 0, bytes: 1),
      SnapshotFolder.Entry(
        name: "grid-000020.png", grid: 20, modifiedSeconds: 0, modifiedNanos: 0, bytes: 1),
    ]
    let page = GalleryPage.html(folder: "<out>", entries: entries)
    #expect(page.contains("href=\"/image/%3Cb%3E%26%22x%22.png\""))
    #expect(page.contains("&lt;b&gt;&amp;&quot;x&quot;"))
    #expect(!page.contains("<b>"))
    #expect(page.contains("grid 20") && page.contains("&lt;out&gt; · 2 snapshots"))
  }

  @Test func recordingsPlayInThePageBesideTheSnapshots() {
    let entries = [
      SnapshotFolder.Entry(
        name: "run #1.mp4", grid: nil, modifiedSeconds: 0, modifiedNanos: 0, bytes: 12_345_678),
      SnapshotFolder.Entry(name: "grid-000020.png", grid: 20, modifiedSeconds: 0, modifiedNanos: 0, bytes: 1),
    ]
    let page = GalleryPage.html(folder: "out", entries: entries)
    #expect(
      page.contains("<video controls muted playsinline preload=\"metadata\" src=\"/video/run%20%231.mp4\">"))
    #expect(page.contains("12.3 MB"))
    #expect(page.contains("out · 1 snapshots, 1 recording, newest first"))
    #expect(page.components(separatedBy: "class=\"card\"").count - 1 == 1)
  }
}
