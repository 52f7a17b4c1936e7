import GridCore
import GridMedia
import GridPosix
import GridTransports

/// `gridstitch run`: load the scene, start the cameras behind the chosen transport, stitch every
/// grid, verify, snapshot, and measure.
public enum Pipeline {
  public static func run(_ config: RunConfiguration, webViews: WebViews? = nil) throws -> RunReport {
    try config.validate()
    if let parent = config.parent, !ProcessIdentity.dieWithParent(expectedParent: parent) {
      throw GridError.runtime("the process that started this run (pid \(parent)) is gone")
    }
    let session = try RunSession(config, webViews: webViews)
    defer { session.tearDown() }
    try session.stream()
    return try session.finish()
  }

  /// T0, the first `genlock` trigger, comes this long after the start line: a margin for every
  /// released camera to wake, read T0 and be asleep on the first trigger when it comes.
  static let startLeadNanos: UInt64 = 2_000_000

  /// `--record PATH`: its folder exists and takes files, and PATH is not a folder; checked before
  /// any camera starts, and nothing is created (a usage error: exit 2).
  static func checkRecording(_ path: String) throws(GridError) {
    let folder: String
    if let slash = path.lastIndex(of: "/") {
      folder = slash == path.startIndex ? "/" : String(path[..<slash])
    } else {
      folder = "."
    }
    let shown = TerminalText.escaped(path)
    guard FileSystem.isDirectory(folder) else {
      throw .usage("--record '\(shown)': no folder '\(TerminalText.escaped(folder))' to write it in")
    }
    guard !FileSystem.isDirectory(path) else {
      throw .usage("--record '\(shown)' is a folder: name an .mp4 file")
    }
    do {
      try FileSystem.checkWritable(folder)
    } catch {
      throw .usage("--record '\(shown)': cannot write in '\(TerminalText.escaped(folder))' (\(error))")
    }
  }

  /// The output folder exists and takes files, before any camera starts.
  static func prepareOutput(_ folder: String) throws(GridError) {
    do {
      try FileSystem.makeDirectories(folder)
      try FileSystem.checkWritable(folder)
    } catch {
      throw .runtime("cannot write to output folder '\(folder)': \(error)")
    }
  }
}

extension GridError {
  /// A camera that went away (a process that died, a remote one gone silent): what
  /// `--on-camera-loss continue` carries on past.
  var isCameraLoss: Bool {
    switch self {
    case .cameraLost, .remoteCameraLost: true
    default: false
    }
  }
}

/// What the consumer has counted so far, read in one piece: by the report, by the live view (on the
/// stitching thread, after each grid) and by the supervisor's loss message. A value: whoever holds
/// one sees the counts of one moment, and nothing outside the consumer can change them.
struct ConsumerCounts: Sendable {
  var grids = 0
  var framesMoved = 0
  var verifiedFrames = 0
  /// Frames taken from each camera.
  var framesTaken: [Int]
  /// Each camera's newest sequence number; -1 before its first frame.
  var lastSequence: [Int64]
  /// Whether each camera is still stitched (false once lost under `--on-camera-loss continue`).
  var live: [Bool]
  var lostCameras: [Int] = []
  /// What each camera's frames said of its source (`SourceSignal`): state and counters.
  var sources: [SourceFigures]
  /// Whether each camera's `--no-loop` file has ended: its last frame stays in its tile.
  var ended: [Bool]
  var latency = LatencyRecorder()
  /// Per grid, newest capture − oldest capture among its tiles: how far apart the cameras are.
  /// A grid waits for its slowest camera, so this is the part of latency no transport can remove.
  var captureSpread = LatencyRecorder()

  init(cameras: Int) {
    framesTaken = Array(repeating: 0, count: cameras)
    lastSequence = Array(repeating: -1, count: cameras)
    live = Array(repeating: true, count: cameras)
    sources = Array(repeating: SourceFigures(), count: cameras)
    ended = Array(repeating: false, count: cameras)
  }

  /// Whether `camera` is stitched in the next grid: not lost, and its file not ended.
  func stitches(_ camera: Int) -> Bool { live[camera] && !ended[camera] }
}

/// The consumer's loop body: one grid from every live camera, checked, stitched, timed. Its counts
/// are its own: only its methods change them, and others read them through `counts`. A class, so
/// the supervisor can ask it for a count while it waits on a camera (a struct in the session
/// would be under a mutating access for the whole wait).
final class GridConsumer {
  let config: RunConfiguration
  let canvas: GridCanvas
  let supervisor: Supervisor
  private var tally: ConsumerCounts
  private var captures: [UInt64]
  /// Cameras not yet stitched into the current grid (reused: no allocation per grid).
  private var waiting: [Int]
  /// Cameras whose file ended with the grid being stitched (it still counts their last frame).
  private var justEnded: [Bool]

  /// Everything counted so far, as one value.
  var counts: ConsumerCounts { tally }
  /// The newest capture time (monotonic ns) among the last grid's tiles: when it was taken.
  private(set) var lastGridCaptureNanos: UInt64 = 0

