import GridCore

extension LiveServer: WebView {}
extension GalleryServer: WebView {}

extension WebViews {
  /// The program's web views: the live view and the gallery, over Hummingbird.
  public static let hummingbird = WebViews(
    live: { source, host, port, framesPerSecond in
      try LiveServer(source: source, host: host, port: port, framesPerSecond: framesPerSecond)
    },
    gallery: { folder, host, port in try GalleryServer(folder: folder, host: host, port: port) },
    figuresPerSecond: LiveServer.eventsPerSecond)
}
