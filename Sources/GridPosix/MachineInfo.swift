import Glibc
import SystemPackage

/// What a benchmark result needs to say about the machine it was measured on.
public struct MachineInfo: Sendable, Equatable {
  /// Online cores.
  public var cores: Int
  /// The CPU's model name from /proc/cpuinfo ("unknown CPU" when it names none).
  public var modelName: String
  /// Kernel name, release and machine, as `uname -srm` prints them.
  public var kernel: String

  public init(cores: Int, modelName: String, kernel: String) {
    self.cores = cores
    self.modelName = modelName
    self.kernel = kernel
  }

  /// This machine, now.
  public static func current() -> MachineInfo {
    let system = Kernel.current()
    let cpuinfo = readText("/proc/cpuinfo") ?? ""
    let model = modelName(fromCPUInfo: cpuinfo) ?? (system.machine.isEmpty ? "unknown CPU" : system.machine)
    let kernel = [system.name, system.release, system.machine].filter { !$0.isEmpty }.joined(separator: " ")
    return MachineInfo(cores: ResourceUsage.onlineCores, modelName: model, kernel: kernel)
  }

  /// The first "model name" line (x86), else the fields ARM and other kernels use instead.
  public static func modelName(fromCPUInfo text: String) -> String? {
    for field in ["model name", "Model", "Hardware", "cpu model", "cpu", "uarch"] {
      for line in text.split(separator: "\n") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let key = line[..<colon].trimmingSpaces()
        let value = line[line.index(after: colon)...].trimmingSpaces()
        if key == field && !value.isEmpty { return value }
      }
    }
    return nil
  }

  /// `uname`'s fields. The corresponding C function is `uname`.
  struct Kernel {
    var name = ""
    var release = ""
    var machine = ""

    static func current() -> Kernel {
      var names = utsname()
      guard uname(&names) == 0 else { return Kernel() }
      func text<T>(_ field: T) -> String {
        withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      }
      return Kernel(name: text(names.sysname), release: text(names.release), machine: text(names.machine))
    }
  }

  /// A whole small text file, or nil if it cannot be read. The corresponding C functions are
  /// `open` and `read`.
  static func readText(_ path: String) -> String? {
    guard let opened = try? FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec) else {
      return nil
    }
    let file = OwnedDescriptor(taking: opened)
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    while bytes.count < 1 << 22 {
      guard let count = try? chunk.withUnsafeMutableBytes({ try file.descriptor.read(into: $0) }) else {
        return nil
      }
      if count == 0 { break }
      bytes.append(contentsOf: chunk[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

extension Substring {
  fileprivate func trimmingSpaces() -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) })
    else {
      return ""
    }
    return String(self[first...last])
  }
}
