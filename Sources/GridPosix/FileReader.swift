import Glibc
import SystemPackage

/// A regular file opened for reading in pieces, so a large one is never held whole: opened
/// non-blocking (a FIFO or a device given as a path is refused at once, not waited on), checked
/// to be a regular file, its size taken at open. Closed when the last reference goes; reads are
/// positioned (`pread`), so one reader may be read from any thread.
public final class FileReader: Sendable {
  /// The file's size when it was opened.
  public let size: Int
  /// How many names the file has (`st_nlink`): a hard link's target has more than one.
  public let links: Int
  private let path: String
  private let descriptor: Int32

  /// The corresponding C functions are `open(O_NONBLOCK)` and `fstat`. With `noFollow`, a
  /// symbolic link as the last component is refused (`O_NOFOLLOW`).
  public init(path: String, noFollow: Bool = false) throws(FileError) {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (noFollow ? O_NOFOLLOW : 0))
    if fd == -1 { throw FileError(path: path, step: "cannot open") }
    var info = stat()
    if fstat(fd, &info) != 0 {
      let error = FileError(path: path, step: "cannot open")
      close(fd)
      throw error
    }
    switch info.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFDIR:
      close(fd)
      throw FileError(path: path, step: "cannot open", errno: .isDirectory)
    default:
      close(fd)
      throw FileError(path: path, reason: "cannot open: not a regular file (\(Self.kindName(info.st_mode)))")
    }
    self.path = path
    descriptor = fd
    size = Int(info.st_size)
    links = Int(info.st_nlink)
  }

  deinit { close(descriptor) }

  /// Fills `buffer` from `offset` on and returns how many bytes it read: fewer than asked only at
  /// the end of the file (0 past it, or if the file shrank since it was opened).
  /// The corresponding C function is `pread`.
  public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
    var done = 0
    while done < buffer.count {
      let result = Result {
        try FileDescriptor(rawValue: descriptor).read(
          fromAbsoluteOffset: Int64(offset + done),
          into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
      }
      switch result {
      case .success(0): return done
      case .success(let got): done += got
      case .failure(let error):
        throw FileError(path: path, step: "cannot read", errno: error as? Errno ?? .ioError)
      }
    }
    return done
  }

  /// Up to `count` bytes from `offset` on: fewer only at the end of the file.
  public func read(at offset: Int, count: Int) throws(FileError) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    let got = bytes.withUnsafeMutableBytes { buffer in
      Result { () throws(FileError) in try read(at: offset, into: buffer) }
    }
    bytes.removeLast(count - (try got.get()))
    return bytes
  }

  static func kindName(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: "a FIFO"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFSOCK: "a socket"
    default: "not a plain file"
    }
  }
}
