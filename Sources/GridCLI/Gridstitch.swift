import ArgumentParser
import GridCore
import GridStitch
import GridTransports

/// The root command: it only configures subcommands.
struct Gridstitch: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gridstitch",
    abstract:
      "Stream frames from many camera processes through a selectable transport into one stitched grid.",
    version: GridStitchVersion.current,
    subcommands: [
      Run.self, Bench.self, CameraCommand.self, Keygen.self, View.self, Transports.self, MakeScene.self,
      Produce.self,
    ],
    defaultSubcommand: Run.self)
}

extension TransportKind: ExpressibleByArgument {}
extension CameraLoad: ExpressibleByArgument {}
extension CameraSync: ExpressibleByArgument {}
extension LaunchMode: ExpressibleByArgument {}
extension DeliveryPolicy: ExpressibleByArgument {}
extension CameraLossPolicy: ExpressibleByArgument {}
extension SourceSettings.RTSPTransport: ExpressibleByArgument {}
