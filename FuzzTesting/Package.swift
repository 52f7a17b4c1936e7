// swift-tools-version: 6.0
import PackageDescription

// One libFuzzer executable per parser of outside bytes, beside the library and depending on it by
// path, so the fuzz build never slows the main one. Built by run.sh with
// `-sanitize=fuzzer,address -parse-as-library`.
let package = Package(
  name: "FuzzTesting",
  platforms: [.macOS(.v13)],
  dependencies: [.package(name: "gridstitch", path: "..")],
  targets: [
    // Each target's entry point: libFuzzer's driver (see FuzzDriver.h).
    .target(name: "FuzzDriver"),
    // The zmq transport's wire: every message kind a camera or a hub reads.
    .executableTarget(
      name: "FuzzZMQWire",
      dependencies: [
        "FuzzDriver",
        .product(name: "GridTransports", package: "gridstitch"),
        .product(name: "GridCore", package: "gridstitch"),
      ]),
    // The JSON part of every imagezmq message.
    .executableTarget(
      name: "FuzzImageZMQMetadata",
      dependencies: ["FuzzDriver", .product(name: "GridTransports", package: "gridstitch")]),
    // JPEGs from imagezmq senders: header and size limit, then the scaled decode.
    .executableTarget(
      name: "FuzzJPEG",
      dependencies: ["FuzzDriver", .product(name: "GridImage", package: "gridstitch")]),
    // Fitting a picture of any size and order into a tile.
    .executableTarget(
      name: "FuzzTileFitter",
      dependencies: ["FuzzDriver", .product(name: "GridImage", package: "gridstitch")]),
    // The scene PNG (a file, or a hub's bytes for a remote camera).
    .executableTarget(
      name: "FuzzScenePNG",
      dependencies: [
        "FuzzDriver",
        .product(name: "GridImage", package: "gridstitch"),
        .product(name: "GridCore", package: "gridstitch"),
      ]),
    // The gallery's names, raw and %-decoded as the server reads them: only a regular file
    // directly inside the folder resolves.
    .executableTarget(
      name: "FuzzGalleryPath",
      dependencies: [
        "FuzzDriver", .product(name: "GridPosix", package: "gridstitch"),
        .product(name: "GridCore", package: "gridstitch"),
      ]),
    // The `Range` header of a request for a recording in the gallery.
    .executableTarget(
      name: "FuzzByteRange",
      dependencies: ["FuzzDriver", .product(name: "GridCore", package: "gridstitch")]),
    // A video file a camera films, through FFmpeg's libraries: open, decode, loop, scale.
    .executableTarget(
      name: "FuzzMedia",
      dependencies: ["FuzzDriver", .product(name: "GridMedia", package: "gridstitch")]),
    // A spawned camera's command line: parsed as the program does, then validated.
    .executableTarget(
      name: "FuzzProduceArguments",
      dependencies: [
        "FuzzDriver",
        .product(name: "GridCLI", package: "gridstitch"),
        .product(name: "GridStitch", package: "gridstitch"),
      ]),
  ],
  swiftLanguageModes: [.v6]
)
