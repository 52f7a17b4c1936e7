import GridCore
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

/// The consumer's loop body: one grid from every live camera, checked, stitched, timed.
struct GridConsumer {
  let config: RunConfiguration
  let canvas: GridCanvas
  let supervisor: Supervisor
  private(set) var grids = 0
  private(set) var framesMoved = 0
  private(set) var verifiedFrames = 0
  private(set) var lostCameras: [Int] = []
  private(set) var latency = LatencyRecorder()
  /// Per grid, newest capture − oldest capture among its tiles: how far apart the cameras are.
  /// A grid waits for its slowest camera, so this is the part of latency no transport can remove.
  private(set) var captureSpread = LatencyRecorder()
  private var captures: [UInt64]
  private(set) var lastSequence: [Int64]  // private(set): read by the live view (issue 10)
  private(set) var live: [Bool]  // private(set): read by the live view (issue 10)
  /// Cameras not yet stitched into the current grid (reused: no allocation per grid).
  private var waiting: [Int]

  init(config: RunConfiguration, canvas: GridCanvas, supervisor: Supervisor) {
    self.config = config
    self.canvas = canvas
    self.supervisor = supervisor
    captures = Array(repeating: 0, count: config.cameras)
    lastSequence = Array(repeating: -1, count: config.cameras)
    live = Array(repeating: true, count: config.cameras)
    waiting = Array(repeating: 0, count: config.cameras)
  }

  mutating func stitch(grid: Int, from receiver: FrameReceiver) throws {
    var delivered = 0
    // A lost camera that sends again (an imagezmq sender restarted under its name) is back.
    for camera in 0..<config.cameras
    where !live[camera] && (receiver as? HubReceiver)?.hasReturned(camera: camera) == true {
      live[camera] = true
    }
    // Stitch whichever cameras are ready first; wait on a pending one only when none is.
    var pending = 0
    for camera in 0..<config.cameras where live[camera] {
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
        live[camera] = false
        lostCameras.append(camera)
        canvas.placeNoSignal(camera: camera)
        let left = live.filter { $0 }.count
        Console.error("gridstitch: \(error); continuing with \(left) cameras")
        // A hub's senders may come back: it waits for one (the next grid takes it back).
        if left == 0, try (receiver as? HubReceiver)?.awaitReturn() != true {
          throw GridError.runtime("every camera died: nothing left to stitch")
        }
      }
    }
    let stitched = MonotonicClock.nanos()
    for camera in 0..<config.cameras where live[camera] {
      latency.record(nanos: stitched &- captures[camera])
    }
    var oldest = UInt64.max
    var newest: UInt64 = 0
    for camera in 0..<config.cameras where live[camera] {
      oldest = min(oldest, captures[camera])
      newest = max(newest, captures[camera])
    }
    if newest >= oldest { captureSpread.record(nanos: newest - oldest) }
    framesMoved += delivered
    grids += 1
  }

  private mutating func take(camera: Int, grid: Int, from receiver: FrameReceiver) throws {
    // Frames without the camera's own header (imagezmq's) are numbered by the receiver, which
    // can only promise that each is newer than the last: they are checked as `latest` ones are.
    let lockstep = config.policy == .lockstep && config.transport.carriesFrameHeaders
    let verify = config.verify
    let geometry = config.geometry
    let previous = lastSequence[camera]
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
    if verify { verifiedFrames += 1 }
    lastSequence[camera] = Int64(header.sequence)
    captures[camera] = header.captureNanos
    supervisor.framesTaken[camera] += 1
  }
}
