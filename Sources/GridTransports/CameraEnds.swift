import GridCore
import GridPosix
import SystemPackage

/// The descriptors a camera process was handed for its transport — one or two, in the order
/// `ProcessTransports.cameraDescriptorKinds` names them — each with its one owner.
///
/// Handing them to the transport's camera side (`ProcessTransports.attach`) consumes this value,
/// and `attach` takes each end out of it by a consuming `switch`: a camera's ends are handed over
/// once, and a second hand-over of the same value is a compile error ("'ends' used after
/// consume"), not a nil found at run time. That is the compiler's check, so no run-time test can
/// show it; the tests show the other half, that every end not handed on is closed when the value
/// goes (on a refused attach, or a value simply dropped).
///
/// An enum rather than an array: this toolchain's arrays cannot hold `~Copyable` owners, and no
/// transport hands a camera more than two descriptors.
public enum CameraEnds: ~Copyable {
  case one(OwnedDescriptor)
  case two(Pair)

  /// Two ends, in order (a memfd, then the header's pipe or queue).
  public struct Pair: ~Copyable {
    public var first: OwnedDescriptor
    public var second: OwnedDescriptor

    public init(_ first: consuming OwnedDescriptor, _ second: consuming OwnedDescriptor) {
      self.first = first
      self.second = second
    }
  }

  /// Takes ownership of `descriptors` (a forked camera's inherited copies, or a spawned one's 3,
  /// 4, …). Any other count than one or two is refused, and whatever was given is closed.
  public init(taking descriptors: [FileDescriptor]) throws(GridError) {
    switch descriptors.count {
    case 1: self = .one(OwnedDescriptor(taking: descriptors[0]))
    case 2:
      self = .two(Pair(OwnedDescriptor(taking: descriptors[0]), OwnedDescriptor(taking: descriptors[1])))
    default:
      for descriptor in descriptors { OwnedDescriptor(taking: descriptor).close() }
      throw .usage("a camera is handed one or two descriptors, not \(descriptors.count)")
    }
  }

  public var count: Int {
    switch self {
    case .one: 1
    case .two: 2
    }
  }

  /// The one end of a transport that hands a camera one (`name` says whose, in the refusal); two
  /// are refused and closed.
  public consuming func one(for name: String) throws(GridError) -> OwnedDescriptor {
    switch consume self {
    case .one(let only): return only
    case .two: throw .usage("transport '\(name)' is not handed two descriptors")
    }
  }

  /// The two ends of a transport that hands a camera two; one is refused and closed.
  public consuming func two(for name: String) throws(GridError) -> Pair {
    switch consume self {
    case .two(let pair): return pair
    case .one: throw .usage("transport '\(name)' is not handed one descriptor")
    }
  }

  /// Lends the descriptors, in order, to `body` (to check them); they stay owned here.
  public func withDescriptors<R, E: Error>(_ body: ([FileDescriptor]) throws(E) -> R) throws(E) -> R {
    switch self {
    case .one(let first):
      return try first.withDescriptor { (first) throws(E) in try body([first]) }
    case .two(let pair):
      return try Self.lend(pair.first, pair.second, body)
    }
  }

  private static func lend<R, E: Error>(
    _ first: borrowing OwnedDescriptor, _ second: borrowing OwnedDescriptor,
    _ body: ([FileDescriptor]) throws(E) -> R
  ) throws(E) -> R {
    try first.withDescriptor { (first) throws(E) in
      try second.withDescriptor { (second) throws(E) in try body([first, second]) }
    }
  }
}
