import Foundation
import GridCore
import GridTransports
import Testing

@testable import GridStitch

/// Rows for `transports` × `loads`, with made-up samples.
func benchRows(_ transports: [TransportKind], loads: [CameraLoad], repeats: Int = 2) -> [BenchRow] {
  loads.flatMap { load in
    transports.enumerated().map { index, transport in
      BenchRow(
        transport: transport, load: load, launch: .fork,
        point: .init(cameras: 4, geometry: FrameGeometry(width: 320, height: 240, channels: 1)),
        bound: Bound(load: load, fps: 1000, basis: "test bound"),
        samples: (0..<repeats).map { sample(seconds: 0.1 * Double(index + 1) + 0.01 * Double($0), grids: 50) }
      )
    }
  }
}

func benchContext(model: String = "Test CPU @ 3.0GHz") -> BenchContext {
  var config = BenchConfiguration()
  config.frames = 50
  config.cameras = 4
  config.repeats = 2
  return BenchContext(cores: 2, modelName: model, kernel: "Linux 6.1.0 x86_64", configuration: config)
}

/// The files' contracts: CSV columns, one row per transport × load, the JSON beside it.
@Suite struct BenchFilesTests {
  static let header =
    "groupname,time_per_frame,time_for_all_frames,stddev_for_all_frames,fps,"
    + "transport,load,launch,sync,period_us,cameras,grids,repeats,frames_per_s,mb_per_s,"
    + "latency_p50_us,latency_p99_us,latency_max_us,consumer_cpu_s,cameras_cpu_s,"
    + "setup_seconds,bound_fps,efficiency,switches_per_frame"

  @Test func csvHeaderIsExactly() {
    let csv = BenchFiles.csv(benchRows([.serial], loads: [.io]))
    #expect(csv.split(separator: "\n").first.map(String.init) == Self.header)
  }

  @Test func oneRowPerTransportAndLoad() throws {
    let transports: [TransportKind] = [.serial, .threads, .shmRing]
    let loads: [CameraLoad] = [.io, .cpu, .none]
    let rows = benchRows(transports, loads: loads)
    var seen: [String] = []
    for load in loads {
      let lines = BenchFiles.csv(rows.filter { $0.load == load }).split(separator: "\n").dropFirst()
      #expect(lines.count == transports.count)
      for line in lines {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(cells.count == BenchFiles.csvColumns.count)
        #expect(cells[6] == load.rawValue)
        #expect(cells[0] == cells[5])  // groupname is the transport
        seen.append("\(cells[5])/\(cells[6])")
      }
    }
    #expect(Set(seen).count == transports.count * loads.count)
    #expect(seen.count == transports.count * loads.count)
  }

  @Test func csvCellsMeanWhatTheSeedMeant() throws {
    // serial: repeats of 0.10 and 0.11 s for 50 grids.
    let csv = BenchFiles.csv(benchRows([.serial], loads: [.io]))
    let cells = try #require(csv.split(separator: "\n").last).split(separator: ",").map(String.init)
    let value = { (column: String) in Double(cells[BenchFiles.csvColumns.firstIndex(of: column)!])! }
    #expect(abs(value("time_for_all_frames") - 0.105) < 1e-9)
    #expect(abs(value("time_per_frame") - 0.0021) < 1e-9)
    #expect(abs(value("stddev_for_all_frames") - 0.007_071_067_81) < 1e-9)
    #expect(abs(value("fps") - 50 / 0.105) < 1e-5)
    #expect(value("repeats") == 2)
    #expect(value("grids") == 50)
    #expect(value("bound_fps") == 1000)
    #expect(abs(value("efficiency") - 50 / 0.105 / 1000) < 1e-8)
  }

  @Test func jsonHasTheSameRowsAndTheMachine() throws {
    let rows = benchRows([.serial, .threads], loads: [.io])
    let object = BenchFiles.json(
      rows, load: .io, bound: rows[0].bound, context: benchContext(model: "Quoted \"CPU\""))
    let text = object.rendered(indent: "  ")
    let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(parsed["gridstitch_version"] as? String == GridStitchVersion.current)
    let machine = try #require(parsed["machine"] as? [String: Any])
    #expect(machine["cores"] as? Int == 2)
    #expect(machine["model_name"] as? String == "Quoted \"CPU\"")
    #expect(machine["kernel"] as? String == "Linux 6.1.0 x86_64")
    let jsonRows = try #require(parsed["rows"] as? [[String: Any]])
    #expect(jsonRows.count == 2)
    #expect(jsonRows.map { $0["transport"] as? String } == ["serial", "threads"])
    // Same keys as the CSV's columns, in the same order.
    let firstRow = try #require(
      object["rows"].flatMap { value -> JSONObject? in
        guard case .array(let values) = value, case .object(let row) = values.first else { return nil }
        return row
      })
    #expect(firstRow.keys == BenchFiles.csvColumns)
    #expect((parsed["runs"] as? [Any])?.count == 4)
  }

  @Test func runJSONIsReadBack() throws {
    let line = """
      {"transport": "shm-ring", "load": "io", "cameras": 16, "grids": 200, "frames": 3200, \
      "seconds": 0.40908, \
      "setup_seconds": 0.050165, "fps": 488.902504, "frames_per_s": 7822.44, "mb_per_s": 600.763396, \
      "latency_p50_us": 5128.191, "latency_p99_us": 11182.079, "latency_max_us": 13205.503, \
      "verified_frames": 0, "lost_cameras": [], "consumer_cpu_s": 0.083783, "cameras_cpu_s": 0, \
      "context_switches": 1620, "latest_snapshot": "/tmp/a \\"b\\"\\u00e9", "interrupted_by_signal": null}
      """
    let sample = try RunSample(json: Array(line.utf8))
    #expect(sample.grids == 200)
    #expect(sample.frames == 3200)
    #expect(sample.seconds == 0.40908)
    #expect(sample.camerasCPUSeconds == 0)
    #expect(sample.contextSwitches == 1620)
    #expect(sample.latencyP99Micros == 11182.079)
    #expect(throws: GridError.runtime("the run's output is not one JSON object")) {
      try RunSample(json: Array("gridstitch: oops".utf8))
    }
    #expect(throws: GridError.runtime("the run's JSON has no number 'setup_seconds'")) {
      try RunSample(json: Array(#"{"seconds": 1, "grids": 2, "frames": 3}"#.utf8))
    }
    #expect(throws: GridError.runtime("the run's JSON has no number 'grids'")) {
      let text = line.replacingOccurrences(of: "\"grids\": 200", with: "\"grids\": \"x\"")
      return try RunSample(json: Array(text.utf8))
    }
  }
}
