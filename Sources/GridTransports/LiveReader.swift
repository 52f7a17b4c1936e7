import GridCore
import GridMedia
import GridPosix

/// Reads a live source on a thread of its own and keeps its newest frame, scaled into a tile:
/// the camera copies it out at its own pace. A read waits at most `--camera-timeout` (the
/// demuxer's socket timeout, and an interrupt callback past a deadline); a source that ends,
/// fails or falls silent is closed and opened again after 0.5, 1, 2, 4, 8, 10, 10… s, the wait
/// starting over once frames flow. An opening that nothing answered (refused, no route) costs
/// the source nothing and waits only the first step, 0.5 s, without growing the backoff: a
/// server that comes back is filmed again within that step and an opening, however long it was
/// away. Every figure is guarded by one lock.
final class LiveReader: @unchecked Sendable {
  /// While the source is silent, a camera under `free` sends the card this often.
  static let silentFrameNanos: UInt64 = 100_000_000
  static let firstBackoffNanos: UInt64 = 500_000_000
  static let longestBackoffNanos: UInt64 = 10_000_000_000

  private let source: MediaSource
  private let settings: SourceSettings
  private let geometry: FrameGeometry
  private let interrupt = MediaInterrupt()
  private let lock = ConditionLock()
  private var thread: Thread?
  // Guarded by `lock`.
  /// The newest frame, scaled into a tile: owned here, lent only under the lock.
  private let tile: UnsafeMutableRawBufferPointer
  private var decodedFrames = 0
  private var decodedAt: UInt64 = 0
  private var decodeErrors = 0
  private var reconnects = 0
  private var connected = false
  private var stopping = false
  /// The thread has left `read`.
  private var finished = false

  init(source: MediaSource, settings: SourceSettings, geometry: FrameGeometry) throws {
    self.source = source
    self.settings = settings
    self.geometry = geometry
    tile = .allocate(byteCount: geometry.bytesPerFrame, alignment: 64)
    tile.initializeMemory(as: UInt8.self, repeating: 0)
    thread = try Thread { [self] in read() }
  }

  deinit { tile.deallocate() }

  /// Ends the reader: its blocking call gives up, its wait ends; returns once its thread has,
  /// or after `stopWaitNanos` if it has not (a device stuck in a call no interrupt reaches: the
  /// thread is then let go, holding the reader, and ends with the camera).
  func stop() {
    let deadline = MonotonicClock.nanos() &+ Self.stopWaitNanos
    let ended = lock.withLock {
      stopping = true
      lock.broadcast()
      interrupt.stop()
      while !finished {
        let now = MonotonicClock.nanos()
        guard now < deadline else { break }
        lock.wait(timeoutNanos: Int64(deadline - now))
      }
      return finished
    }
    if ended { thread?.join() } else { thread?.detach() }
    thread = nil
  }

  static let stopWaitNanos: UInt64 = 2_000_000_000

  /// Waits until a frame after the `shown`th has been decoded, or until `deadline`; whether one has.
  func awaitFrame(after shown: Int, until deadline: UInt64) -> Bool {
    lock.withLock {
      while decodedFrames <= shown && !stopping {
        let now = MonotonicClock.nanos()
        guard now < deadline else { return false }
        lock.wait(timeoutNanos: Int64(deadline - now))
      }
      return decodedFrames > shown
    }
  }

  /// What the camera sends now: the newest frame while the source has given one within
  /// `--camera-timeout`, the NO SIGNAL card otherwise; and the figures.
  func show(into pixels: UnsafeMutableRawBufferPointer) -> (figures: SourceCount, decodedAt: UInt64?) {
    lock.withLock {
      let now = MonotonicClock.nanos()
      let fresh = decodedFrames > 0 && now &- decodedAt < settings.silenceNanos
      if fresh {
        pixels.copyMemory(from: UnsafeRawBufferPointer(tile))
      } else {
        NoSignalCard.draw(into: pixels, geometry: geometry)
      }
      let state: SourceSignal.State = fresh ? .playing : connected ? .noSignal : .reconnecting
      return (
        SourceCount(
          state: state, decodedFrames: decodedFrames, decodeErrors: decodeErrors, reconnects: reconnects),
        fresh ? decodedAt : nil
      )
    }
  }

  /// The reader's thread: open, decode until the source ends or falls silent, wait, again.
  private func read() {
    defer {
      lock.withLock {
        finished = true
        lock.broadcast()
      }
    }
    var backoff = Self.firstBackoffNanos
    // Set once the source has been open: each later opening is a reconnect.
    var lost = false
    let options = settings.options(for: source)
    while !isStopping {
      interrupt.arm(nanos: settings.silenceNanos)
      // Whether this opening failed with nobody answering.
      var unanswered = false
      do throws(MediaError) {
        let input = try MediaInput(source: source, options: options, interrupt: interrupt)
        // Errors of the openings before this one, and frames this one decoded but could not draw.
        let before = lock.withLock {
          if lost { reconnects += 1 }
          connected = true
          return decodeErrors
        }
        var undrawn = 0
        while true {
          interrupt.arm(nanos: settings.silenceNanos)
          guard (try? input.next(loop: false)) != nil else { break }
          backoff = Self.firstBackoffNanos
          lock.withLock {
            do {
              try input.draw(
                into: tile, tileWidth: geometry.width, tileHeight: geometry.height,
                channels: geometry.channels)
              decodedFrames += 1
              decodedAt = MonotonicClock.nanos()
            } catch {
              undrawn += 1
            }
            decodeErrors = before + input.decodeErrors + undrawn
            lock.broadcast()
          }
        }
        lock.withLock {
          decodeErrors = before + input.decodeErrors + undrawn
          connected = false
        }
        lost = true
      } catch {
        unanswered = error.nothingAnswered
      }
      // Wait out the backoff (a stop ends it at once), then try again. Nobody answered: the
      // first step, the backoff kept as it was.
      let deadline: UInt64
      if unanswered {
        deadline = MonotonicClock.nanos() &+ Self.firstBackoffNanos
      } else {
        deadline = MonotonicClock.nanos() &+ backoff
        backoff = min(backoff * 2, Self.longestBackoffNanos)
      }
      lock.withLock {
        while !stopping {
          let now = MonotonicClock.nanos()
          guard now < deadline else { break }
          lock.wait(timeoutNanos: Int64(deadline - now))
        }
      }
    }
  }

  private var isStopping: Bool { lock.withLock { stopping } }
}
