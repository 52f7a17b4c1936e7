import GridCore
import GridTransports
import Testing

@testable import GridStitch

@Suite struct ConfigurationTests {
  @Test func defaultsAreValid() throws {
    let config = RunConfiguration()
    try config.validate()
    #expect(config.transport == .shmRing)
    #expect(config.cameras == 16 && config.frames == 1000 && config.workMicros == 1000)
    #expect(config.geometry == FrameGeometry(width: 320, height: 240, channels: 1))
  }

  @Test func limits() {
    func rejects(_ change: (inout RunConfiguration) -> Void, _ words: String) {
      var config = RunConfiguration()
      change(&config)
      #expect(throws: GridError.self) { try config.validate() }
      do { try config.validate() } catch {
        #expect(error.description.contains(words), "\(error)")
        #expect(error.exitCode == 2)
      }
    }
    rejects({ $0.cameras = 0 }, "--cameras 0")
    rejects({ $0.cameras = 65 }, "1 to 64")
    rejects({ $0.frames = 0 }, "--frames 0")
    rejects({ $0.geometry.width = 0 }, "--width 0")
    rejects({ $0.geometry.channels = 4 }, "--channels 4")
    rejects({ $0.slots = 6 }, "power of two")
    rejects(
      {
        $0.policy = .latest; $0.transport = .threads
      }, "only shm-ring")
    rejects(
      {
        $0.policy = .latest; $0.transport = .pipe
      }, "only shm-ring, zmq and imagezmq")
    rejects(
      {
        $0.listen = try? ServeAddress(parsing: "127.0.0.1:5600", flag: "--listen"); $0.transport = .pipe
      },
      "only zmq and imagezmq listen")
    rejects({ $0.fault = Fault(kind: .tamper, camera: 16, sequence: 0) }, "names camera 16")
    rejects(
      {
        $0.cameras = 64; $0.geometry = FrameGeometry(width: 4096, height: 2048, channels: 3)
      }, "1 GiB")
  }

  @Test func faultsParse() {
    #expect(Fault(parsing: "tamper:3:50") == Fault(kind: .tamper, camera: 3, sequence: 50))
    #expect(Fault(parsing: "die:1") == nil)
    #expect(Fault(parsing: "melt:1:2") == nil)
  }
}

@Suite struct JSONObjectTests {
  @Test func keepsOrderAndEscapes() {
    var object = JSONObject()
    object["z"] = .int(1)
    object["a"] = .string("quote \" back \\ line\n")
    object["m"] = .double(2.5)
    object["n"] = .null
    object["list"] = .array([.int(1), .bool(true)])
    #expect(object.keys == ["z", "a", "m", "n", "list"])
    #expect(
      object.rendered()
        == #"{"z": 1, "a": "quote \" back \\ line\n", "m": 2.5, "n": null, "list": [1, true]}"#)
  }

  @Test func reportHasTheContractKeysFirst() {
    let report = RunReport(
      transport: .pipe, launch: .fork, policy: .lockstep, load: .io, cameras: 16,
      geometry: FrameGeometry(), grids: 10, frames: 160, seconds: 2, setupSeconds: 0.1, latencyP50Micros: 1,
      latencyP99Micros: 2, latencyMaxMicros: 3, captureSpreadP50Micros: 0, captureSpreadP99Micros: 0,
      verifiedFrames: 160, snapshotsWritten: 0, snapshotsLost: 0, wakeups: 0,
      droppedFrames: 0, lostCameras: [], consumerCPUSeconds: 0, camerasCPUSeconds: 0, latestSnapshot: nil,
      interruptedBy: nil)
    #expect(Array(report.json.keys.prefix(RunReport.contractKeys.count)) == RunReport.contractKeys)
    #expect(report.fps == 5)
    #expect(report.framesPerSecond == 80)
    let expected: Double = 160.0 * 76_800.0 / 2.0 / 1e6
    #expect(abs(report.megabytesPerSecond - expected) < 1e-9)
  }

  @Test func recordingRateIsTheGridRateAtMost30() {
    var config = RunConfiguration()
    #expect(config.recordFramesPerSecond == 30)  // a 1 kHz genlock
    config.period = 100_000
    #expect(config.recordFramesPerSecond == 10)
    config.sync = .free
    #expect(config.recordFramesPerSecond == 30)  // io: 1000 µs sleeps
    config.workMicros = 200_000
    #expect(config.recordFramesPerSecond == 5)
    config.load = .cpu
    #expect(config.recordFramesPerSecond == 30)  // unknown: at most 30
    config.recordFPS = 12
    #expect(config.recordFramesPerSecond == 12)
  }
}
