import FuzzDriver
import GridCLI
import GridStitch

/// The bytes, split at NUL, are a command line (without the program's name) as a spawned camera
/// gets it. Parsing and validating must never trap; a `produce` spec that validates is within
/// `run`'s limits, and its own arguments parse back to the same spec.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let arguments = UnsafeRawBufferPointer(start: start, count: count).split(
    separator: 0, omittingEmptySubsequences: false
  ).map { String(decoding: $0, as: UTF8.self) }
  guard let spec = try? GridstitchMain.produceSpec(parsing: arguments), (try? spec.validate()) != nil
  else { return 0 }
  let shape = spec.orders.shape
  precondition((1...RunConfiguration.maxCameras).contains(shape.cameras), "\(spec.arguments)")
  precondition((0..<shape.cameras).contains(spec.orders.camera), "\(spec.arguments)")
  precondition((1...RunConfiguration.maxFrames).contains(spec.orders.frames), "\(spec.arguments)")
  precondition(spec.orders.fault.map { $0.camera == spec.orders.camera } ?? true, "\(spec.arguments)")
  precondition((1...RunConfiguration.maxSide).contains(shape.geometry.width), "\(spec.arguments)")
  precondition((1...RunConfiguration.maxSide).contains(shape.geometry.height), "\(spec.arguments)")
  precondition([1, 3].contains(shape.geometry.channels), "\(spec.arguments)")
  precondition(shape.slots >= 2 && shape.slots <= 256 && shape.slots & (shape.slots - 1) == 0)
  precondition(spec.parent > 1 && spec.descriptorCount > 0, "\(spec.arguments)")
  let again = try? GridstitchMain.produceSpec(parsing: spec.arguments)
  precondition(again?.arguments == spec.arguments, "\(spec.arguments) does not parse back")
  return 0
}

/// The process's entry: libFuzzer's driver (SwiftPM links `main` to this name).
@_cdecl("FuzzProduceArguments_main")
public func start(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  gridstitch_fuzz_main(argc, argv)
}
