import FuzzDriver
import Glibc
import GridCore
import GridPosix

/// The bytes are a name a browser asks the gallery for. Whatever it is, it resolves only to a
/// regular file directly inside the folder with no other name, and only to one of the files that
/// should: never to the file outside (by a link or a hard link), the subfolder's file, the FIFO,
/// a hidden or dangling name.
///
/// The bytes are also read as the server reads a request's path segment (`%XX` decoded): a
/// decoded name obeys the same rules, and encoding it again for a link decodes back to it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let raw = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
  check(raw)
  if let decoded = Markup.decodedSegment(raw) {
    precondition(Markup.decodedSegment(Markup.pathSegment(decoded)) == decoded, "\(raw.debugDescription)")
    check(decoded)
  }
  return 0
}

func check(_ name: String) {
  let entry = gallery.folder.entry(named: name)
  let bytes = gallery.folder.read(named: name, limit: 1 << 20)
  guard let entry else {
    precondition(bytes == nil, "\(name.debugDescription) is read but does not resolve")
    precondition(!Gallery.served.keys.contains(name), "\(name.debugDescription) should resolve")
    return
  }
  precondition(entry.name == name && ContainedFolder.isPlainName(name))
  let inside = gallery.folder.root + "/"
  precondition(entry.path.hasPrefix(inside), "\(name.debugDescription) resolves to \(entry.path)")
  precondition(!entry.path.dropFirst(inside.count).contains("/"), "\(entry.path) is not directly inside")
  var info = stat()
  precondition(lstat(entry.path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG, "\(entry.path)")
  guard let expected = Gallery.served[name] else {
    preconditionFailure("\(name.debugDescription) resolves to \(entry.path) but should not")
  }
  precondition(bytes == Array(expected.utf8), "\(name.debugDescription) reads other bytes")
}

/// A folder made once for the run, holding one of everything a gallery folder can hold.
final class Gallery: Sendable {
  /// The names that must resolve, and what reading each gives.
  static let served = [
    "grid-000001.png": "one", "grid-latest.png": "latest", "notes.txt": "notes", "link-in.png": "one",
    "ünïcödé.png": "unicode",
  ]
  /// Files inside (name, contents), then links (name, target).
  static let files = [
    ("grid-000001.png", "one"), ("grid-latest.png", "latest"), ("notes.txt", "notes"),
    (".hidden.png", "hidden"), ("ünïcödé.png", "unicode"),
  ]
  static let links = [
    ("link-in.png", "grid-000001.png"), ("link-out.png", "../outside.png"), ("link-abs.png", "/etc/passwd"),
    ("link-sub.png", "sub/inner.png"), ("link-dir.png", "sub"), ("dangling.png", "missing.png"),
    ("link-root.png", "."), ("link-loop.png", "link-loop.png"),
  ]

  let base: String
  let folder: ContainedFolder

  init() {
    var template = Array("/tmp/gridstitch-fuzz-gallery-XXXXXX".utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
      fatalError("mkdtemp failed")
    }
    base = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let root = base + "/output"
    mkdir(root, 0o700)
    mkdir(root + "/sub", 0o700)
    Self.write(base + "/outside.png", "outside")
    Self.write(root + "/sub/inner.png", "inner")
    for (name, contents) in Self.files { Self.write(root + "/" + name, contents) }
    for (name, target) in Self.links { symlink(target, root + "/" + name) }
    mkfifo(root + "/fifo.png", 0o600)
    link(base + "/outside.png", root + "/hard.png")
    // The folder is given through a link, as `gridstitch view` may be: the root is its real path.
    symlink(root, base + "/via-link")
    guard let folder = ContainedFolder(path: base + "/via-link") else { fatalError("no gallery at \(root)") }
    self.folder = folder
    precondition(folder.root.hasSuffix("/output"))
    atexit { gallery.remove() }
  }

  static func write(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    precondition(fd >= 0, "cannot create \(path)")
    _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    close(fd)
  }

  func remove() {
    let root = base + "/output"
    for name in FileSystem.list(root + "/sub") { unlink(root + "/sub/" + name) }
    rmdir(root + "/sub")
    for name in FileSystem.list(root) { unlink(root + "/" + name) }
    rmdir(root)
    unlink(base + "/outside.png")
    unlink(base + "/via-link")
    rmdir(base)
  }
}

let gallery = Gallery()

/// The process's entry: libFuzzer's driver (SwiftPM links `main` to this name).
@_cdecl("FuzzGalleryPath_main")
public func start(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  gridstitch_fuzz_main(argc, argv)
}
