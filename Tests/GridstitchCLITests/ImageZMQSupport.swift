import Foundation
import GridCore
import GridImage
import Testing

/// A Python peer from `Tests/peers`, run with the test venv's interpreter (`make venv`). Its
/// standard input stays open while it should run: closing it (`stop()`, or this process dying)
/// makes it leave, so no peer outlives the test.
final class Peer: @unchecked Sendable {
  static let python = CLI.packageRoot + "/.venv-test/bin/python"
  static let folder = CLI.packageRoot + "/Tests/peers"

  let process = Process()
  private let input = Pipe()
  private let output = Pipe()
  private let errors = Pipe()
  private let collected = Box((out: Data(), err: Data()))
  private let group = DispatchGroup()

  init(_ script: String, _ arguments: [String]) throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.python),
      "\(Self.python) is missing: run `make venv` (make test does)")
    process.executableURL = URL(fileURLWithPath: Self.python)
    process.arguments = [Self.folder + "/" + script] + arguments
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    for (pipe, isOut) in [(output, true), (errors, false)] {
      group.enter()
      DispatchQueue.global().async { [self] in
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        collected.update { isOut ? ($0.out = data) : ($0.err = data) }
        group.leave()
      }
    }
  }

  /// An unchanged imagezmq sender (`imagezmq_sender.py`).
  static func sender(_ arguments: [String]) throws -> Peer { try Peer("imagezmq_sender.py", arguments) }

  var pid: Int32 { process.processIdentifier }

  /// Waits up to `seconds` for it to leave by itself; nil if it did not (it is then killed).
  func wait(seconds: Double) -> (status: Int32, stdout: String, stderr: String)? {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
      kill()
      return nil
    }
    group.wait()
    let (out, err) = collected.value
    return (
      process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self)
    )
  }

  /// Closes its standard input (it leaves), then kills it if it has not within 5 s.
  func stop() {
    try? input.fileHandleForWriting.close()
    _ = wait(seconds: 5)
  }

  /// SIGKILL, as a crash or a pulled plug would end it.
  func kill() {
    if process.isRunning { Foundation.kill(pid, SIGKILL) }
    process.waitUntilExit()
    try? input.fileHandleForWriting.close()
  }

  deinit { if process.isRunning { kill() } }
}

/// `gridstitch run` in the background, its stderr read line by line as it comes, so a test can
/// wait for "joined", "lost", "is back" before its next step.
final class HubRun: @unchecked Sendable {
  let process = Process()
  private let output = Pipe()
  private let errors = Pipe()
  private let lines = Box((out: Data(), err: [String]()))
  private let group = DispatchGroup()

  init(_ arguments: [String]) throws {
    process.executableURL = URL(fileURLWithPath: CLI.executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: CLI.packageRoot)
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    group.enter()
    DispatchQueue.global().async { [self] in
      let data = output.fileHandleForReading.readDataToEndOfFile()
      lines.update { $0.out = data }
      group.leave()
    }
    group.enter()
    DispatchQueue.global().async { [self] in
      var pending = Data()
      while true {
        let chunk = errors.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        pending.append(chunk)
        while let newline = pending.firstIndex(of: 0x0A) {
          let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
          pending.removeSubrange(pending.startIndex...newline)
          lines.update { $0.err.append(line) }
        }
      }
      if !pending.isEmpty { lines.update { $0.err.append(String(decoding: pending, as: UTF8.self)) } }
      group.leave()
    }
  }

  var pid: Int32 { process.processIdentifier }
  var stderrLines: [String] { lines.value.err }

  /// The first stderr line containing `text`, waiting up to `seconds` for it; nil if none came
  /// (or the run ended without it).
  func awaitLine(containing text: String, seconds: Double = 30) -> String? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if let line = stderrLines.first(where: { $0.contains(text) }) { return line }
      if !process.isRunning {
        group.wait()
        return stderrLines.first { $0.contains(text) }
      }
      usleep(20_000)
    }
    return nil
  }

  /// Waits up to `seconds` for the run to end; nil if it did not (it is then killed).
  func wait(seconds: Double) -> CLI.Outcome? {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
      kill(pid, SIGKILL)
      process.waitUntilExit()
      group.wait()
      return nil
    }
    group.wait()
    let value = lines.value
    return CLI.Outcome(
      status: process.terminationStatus, stdout: String(decoding: value.out, as: UTF8.self),
      stderr: value.err.joined(separator: "\n"), killedBySignal: process.terminationReason == .uncaughtSignal)
  }

  /// SIGINT, as Ctrl-C: the run stops and prints its summary (or JSON).
  func interrupt(seconds: Double = 30) -> CLI.Outcome? {
    kill(pid, SIGINT)
    return wait(seconds: seconds)
  }

  deinit {
    if process.isRunning {
      kill(pid, SIGKILL)
      process.waitUntilExit()
    }
  }
}

/// Reading tiles out of a written grid.
enum GridPicture {
  /// The grid PNG at `path`, decoded with the project's own reader.
  static func read(_ path: String, channels: Int) throws -> Image {
    try PNG.read(path: path, channels: channels)
  }

  static func decode(_ bytes: Data, channels: Int) throws -> Image {
    try PNG.decode([UInt8](bytes), channels: channels, path: "snapshot.png")
  }

  /// The pixel of camera `camera`'s tile at (x, y) in a grid of `cameras` tiles of `tile` size.
  static func pixel(
    _ image: Image, camera: Int, cameras: Int, tile: FrameGeometry, x: Int, y: Int
  ) -> [UInt8] {
    let (row, col) = GridLayout(cameras: cameras).cell(of: camera)
    let gx = col * tile.width + x
    let gy = row * tile.height + y
    let start = (gy * image.width + gx) * image.channels
    return Array(image.pixels[start..<start + image.channels])
  }

  /// Whether camera `camera`'s tile carries `name` as its label, exactly as the hub draws it:
  /// `BitmapFont` at the cameras' stamp scale, two font pixels from the corner.
  static func hasLabel(_ image: Image, camera: Int, cameras: Int, tile: FrameGeometry, name: String) -> Bool {
    let scale = FrameStamp.scale(for: tile)
    var expected = [UInt8](repeating: 0, count: tile.bytesPerFrame)
    expected.withUnsafeMutableBytes {
      BitmapFont.draw(
        name, into: $0, width: tile.width, height: tile.height, channels: tile.channels, x: 2 * scale,
        y: 2 * scale, scale: scale, foreground: 255, background: 0)
    }
    let width = BitmapFont.textWidth(name, scale: scale)
    let height = BitmapFont.textHeight(scale: scale)
    for y in 2 * scale..<2 * scale + height {
      for x in 2 * scale..<2 * scale + width {
        let start = (y * tile.width + x) * tile.channels
        let want = Array(expected[start..<start + tile.channels])
        if pixel(image, camera: camera, cameras: cameras, tile: tile, x: x, y: y) != want { return false }
      }
    }
    return true
  }
}

/// Reads /proc for a process's peak virtual size, in KiB.
enum ProcessMemory {
  static func peakVirtualKiB(_ pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmPeak:") {
      // "VmPeak:\t    1234 kB": the number is padded to 8 places, so past 99,999,999 kB (as under
      // AddressSanitizer, whose shadow is terabytes) a tab alone stands before it.
      return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
    }
    return nil
  }
}
