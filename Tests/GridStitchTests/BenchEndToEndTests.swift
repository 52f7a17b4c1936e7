import Foundation
import Testing

/// `gridstitch bench` through the built binary, as a user runs it.
@Suite(.serialized) struct BenchEndToEndTests {
  /// The `gridstitch` beside the test bundle (SwiftPM builds it for the CLI tests), else under .build.
  static var executable: String? {
    let besideBundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("gridstitch").path
    let candidates = [besideBundle, packageRoot + "/.build/debug/gridstitch"]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  static let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  @Test(.timeLimit(.minutes(2)))
  func smallBenchWritesEveryFile() throws {
    let executable = try #require(
      Self.executable, "build gridstitch first (swift build, or make test): it runs each repeat")
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("gridstitch-bench-\(UUID())")
      .path
    defer { try? FileManager.default.removeItem(atPath: output) }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = [
      "bench", "--transports", "serial,threads", "--loads", "io", "--repeats", "1", "--frames", "50",
      "--cameras", "4", "--output", output,
    ]
    process.currentDirectoryURL = URL(fileURLWithPath: Self.packageRoot)
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Small outputs: reading to the end before waiting cannot block the child.
    let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "stderr: \(err)")

    // A progress line per run on stderr, the table on stdout.
    #expect(err.contains("[1/2]") && err.contains("[2/2]"), "stderr: \(err)")
    #expect(out.contains("load io") && out.contains("serial") && out.contains("threads"), "stdout: \(out)")

    let names = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
    #expect(names == ["io.csv", "io.json", "io.svg"])

    let csv = try String(contentsOfFile: output + "/io.csv", encoding: .utf8)
    let lines = csv.split(separator: "\n")
    #expect(lines.first.map(String.init) == BenchFilesTests.header)
    #expect(lines.dropFirst().map { $0.split(separator: ",")[0] } == ["serial", "threads"])

    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/io.json")))
        as? [String: Any])
    #expect((json["rows"] as? [[String: Any]])?.compactMap { $0["grids"] as? Int } == [50, 50])
    #expect((json["machine"] as? [String: Any])?["cores"] as? Int ?? 0 >= 1)
    #expect(json["gridstitch_version"] is String)

    let svg = try String(contentsOfFile: output + "/io.svg", encoding: .utf8)
    let elements = try #require(XMLElements.parse(svg), "io.svg is not well-formed XML")
    let bars = elements.filter { $0.name == "rect" && $0.attributes["class"] == "bar" }
    #expect(bars.map { $0.attributes["data-transport"] } == ["serial", "threads"])
  }

  @Test(.timeLimit(.minutes(1)))
  func badListIsAUsageError() throws {
    let executable = try #require(Self.executable, "build gridstitch first (swift build, or make test)")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["bench", "--transports", "serial,smoke-signals", "--output", "/nonexistent/never"]
    let stderr = Pipe()
    process.standardError = stderr
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 2)
    #expect(err.hasPrefix("gridstitch: --transports serial,smoke-signals: 'smoke-signals' is not accepted"))
    #expect(err.split(separator: "\n").count == 1)
  }
}
