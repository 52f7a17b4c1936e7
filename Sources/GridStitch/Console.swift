import GridPosix
import SystemPackage

/// Lines to stdout and stderr, unbuffered writes (safe in a forked camera, no stdio buffers to
/// flush twice).
public enum Console {
  public static func out(_ line: String) { write(line + "\n", to: .standardOutput) }
  public static func error(_ line: String) { write(line + "\n", to: .standardError) }
  public static func raw(_ text: String, to fd: FileDescriptor) { write(text, to: fd) }

  private static func write(_ text: String, to fd: FileDescriptor) {
    let bytes = Array(text.utf8)
    bytes.withUnsafeBytes { try? FileDescriptors.writeAll(fd, $0) }
  }

  public static var stderrIsTerminal: Bool { FileDescriptors.isTerminal(.standardError) }
}
