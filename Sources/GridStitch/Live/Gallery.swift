import GridCore
import GridPosix
import GridView

/// `gridstitch view [DIR]`: serves the gallery of DIR's snapshots until SIGINT or SIGTERM.
public enum Gallery {
  public static func serve(folder: String, address: ServeAddress) throws(GridError) {
    StopSignals.install()
    let server: GalleryServer
    do {
      server = try GalleryServer(folder: folder, host: address.host, port: address.port)
    } catch {
      throw .runtime(error.description)
    }
    Console.error("gallery of \(folder): \(server.url) (Ctrl-C stops)")
    while StopSignals.pending == nil { MonotonicClock.sleep(micros: 100_000) }
    server.stop()
  }
}
