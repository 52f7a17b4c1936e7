// swift-tools-version: 6.0
import PackageDescription

// Our XXH3-64 (GridCore's Checksum) against Debian's libxxhash (libxxhash-dev, XXH3_64bits), per
// byte, in one sitting: `swift run -c release` here. Results: results.txt.
let package = Package(
  name: "checksum-vs-libxxhash",
  dependencies: [.package(name: "gridstitch", path: "../..")],
  targets: [
    .systemLibrary(name: "CXXHash", path: "Sources/CXXHash", providers: [.apt(["libxxhash-dev"])]),
    .executableTarget(
      name: "checksum-vs-libxxhash",
      dependencies: ["CXXHash", .product(name: "GridCore", package: "gridstitch")]),
  ]
)
