import GridCore
import GridPosix

/// `gridstitch view [DIR]`: serves the gallery of DIR's snapshots until SIGINT, SIGTERM or SIGHUP.
public enum Gallery {
  /// Serves until a stop signal, and returns it (the exit status is 128 + it).
  public static func serve(folder: String, address: ServeAddress, webViews: WebViews) throws(GridError)
    -> Int32
  {
    StopSignals.install()
    let server: any WebView
    do {
      server = try webViews.gallery(folder, address.host, address.port)
    } catch {
      throw .runtime("\(error)")
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
