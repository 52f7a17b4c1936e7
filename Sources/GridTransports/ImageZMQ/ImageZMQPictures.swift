import GridCore
import GridImage
import GridZMQ

/// What the imagezmq hub makes of its senders' pictures: a message checked in full (parts, shape,
/// byte count, JPEG header and size) before anything is made from it, and a taken frame decoded
/// (a JPEG straight to the nearest scale) and fitted into the one tile lent to the consumer, with
/// its sender's name as its label. It keeps nothing between frames (the canvas does).
final class ImageZMQPictures {
  private let geometry: FrameGeometry
  private let decoder: JPEGDecoder
  /// One fitter per camera: each keeps the spans of its sender's frame size.
  private var fitters: [TileFitter] = []
  /// The tile lent to the consumer.
  private let tile: UnsafeMutableRawBufferPointer
  private let labelScale: Int

  init(tile geometry: FrameGeometry) throws(ImageError) {
    self.geometry = geometry
    decoder = try JPEGDecoder()
    tile = .allocate(byteCount: geometry.bytesPerFrame, alignment: 64)
    tile.initializeMemory(as: UInt8.self, repeating: 0)
    labelScale = FrameStamp.scale(for: geometry)
  }

  deinit { tile.deallocate() }

  /// A new sender took the next camera.
  func addCamera() {
    fitters.append(TileFitter(width: geometry.width, height: geometry.height, channels: geometry.channels))
  }

  /// The metadata of a message, checked in full against its picture before anything is made from it.
  func check(_ body: ArraySlice<ZMQMessage>, overflowed: Bool) throws(ImageZMQRejection) -> ImageZMQMetadata {
    guard !overflowed, body.count == 2, let first = body.first, let data = body.last else {
      throw ImageZMQRejection(
        "\(overflowed ? "more than \(body.count)" : "\(body.count)") part\(body.count == 1 ? "" : "s"): "
          + "imagezmq sends 2 (metadata, then the picture)")
    }
    let metadata = try first.withUnsafeBytes { (bytes) throws(ImageZMQRejection) in
      try ImageZMQMetadata.parse(bytes, maxSide: ImageZMQSettings.maxSide)
    }
    switch metadata.payload {
    case .array(let height, let width, let channels):
      let expected = height * width * channels
      guard data.count == expected else {
        throw ImageZMQRejection(
          refusing: metadata.name,
          "\(data.count) bytes for shape [\(height), \(width)\(channels == 3 ? ", 3" : "")]: expected \(expected)"
        )
      }
    case .jpeg:
      do {
        _ = try data.withUnsafeBytes { (bytes) throws(ImageError) in
          try decoder.header(of: bytes, maxSide: ImageZMQSettings.maxSide)
        }
      } catch {
        throw ImageZMQRejection(refusing: metadata.name, "JPEG \(error.reason)")
      }
    }
    return metadata
  }

  /// Fits `data` (of `payload`) into the tile as camera `camera`'s frame, labelled `name`.
  func render(
    _ data: ZMQMessage, payload: ImageZMQMetadata.Payload, camera: Int, name: String
  ) throws(ImageError) {
    let fitter = fitters[camera]
    try data.withUnsafeBytes { (bytes) throws(ImageError) in
      switch payload {
      case .array(let height, let width, let channels):
        guard
          let source = PixelSource(
            pixels: bytes, width: width, height: height, order: channels == 3 ? .bgr : .grey)
        else { throw ImageError(path: "array", reason: "does not match its shape") }
        fitter.fit(source, into: tile)
      case .jpeg:
        try decoder.decode(
          bytes, maxSide: ImageZMQSettings.maxSide, covering: geometry.width, geometry.height,
          channels: geometry.channels
        ) { fitter.fit($0, into: tile) }
      }
    }
    drawLabel(name)
  }

  /// Lends the tile to `body`, and only to it.
  func withTile<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try body(UnsafeRawBufferPointer(tile))
  }

  /// The sender's name in the tile's corner, where cameras stamp theirs, cut to fit.
  private func drawLabel(_ name: String) {
    let margin = 2 * labelScale
    let room = (geometry.width - 2 * margin) / labelScale - 1
    let fits = max(room / BitmapFont.cellWidth, 0)
    guard fits > 0 else { return }
    let label = String(String.UnicodeScalarView(name.unicodeScalars.prefix(fits)))
    BitmapFont.draw(
      label, into: tile, width: geometry.width, height: geometry.height, channels: geometry.channels,
      x: margin, y: margin, scale: labelScale, foreground: 255, background: 0)
  }
}
