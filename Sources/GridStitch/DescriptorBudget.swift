import GridCore
import GridPosix
import GridTransports

/// How many descriptors a run needs, checked against the open-file limit before anything is
/// created or forked, so a low `ulimit -n` is one clear line instead of a failed `fcntl` halfway
/// through set-up.
enum DescriptorBudget {
  /// Descriptors beyond the transport's: stdio, the start line's two pipes, the scene, a
  /// snapshot and its folder, /proc reads, with room to spare.
  static let overhead = 24

  /// What a run of `config` needs the limit to be: the transport's own, and the overhead.
  static func needed(for config: RunConfiguration) -> Int {
    config.transport.traits.descriptorsNeeded(cameras: config.cameras) + overhead
  }

  /// Raises the soft limit if the hard one allows; else the one-line error naming both numbers.
  static func ensure(for config: RunConfiguration) throws(GridError) {
    let needed = needed(for: config)
    guard !DescriptorLimit.ensure(needed) else {
      // What the run needs fits; the rest of the hard limit is room for peers' connections.
      DescriptorLimit.raiseToHard()
      return
    }
    let limit = DescriptorLimit.current()
    throw .runtime(
      "the open-file limit is too low: this run needs \(needed) descriptors (\(config.cameras) cameras, "
        + "--transport \(config.transport.rawValue)), the limit (ulimit -n) is \(limit.soft)"
        + (limit.hard > limit.soft ? "" : " and cannot be raised")
        + ": raise it to \(needed) or more, or use fewer --cameras")
  }
}
