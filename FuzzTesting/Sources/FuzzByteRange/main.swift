import FuzzDriver
import GridCore

/// The bytes are a `Range` header a browser (or anyone) sends for a recording in the gallery.
/// Whatever they are, a range is either refused or lies inside the file, first before last, for
/// files of every size; and the range written back as a header reads as itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let header = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
  for size in [0, 1, 2, 100, 4_912_846, Int.max] {
    guard let range = ByteRange(header: header, size: size) else { continue }
    precondition(size > 0, "\(header.debugDescription) gives a range of an empty file")
    precondition(
      range.first >= 0 && range.first <= range.last && range.last < size,
      "\(header.debugDescription) gives \(range.first)-\(range.last) of \(size)")
    let written = "bytes=\(range.first)-\(range.last)"
    precondition(ByteRange(header: written, size: size) == range, "\(written) does not read as itself")
  }
  return 0
}

/// The process's entry: libFuzzer's driver (SwiftPM links `main` to this name).
@_cdecl("FuzzByteRange_main")
public func start(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  gridstitch_fuzz_main(argc, argv)
}