  init(config: RunConfiguration, canvas: GridCanvas, supervisor: Supervisor) {
    self.config = config
    self.canvas = canvas
    self.supervisor = supervisor
    tally = ConsumerCounts(cameras: config.cameras)
    captures = Array(repeating: 0, count: config.cameras)
    waiting = Array(repeating: 0, count: config.cameras)
    justEnded = Array(repeating: false, count: config.cameras)
    // The loss message asks here; unowned: the consumer holds the supervisor, not the other way.
    supervisor.framesTaken = { [unowned self] camera in self.tally.framesTaken[camera] }
  }

  func stitch(grid: Int, from receiver: FrameReceiver) throws {
    var delivered = 0
    // A lost camera that sends again (an imagezmq sender restarted under its name) is back.
    for camera in 0..<config.cameras
    where !tally.live[camera] && (receiver as? HubReceiver)?.hasReturned(camera: camera) == true {
      tally.live[camera] = true
    }
    // Stitch whichever cameras are ready first; wait on a pending one only when none is.
    var pending = 0
    for camera in 0..<config.cameras where tally.stitches(camera) {
      waiting[pending] = camera
      pending += 1
    }
    while pending > 0 {
      var pick = 0
      for index in 0..<pending where receiver.hasFrame(from: waiting[index]) {
        pick = index
        break
      }
      let camera = waiting[pick]
      waiting[pick] = waiting[pending - 1]
      pending -= 1
      do {
        try take(camera: camera, grid: grid, from: receiver)
        delivered += 1
      } catch let error as GridError {
        guard error.isCameraLoss, config.onCameraLoss == .continue else { throw error }
        tally.live[camera] = false
        tally.lostCameras.append(camera)
        canvas.placeNoSignal(camera: camera)
        let left = tally.live.filter { $0 }.count
        Console.error("gridstitch: \(error); continuing with \(left) cameras")
        // A hub's senders may come back: it waits for one (the next grid takes it back).
        if left == 0, try (receiver as? HubReceiver)?.awaitReturn() != true {
          throw GridError.runtime("every camera died: nothing left to stitch")
        }
      }
    }
    let stitched = MonotonicClock.nanos()
    for camera in 0..<config.cameras where tally.stitches(camera) || justEnded[camera] {
      tally.latency.record(nanos: stitched &- captures[camera])
    }
    var oldest = UInt64.max
    var newest: UInt64 = 0
    for camera in 0..<config.cameras where tally.stitches(camera) || justEnded[camera] {
      oldest = min(oldest, captures[camera])
      newest = max(newest, captures[camera])
    }
    if newest >= oldest { tally.captureSpread.record(nanos: newest - oldest) }
    lastGridCaptureNanos = newest >= oldest ? newest : stitched
    for camera in 0..<config.cameras where justEnded[camera] { justEnded[camera] = false }
    tally.framesMoved += delivered
    tally.grids += 1
  }

  private func take(camera: Int, grid: Int, from receiver: FrameReceiver) throws {
    // Frames without the camera's own header (imagezmq's) are numbered by the receiver, which
    // can only promise that each is newer than the last: they are checked as `latest` ones are.
    let lockstep = config.policy == .lockstep && config.transport.carriesFrameHeaders
    let verify = config.verify
    let geometry = config.geometry
    let previous = tally.lastSequence[camera]
    let header = try receiver.withNextFrame(from: camera) { header, pixels in
      if lockstep {
        if verify {
          try FrameVerifier.check(
            header, pixels: pixels, camera: camera, sequence: UInt64(grid), geometry: geometry)
        } else if header.sequence != UInt64(grid) {
          throw GridError.verification(
            camera: camera, sequence: UInt64(grid), reason: "received frame \(header.sequence) out of order")
        }
      } else {
        guard Int64(header.sequence) > previous else {
          throw GridError.verification(
            camera: camera, sequence: header.sequence,
            reason: "not newer than frame \(previous) of the last grid")
        }
        if verify {
          try FrameVerifier.check(
            header, pixels: pixels, camera: camera, sequence: header.sequence, geometry: geometry)
        }
      }
      canvas.place(camera: camera, pixels: pixels)
      return header
    }
    if verify { tally.verifiedFrames += 1 }
    tally.lastSequence[camera] = Int64(header.sequence)
    captures[camera] = header.captureNanos
    tally.framesTaken[camera] += 1
    tally.sources[camera].hear(header.source)
    if header.source.state == .ended {
      tally.ended[camera] = true
      justEnded[camera] = true
    }
  }

  /// `--no-loop`: every camera filming a file has played it to its end, or every camera has
  /// ended (remote ones told `--no-loop` of their own): the run then ends, as at its last grid.
  var everyFileEnded: Bool {
    if tally.ended.allSatisfy({ $0 }) { return true }
    guard config.noLoop else { return false }
    var files = 0
    for camera in 0..<config.cameras {
      guard let spec = config.source(for: camera), !MediaSource(spec).isLive else { continue }
      guard tally.ended[camera] else { return false }
      files += 1
    }
    return files > 0
  }
}
