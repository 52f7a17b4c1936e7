import GridCore
import GridPosix
import SystemPackage

/// The scene, decoded once by the consumer into a sealed read-only memfd that every camera maps,
/// forked or spawned: memory holds one copy of it whatever the camera count.
///
/// ```
/// [magic u64 | width u64 | height u64 | channels u64 | 32 bytes zero][pixels …]
/// ```
public final class SharedScene: SceneStorage, @unchecked Sendable {
  static let magic: UInt64 = 0x4753_5343_454E_0001  // "GSSCEN", version 1
  static let headerBytes = 64
  /// The largest scene a camera maps: what the PNG decoder accepts.
  static let maximumBytes = 1 << 30

  private let memory: SealedMemory

  public var byteCount: Int { memory.size - Self.headerBytes }

  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try memory.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[Self.headerBytes...])) }
  }

  /// Lends the descriptor a spawned camera is handed to `body`, which spawns it.
  public func withDescriptor<R, E: Error>(_ body: (FileDescriptor) throws(E) -> R) throws(E) -> R {
    try memory.withDescriptor(body)
  }

  /// Copies `scene` into a new sealed memfd and returns the scene that reads from it.
  public static func share(_ scene: Scene) throws(GridError) -> Scene {
    let size = headerBytes + scene.byteCount
    let memory: SealedMemory
    do {
      memory = try SealedMemory(name: "gridstitch-scene", size: size) { buffer in
        let words = [Self.magic, UInt64(scene.width), UInt64(scene.height), UInt64(scene.channels)]
        words.withUnsafeBytes { buffer.copyMemory(from: $0) }
        scene.withUnsafePixels {
          UnsafeMutableRawBufferPointer(rebasing: buffer[headerBytes...]).copyMemory(from: $0)
        }
      }
    } catch {
      throw .runtime("scene: cannot share \(size) bytes with the cameras: \(error)")
    }
    return try Scene(
      width: scene.width, height: scene.height, channels: scene.channels, storage: SharedScene(memory))
  }

  /// A spawned camera's view of the scene it was handed, after checking that the descriptor is a
  /// sealed memfd whose header and size agree, and that the scene fits the limits.
  public static func attach(_ descriptor: consuming OwnedDescriptor, channels: Int) throws(GridError) -> Scene
  {
    var header = [UInt64](repeating: 0, count: 4)
    do {
      try descriptor.withDescriptor { fd in
        try FileDescriptors.expect(.memfd, fd)
        // pread: every spawned camera shares the one open file and its offset.
        let count = try header.withUnsafeMutableBytes { (buffer) throws(SyscallError) in
          try FileDescriptors.readSome(fd, atOffset: 0, into: buffer)
        }
        guard count == 32, header[0] == magic else {
          throw SyscallError("descriptor \(fd.rawValue) is not a gridstitch scene", .invalidArgument)
        }
      }
    } catch {
      throw .usage("scene: \(error)")
    }
    let (width, height, sceneChannels) = (header[1], header[2], header[3])
    let side: UInt64 = 1 << 20
    guard (1...side).contains(width), (1...side).contains(height), sceneChannels == UInt64(channels),
      width * height * sceneChannels <= UInt64(maximumBytes)
    else {
      throw .usage("scene: \(width)x\(height)x\(sceneChannels) is not a scene this camera can film")
    }
    let size = headerBytes + Int(width * height * sceneChannels)
    let memory: SealedMemory
    do {
      memory = try SealedMemory(attaching: descriptor, size: size)
    } catch {
      throw .usage("scene: \(error)")
    }
    return try Scene(
      width: Int(width), height: Int(height), channels: channels, storage: SharedScene(memory))
  }

  private init(_ memory: SealedMemory) { self.memory = memory }
}
