import GridCore

/// One camera's source as a run reports it (`--json`'s `sources`, the summary, the live page):
/// what it films and what its frames said of it (`SourceSignal`, carried in every header).
public struct CameraSourceReport: Sendable, Equatable {
  public var camera: Int
  /// The `--source` it films, as given; nil where the run does not know (a remote camera).
  public var source: String?
  public var state: SourceSignal.State
  public var decodeErrors: Int
  public var reconnects: Int
  public var decodedFrames: Int
  /// Frames decoded per second of the run.
  public var framesPerSecond: Double

  public var json: JSONObject.Value {
    var object = JSONObject()
    object["camera"] = .int(camera)
    object["source"] = source.map { .string($0) } ?? .null
    object["state"] = .string(state.name)
    object["decode_errors"] = .int(decodeErrors)
    object["reconnects"] = .int(reconnects)
    object["decoded_frames"] = .int(decodedFrames)
    object["source_fps"] = .double(framesPerSecond)
    return .object(object)
  }

  /// Every camera's, when any camera films a source (or a remote one says it does); else none.
  static func of(_ config: RunConfiguration, figures: [SourceFigures]?, seconds: Double)
    -> [CameraSourceReport]
  {
    let figures = figures ?? Array(repeating: SourceFigures(), count: config.cameras)
    let filming = (0..<config.cameras).contains {
      config.source(for: $0) != nil || figures[$0].state != .none
    }
    guard filming else { return [] }
    return (0..<config.cameras).map { camera in
      let heard = figures[camera]
      let given = config.sources.isEmpty ? nil : config.sources[camera % config.sources.count]
      return CameraSourceReport(
        camera: camera, source: given ?? (heard.state == .none ? "testcard" : nil), state: heard.state,
        decodeErrors: heard.decodeErrors, reconnects: heard.reconnects, decodedFrames: heard.decodedFrames,
        framesPerSecond: seconds > 0 ? Double(heard.decodedFrames) / seconds : 0)
    }
  }

  /// Its line in the summary; the source escaped (a name can hold anything).
  var summaryLine: String {
    let name = source.map(TerminalText.escaped) ?? "(remote)"
    let rate = (framesPerSecond * 10).rounded() / 10
    return "C\(camera < 10 ? "0" : "")\(camera) \(name): \(state.name), \(rate) fps, "
      + "\(decodeErrors) decode errors, \(reconnects) reconnects"
  }
}
