import Foundation
import Testing

/// Bad input: one line naming the value and what is accepted; usage errors exit 2, runtime 1;
/// nothing half-written.
@Suite(.serialized) struct BadInputTests {
  @Test(
    .timeLimit(.minutes(1)),
    arguments: [
      (["--cameras", "0"], "--cameras 0", "1 to 64"),
      (["--cameras", "65"], "--cameras 65", "1 to 64"),
      (["--frames", "0"], "--frames 0", "1 to 1000000"),
      (["--width", "0"], "--width 0", "1 to"),
      (["--height=-3"], "--height -3", "1 to"),
      (["--channels", "2"], "--channels 2", "1 (grey) or 3 (RGB)"),
      (["--cameras", "64", "--width", "4096", "--height", "4096", "--channels", "3"], "grid", "1 GiB"),
      (["--transport", "carrier-pigeon"], "carrier-pigeon", "shm-ring"),
      (["--load", "heavy"], "heavy", "io"),
      (["--slots", "3"], "--slots 3", "power of two"),
      (["--policy", "latest", "--transport", "pipe"], "--policy latest", "shm-ring"),
      (["--frames", "ten"], "ten", "whole number"),
      (
        ["--cameras", "16", "--width", "16384", "--height", "512", "--serve", "127.0.0.1:0"], "--serve",
        "65535"
      ),
      // A negative number is a value, not a flag: the range message, not "Missing value".
      (["--cameras", "-1"], "--cameras -1", "1 to 64"),
      (["--frames", "-1"], "--frames -1", "1 to 1000000"),
      (["--work-us", "-1"], "--work-us -1", "0 to 10000000"),
      (["--snapshot-every", "-5"], "--snapshot-every -5", "0 (none) or more"),
      (["--width", "-320"], "--width -320", "1 to"),
      // Six-digit frame stamps and snapshot names: a million grids at most.
      (["--frames", "2147483648"], "--frames 2147483648", "1 to 1000000"),
    ])
  func usageErrorsExit2(arguments: [String], names: String, accepted: String) throws {
    let output = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let outcome = try CLI.run(["run", "--output", output] + arguments)
    #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
    let lines = outcome.stderr.split(separator: "\n")
    #expect(lines.count == 1, "one line, got: \(outcome.stderr)")
    #expect(outcome.stderr.contains(names), "\(outcome.stderr)")
    #expect(outcome.stderr.contains(accepted), "\(outcome.stderr)")
    #expect(outcome.stdout.isEmpty)
    if accepted != "whole number" { #expect(!outcome.stderr.contains("whole number"), "\(outcome.stderr)") }
    #expect((try? FileManager.default.contentsOfDirectory(atPath: output))?.isEmpty ?? true)
  }

  @Test(.timeLimit(.minutes(1)))
  func unwritableOutputFolderExits1() throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let file = folder + "/not-a-folder"
    _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
    let before = Leftovers.everything()
    let outcome = try CLI.run(["run", "--transport", "shm-ring", "--frames", "5", "--output", file + "/out"])
    #expect(outcome.status == 1, "\(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1)
    #expect(outcome.stderr.contains(file + "/out"))
    #expect(Leftovers.everything() == before)
  }

  @Test(.timeLimit(.minutes(1)), arguments: ["missing", "corrupt"])
  func badSceneExits1(kind: String) throws {
    let folder = CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let scene = folder + "/scene.png"
    if kind == "corrupt" {
      _ = FileManager.default.createFile(atPath: scene, contents: Data("this is not a png at all".utf8))
    }
    let outcome = try CLI.run([
      "run", "--transport", "pipe", "--frames", "5", "--scene", scene, "--output", folder + "/out",
    ])
    #expect(outcome.status == 1, "\(outcome.stderr)")
    #expect(outcome.stderr.split(separator: "\n").count == 1)
    #expect(outcome.stderr.contains(scene))
    // Nothing half-written in the output folder.
    #expect((try? FileManager.default.contentsOfDirectory(atPath: folder + "/out"))?.isEmpty ?? true)
  }
}
