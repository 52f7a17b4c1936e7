import Glibc
import GridCore
import GridPosix
import GridTransports
import SystemPackage
import Testing

/// `CameraEnds` owns what a camera was handed: `attach` consumes it (a second hand-over of the same
/// value does not compile — the compiler checks that, not a test), and whatever is not handed on
/// is closed, checked in /proc/self/fd.
@Suite(.serialized) struct CameraEndsTests {
  static func null() -> FileDescriptor { FileDescriptor(rawValue: open("/dev/null", O_RDWR | O_CLOEXEC)) }

  static func isOpen(_ fd: FileDescriptor) -> Bool { fcntl(fd.rawValue, F_GETFD) != -1 }

  @Test func droppedEndsAreClosed() throws {
    let before = FileDescriptors.openDescriptors()
    let numbers = [Self.null(), Self.null()]
    do {
      let ends = try CameraEnds(taking: numbers)
      #expect(ends.count == 2)
      #expect(ends.withDescriptors { $0 } == numbers, "lent in the order handed")
      #expect(numbers.allSatisfy(Self.isOpen))
    }
    #expect(!numbers.contains(where: Self.isOpen))
    #expect(FileDescriptors.openDescriptors() == before)
  }

  @Test func aCountNoTransportHandsIsRefusedAndClosed() throws {
    let before = FileDescriptors.openDescriptors()
    let numbers = [Self.null(), Self.null(), Self.null()]
    #expect(throws: GridError.self) { _ = try CameraEnds(taking: numbers) }
    #expect(!numbers.contains(where: Self.isOpen))
    #expect(throws: GridError.self) { _ = try CameraEnds(taking: []) }
    #expect(FileDescriptors.openDescriptors() == before)
  }

  /// The ends a publisher was handed are its own: open while it lives, closed when it goes.
  @Test func attachHandsTheEndsOverOnce() throws {
    let before = FileDescriptors.openDescriptors()
    do {
      let ends = try PipeEnds()
      let writeEnd = ends.writeEnd.take()
      do {
        let publisher = try ProcessTransports.attach(
          .pipe,
          shape: TransportShape(
            cameras: 1, geometry: FrameGeometry(width: 8, height: 8, channels: 1), slots: 4),
          camera: 0, ends: CameraEnds(taking: [writeEnd]), watch: CameraSideWatch(parent: getppid()))
        #expect(Self.isOpen(writeEnd), "handed over, not closed")
        _ = publisher
      }
      #expect(!Self.isOpen(writeEnd), "the publisher closed it")
    }
    #expect(FileDescriptors.openDescriptors() == before)
  }

  /// Ends handed with the wrong count for the kind are refused and closed, both of them.
  @Test func attachRefusesTheWrongCountAndClosesEverything() throws {
    let before = FileDescriptors.openDescriptors()
    let numbers = [Self.null(), Self.null()]
    #expect(throws: GridError.self) {
      _ = try ProcessTransports.attach(
        .pipe,
        shape: TransportShape(
          cameras: 1, geometry: FrameGeometry(width: 8, height: 8, channels: 1), slots: 4),
        camera: 0, ends: CameraEnds(taking: numbers), watch: CameraSideWatch(parent: getppid()))
    }
    #expect(!numbers.contains(where: Self.isOpen))
    #expect(FileDescriptors.openDescriptors() == before)
  }
}
