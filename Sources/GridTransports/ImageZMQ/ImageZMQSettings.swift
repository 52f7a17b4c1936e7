import GridCore

/// What an imagezmq hub is asked to do: where senders reach it, how many tiles, the tile's size.
public struct ImageZMQSettings: Sendable {
  /// A ROUTER bound here answers REQ senders (imagezmq's default, `REQ_REP=True`): "tcp://…".
  public var listen: String?
  /// Whether `listen` names an IPv6 address.
  public var listenIPv6 = false
  /// PUB senders (`REQ_REP=False`) bind; a SUB connects to each of these.
  public var subscribe: [String] = []
  /// Tiles: the first `cameras` distinct names to send a good frame get them, in that order.
  public var cameras: Int
  /// Every frame is fitted into a tile of this geometry.
  public var tile: FrameGeometry
  /// `lockstep`: a sender's reply waits until its frame is stitched; `latest`: replies at once.
  public var policy: DeliveryPolicy
  /// Seconds a sender may be silent (while it owes us a frame) before its tile is NO SIGNAL.
  public var cameraTimeout = ImageZMQSettings.defaultCameraTimeout
  /// Seconds set-up waits for the first frame of every tile.
  public var waitSeconds = 30.0
  /// Where the hub says what it sees (joins, losses, returns, dropped messages): stderr.
  public var log: @Sendable (String) -> Void

  public init(
    listen: String?, subscribe: [String], cameras: Int, tile: FrameGeometry, policy: DeliveryPolicy,
    log: @escaping @Sendable (String) -> Void
  ) {
    self.listen = listen
    self.subscribe = subscribe
    self.cameras = cameras
    self.tile = tile
    self.policy = policy
    self.log = log
  }

  public static let defaultCameraTimeout = 1.0
  /// The largest picture accepted, in pixels a side (arrays and JPEGs alike).
  public static let maxSide = 8192
  /// No message part may be larger than the largest picture: libzmq drops the connection of a
  /// peer that announces more (`ZMQ_MAXMSGSIZE`), before it allocates anything for it.
  public static let maxMessageBytes = maxSide * maxSide * 3
  /// Whole messages libzmq queues per sender before it stops reading from it. A REQ sender has
  /// one in flight; a PUB sender's surplus is dropped at its end.
  public static let queuedPerSender: Int32 = 2
}
