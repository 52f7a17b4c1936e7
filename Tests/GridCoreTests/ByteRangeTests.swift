import GridCore
import Testing

/// The one byte range a video request may ask for (`Range: bytes=…`), clamped to the file;
/// anything else is nil (answered 416).
@Suite struct ByteRangeTests {
  @Test func rangesAreClampedToTheFile() {
    #expect(ByteRange(header: "bytes=0-", size: 1000) == ByteRange(first: 0, last: 999))
    #expect(ByteRange(header: "bytes=100-199", size: 1000) == ByteRange(first: 100, last: 199))
    #expect(ByteRange(header: "bytes=900-5000", size: 1000) == ByteRange(first: 900, last: 999))
    #expect(ByteRange(header: "bytes=-100", size: 1000) == ByteRange(first: 900, last: 999))
    #expect(ByteRange(header: "bytes=-5000", size: 1000) == ByteRange(first: 0, last: 999))
    // Found by FuzzByteRange: a range of the largest file, written back, is read as itself.
    let largest = ByteRange(first: 0, last: Int.max - 1)
    #expect(ByteRange(header: "bytes=0-", size: Int.max) == largest)
    #expect(ByteRange(header: "bytes=0-\(Int.max - 1)", size: Int.max) == largest)
  }

  @Test func anythingElseIsRefused() {
    for header in [
      "bytes=1000-", "bytes=5-4", "bytes=-0", "bytes=-", "bytes=a-b", "bytes=0-1,5-6", "items=0-1",
      "bytes= 0-1",
      "bytes=+1-2", "bytes=99999999999999999999-", "",
    ] {
      #expect(ByteRange(header: header, size: 1000) == nil, "\(header)")
    }
    #expect(ByteRange(header: "bytes=0-", size: 0) == nil)
  }
}
