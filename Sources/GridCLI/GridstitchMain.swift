import ArgumentParser
import GridCore
import GridStitch
import GridTransports

/// The `gridstitch` program: parses its command line, runs the command, and maps every error to
/// its exit code and one line on stderr. The executable target is only a call to `main()`.
public enum GridstitchMain {
  // Exit codes are a contract (DESIGN.md): usage errors 2, runtime errors 1, verification 3,
  // signals 128 + n. ArgumentParser's own usage errors (64) are mapped to 2, and every error is
  // one line on stderr.
  /// The web views `run --serve` and `view` serve; given by the executable (see `WebViews`).
  nonisolated(unsafe) static var webViews: WebViews?

  /// Runs the program. `webViews` is set once, here, before any command runs or thread starts.
  public static func main(webViews: WebViews?) {
    Self.webViews = webViews
    if CommandLine.arguments.dropFirst().first == "produce" {
      ProcessRole.spawnedCamera()
    } else {
      ProcessRole.consumer()
    }
    do {
      var command = try Gridstitch.parseAsRoot(
        ServeFlag.withDefaults(Array(CommandLine.arguments.dropFirst())))
      try command.run()
    } catch let error as GridError {
      Console.error("gridstitch: \(error)")
      Gridstitch.exit(withError: ExitCode(error.exitCode))
    } catch let exit as ExitCode {
      Gridstitch.exit(withError: exit)
    } catch {
      let code = Gridstitch.exitCode(for: error)
      if code == .success {
        Gridstitch.exit(withError: error)  // --help, --version
      }
      // ArgumentParser lists accepted values one a line; fold them into the one line.
      let lines = Gridstitch.message(for: error).split(separator: "\n").map {
        $0.trimmingPrefix(while: { $0 == " " || $0 == "-" })
      }.filter { !$0.isEmpty }
      var message =
        lines.count > 1
        ? lines[0] + " " + lines.dropFirst().joined(separator: ", ")
        : lines.first.map(String.init) ?? "\(error)"
      // Every option that takes a value without a list of names takes a whole number.
      if lines.count == 1 && message.contains("is invalid for") && !message.contains("Please provide") {
        message += ": use a whole number"
      }
      Console.error("gridstitch: \(message)")
      Gridstitch.exit(withError: ExitCode(code == .validationFailure ? 2 : code.rawValue))
    }
  }

  /// Parses a command line (without the program's name) as `main()` does and runs nothing:
  /// for `produce`, the spawned camera's spec, unchecked (`CameraProcessSpec.validate()` checks
  /// it); nil for any other command. The fuzz target feeds it arbitrary arguments.
  public static func produceSpec(parsing arguments: [String]) throws -> CameraProcessSpec? {
    let command = try Gridstitch.parseAsRoot(ServeFlag.withDefaults(arguments))
    return try (command as? Produce)?.spec()
  }
}
