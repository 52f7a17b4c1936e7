import GridCore
import GridImage
import GridPosix

/// Finds and loads `assets/scene.png`, the picture every camera films.
public enum SceneFile {
  public static let relativePath = "assets/scene.png"

  /// The scene path: the one given, else `assets/scene.png` here, else beside the executable's
  /// package (so `.build/release/gridstitch` finds it from any folder).
  public static func locate(_ explicit: String?) -> String {
    if let explicit { return explicit }
    if FileSystem.exists(relativePath) { return relativePath }
    if let executable = ResourceUsage.executablePath() {
      var folder = executable
      for _ in 0..<5 {
        guard let slash = folder.lastIndex(of: "/") else { break }
        folder = String(folder[..<slash])
        let candidate = folder + "/" + relativePath
        if FileSystem.exists(candidate) { return candidate }
      }
    }
    return relativePath
  }

  public static func load(path: String, channels: Int) throws(GridError) -> Scene {
    let image: Image
    do {
      image = try PNG.read(path: path, channels: channels)
    } catch {
      throw .runtime("scene \(error.description) (make it with `gridstitch make-scene`)")
    }
    return try Scene(width: image.width, height: image.height, channels: image.channels, pixels: image.pixels)
  }
}
