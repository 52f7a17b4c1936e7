/// A camera the run did not start (an imagezmq sender): what the report and the live view say
/// about it.
public struct RemoteCameraRecord: Sendable, Equatable {
  public enum State: String, Sendable {
    case live
    case lost
  }

  /// Its tile, in order of first arrival.
  public var camera: Int
  /// The name it sends (imagezmq's `msg`).
  public var name: String
  /// The address its last frame came from.
  public var peer: String
  public var state: State
  /// Frames accepted from it, stitched or not.
  public var frames: Int
  /// Times it went silent for longer than the camera timeout.
  public var losses: Int
  /// Times it sent again after a loss.
  public var returns: Int
  /// Messages under its name dropped as malformed.
  public var rejected: Int

  public init(
    camera: Int, name: String, peer: String, state: State, frames: Int, losses: Int, returns: Int,
    rejected: Int
  ) {
    self.camera = camera
    self.name = name
    self.peer = peer
    self.state = state
    self.frames = frames
    self.losses = losses
    self.returns = returns
    self.rejected = rejected
  }
}

/// Who joined a hub whose cameras the run did not start, who was lost and who came back.
public struct HubRoster: Sendable, Equatable {
  /// Where the hub listened or subscribed.
  public var endpoints: [String]
  /// The cameras that joined, by tile.
  public var cameras: [RemoteCameraRecord]
  /// Names that arrived after every tile was taken (the first few), and how many in all.
  public var ignored: [String]
  public var ignoredCount: Int

  public init(endpoints: [String], cameras: [RemoteCameraRecord], ignored: [String], ignoredCount: Int) {
    self.endpoints = endpoints
    self.cameras = cameras
    self.ignored = ignored
    self.ignoredCount = ignoredCount
  }
}
