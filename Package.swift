// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "gridstitch",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "gridstitch", targets: ["gridstitch"]),
    .library(name: "GridStitch", targets: ["GridStitch"]),
    // For the fuzz package (FuzzTesting/), which reaches each parser of outside bytes through these.
    .library(name: "GridCLI", targets: ["GridCLI"]),
    .library(name: "GridCore", targets: ["GridCore"]),
    .library(name: "GridTransports", targets: ["GridTransports"]),
    .library(name: "GridImage", targets: ["GridImage"]),
    .library(name: "GridMedia", targets: ["GridMedia"]),
    .library(name: "GridPosix", targets: ["GridPosix"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.60.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
  ],
  targets: [
    // C: what Swift cannot call (variadic syscall/prctl/mq_open, futex, macros).
    .target(
      name: "CShims",
      cSettings: [.define("_GNU_SOURCE")]
    ),
    // libpng's simplified API, from the system (Debian: libpng-dev).
    .systemLibrary(
      name: "CLibPNG",
      pkgConfig: "libpng",
      providers: [.apt(["libpng-dev"])]
    ),
    // libturbojpeg's TurboJPEG API, from the system (Debian: libturbojpeg0-dev).
    .systemLibrary(
      name: "CTurboJPEG",
      pkgConfig: "libturbojpeg",
      providers: [.apt(["libturbojpeg0-dev"])]
    ),
    // libzmq's C API, from the system (Debian: libzmq3-dev, built with CURVE).
    .systemLibrary(
      name: "CZMQ",
      pkgConfig: "libzmq",
      providers: [.apt(["libzmq3-dev"])]
    ),
    // FFmpeg's libraries, from the system (Debian 12: FFmpeg 5.1): demux, decode, scale. Their
    // headers only: the libraries are loaded when a camera first films a source (see shim.h).
    .systemLibrary(
      name: "CFFmpeg",
      providers: [
        .apt(["libavformat-dev", "libavcodec-dev", "libavdevice-dev", "libswscale-dev", "libavutil-dev"])
      ]
    ),
    // The one owner of every FFmpeg handle: a source opened, decoded and scaled into a tile.
    .target(name: "GridMedia", dependencies: ["CFFmpeg"]),
    // A thin typed owner of libzmq's handles: context, socket, message, poll, monitor, CURVE, ZAP.
    .target(name: "GridZMQ", dependencies: ["CZMQ"]),
    // Every syscall: memfd, mmap, semaphores, mqueue, futex, fork/spawn, waitpid, signals.
    .target(
      name: "GridPosix",
      dependencies: [
        "CShims",
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    // Value types only: geometry, header, checksum, camera renderer, grid layout, stitcher.
    // Optimized in debug builds too: the stamp and the crop run every frame of the debug test
    // suite's runs, and unoptimized they are tens of times slower.
    .target(
      name: "GridCore", dependencies: ["CXXHash"],
      swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
    // XXH3-64, the frame checksum: Debian's libxxhash (0.8.1), with its run-time AVX2 dispatch.
    .systemLibrary(name: "CXXHash", providers: [.apt(["libxxhash-dev"])]),
    // PNG encode/decode over libpng's simplified API, files through GridPosix; JPEG encode over
    // libturbojpeg.
    .target(name: "GridImage", dependencies: ["CLibPNG", "CTurboJPEG", "GridCore", "GridPosix"]),
    // The live view and the gallery: HTTP routes, MJPEG, stats, the page; on Hummingbird.
    .target(
      name: "GridView",
      dependencies: [
        "GridCore",
        "GridImage",
        "GridPosix",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdCore", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
      ]
    ),
    // One folder per transport, all behind the loan protocols.
    .target(
      name: "GridTransports",
      dependencies: [
        "GridCore",
        "GridImage",
        "GridMedia",
        "GridPosix",
        "GridZMQ",
        .product(name: "Atomics", package: "swift-atomics"),
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    // The pipeline: launch, supervise, consume, stitch, snapshot, bench, reports.
    .target(
      name: "GridStitch",
      dependencies: [
        "GridCore",
        "GridImage",
        "GridMedia",
        "GridPosix",
        "GridTransports",
        .product(name: "Atomics", package: "swift-atomics"),
        .product(name: "Histogram", package: "hdrhistogram-swift"),
        .product(name: "RealModule", package: "swift-numerics"),
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    // The CLI: parsing, validation, printing only. A library, so the fuzz package can parse
    // `produce`'s arguments as the program does; the executable only calls it.
    .target(
      name: "GridCLI",
      dependencies: [
        "GridStitch",
        "GridCore",
        "GridTransports",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(name: "gridstitch", dependencies: ["GridCLI", "GridCore", "GridView"]),
    .testTarget(name: "GridCoreTests", dependencies: ["GridCore"]),
    .testTarget(name: "GridZMQTests", dependencies: ["GridZMQ"]),
    .testTarget(name: "GridMediaTests", dependencies: ["GridMedia"]),
    .testTarget(name: "GridViewTests", dependencies: ["GridView", "GridCore", "GridImage"]),
    .testTarget(
      name: "GridPosixTests",
      dependencies: ["GridPosix", "CShims", .product(name: "SystemPackage", package: "swift-system")]),
    .testTarget(
      name: "GridTransportsTests",
      dependencies: [
        "GridTransports", "GridCore", "GridMedia", "GridPosix",
        .product(name: "SystemPackage", package: "swift-system"),
      ]),
    .testTarget(name: "GridImageTests", dependencies: ["GridImage", "GridCore", "CTurboJPEG", "CShims"]),
    // A transport of the tests' own, plugged in from outside GridTransports (issue 19).
    .testTarget(
      name: "TransportPlugInTests",
      dependencies: [
        "GridStitch", "GridTransports", "GridCore", "GridPosix",
        .product(name: "SystemPackage", package: "swift-system"),
      ]),
    .testTarget(
      name: "GridStitchTests", dependencies: ["GridStitch", "GridCore", "GridTransports", "GridPosix"]),
    .testTarget(
      name: "GridstitchCLITests", dependencies: ["gridstitch", "CTurboJPEG", "GridImage", "GridCore"]),
  ],
  swiftLanguageModes: [.v6]
)
