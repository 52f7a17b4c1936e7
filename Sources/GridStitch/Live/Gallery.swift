import GridCore
import GridPosix
import GridView

/// `gridstitch view [DIR]`: serves the gallery of DIR's snapshots until SIGINT, SIGTERM or SIGHUP.
public enum Gallery {
  /// Serves until a stop signal, and returns it (the exit status is 128 + it).
  public static func serve(folder: String, address: ServeAddress) throws(GridError) -> Int32 {
    StopSignals.install()
    let server: GalleryServer
    do {
      server = try GalleryServer(folder: folder, host: address.host, port: address.port)
    } catch {
      throw .runtime(error.description)
    }
    Console.error("gallery of \(folder): \(server.url) (Ctrl-C stops)")
    var signal = StopSignals.pending
    while signal == nil {
      MonotonicClock.sleep(micros: 100_000)
      signal = StopSignals.pending
    }
    server.stop()
    return signal!
  }
}
