import GridCore
import GridImage
import GridPosix

/// `gridstitch make-scene`: renders the test card and writes it as a PNG.
public enum SceneMaker {
  public static func write(path: String, width: Int, height: Int) throws(GridError) {
    guard (320...8192).contains(width), (240...8192).contains(height) else {
      throw .usage("scene size \(width)x\(height) is out of range: use 320x240 to 8192x8192")
    }
    if let slash = path.lastIndex(of: "/") {
      do { try FileSystem.makeDirectories(String(path[..<slash])) } catch { throw .runtime("\(error)") }
    }
    let pixels = SceneCard.render(width: width, height: height)
    do {
      try PNG.write(Image(width: width, height: height, channels: 3, pixels: pixels), to: path)
    } catch {
      throw .runtime("cannot write scene \(error.description)")
    }
  }
}

public enum GridStitchVersion {
  public static let current = "0.1.0"
}
