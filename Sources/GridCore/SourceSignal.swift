/// What a camera filming a video file or stream says of its source, riding in every frame's
/// header: the source's state in flag bits 1–3, and one of its three counters in the header's
/// last four bytes, which counter named by flag bits 4–5. A camera names the counters in turn,
/// one a frame, so every three frames the consumer has all three, with no message of their own.
/// The test card's cameras (and any peer that does not know of this) send zeros: `.none`.
public struct SourceSignal: Hashable, Sendable {
  /// The source's state as its camera sees it.
  public enum State: UInt32, Sendable, CaseIterable {
    /// No source: the test card, or a peer that does not say.
    case none = 0
    /// Frames arrive.
    case playing = 1
    /// A live source silent for `--camera-timeout`: the tile is the NO SIGNAL card.
    case noSignal = 2
    /// A live source lost and being opened again, with backoff.
    case reconnecting = 3
    /// A `--no-loop` file that reached its end: the tile keeps its last frame.
    case ended = 4

    /// Its name in `--json` and on the live page.
    public var name: String {
      switch self {
      case .none: "none"
      case .playing: "playing"
      case .noSignal: "no signal"
      case .reconnecting: "reconnecting"
      case .ended: "ended"
      }
    }
  }

  /// Which counter `value` holds.
  public enum Counter: UInt32, Sendable, CaseIterable {
    /// Frames decoded from the source since the camera started (its rate is the source's fps).
    case decodedFrames = 0
    /// Packets the decoder refused and frames it gave damaged, skipped.
    case decodeErrors = 1
    /// Times a lost live source was opened again.
    case reconnects = 2
  }

  public var state: State
  public var counter: Counter
  /// The counter's value, saturated at `UInt32.max`.
  public var value: UInt32

  public init(state: State, counter: Counter, value: UInt32) {
    self.state = state
    self.counter = counter
    self.value = value
  }

  public static let none = SourceSignal(state: .none, counter: .decodedFrames, value: 0)

  /// A count as the header carries it.
  public static func saturated(_ count: Int) -> UInt32 { UInt32(clamping: count) }

  private static let stateShift: UInt32 = 1
  private static let counterShift: UInt32 = 4

  /// The flag bits it sets, and the word it writes: none for no source, whatever else it holds.
  var flags: UInt32 {
    state == .none ? 0 : state.rawValue << Self.stateShift | counter.rawValue << Self.counterShift
  }
  var word: UInt32 { state == .none ? 0 : value }

  /// Read from a header's flags and last four bytes. Bits that name no state or no counter (a
  /// peer's, untrusted) read as `.none`.
  init(flags: UInt32, value: UInt32) {
    guard let state = State(rawValue: flags >> Self.stateShift & 0b111), state != .none,
      let counter = Counter(rawValue: flags >> Self.counterShift & 0b11)
    else {
      self = .none
      return
    }
    self.init(state: state, counter: counter, value: value)
  }
}

/// A source's figures as the consumer has heard them: the newest state and each counter's
/// newest value. One per camera, updated from each frame's header (no allocation, no syscall).
public struct SourceFigures: Hashable, Sendable {
  public var state = SourceSignal.State.none
  public var decodedFrames = 0
  public var decodeErrors = 0
  public var reconnects = 0

  public init() {}

  /// Takes in what one frame's header says.
  public mutating func hear(_ signal: SourceSignal) {
    guard signal.state != .none else { return }
    state = signal.state
    let value = Int(signal.value)
    switch signal.counter {
    case .decodedFrames: decodedFrames = value
    case .decodeErrors: decodeErrors = value
    case .reconnects: reconnects = value
    }
  }
}
