import GridCore
import GridPosix
import GridZMQ

/// What the zmq hub sends its cameras (credit, stops, beats) and how it registers one.
extension ZMQHub {
  func send(_ camera: Int, _ kind: ZMQWire.Kind, body: [UInt8] = []) {
    guard let id = ids[camera] else { return }
    // A camera that is gone cannot be routed to; its loss is named by the watch, not here.
    do {
      try socket.send(id, more: true, dontWait: true)
      try socket.send(ZMQWire.message(kind, body: body), dontWait: true)
    } catch {}
  }

  /// Credit for frames taken goes back as the peer table batches it.
  func giveBack(_ camera: Int, _ count: Int) {
    if let earned = peers.taken(camera, count, queueEmpty: queues[camera].isEmpty) { grant(camera, earned) }
  }

  func flushCredit(_ camera: Int) {
    if let earned = peers.owedCredit(camera) { grant(camera, earned) }
  }

  func grant(_ camera: Int, _ count: Int) {
    peers.grant(camera, count)
    send(camera, .credit, body: ZMQWire.bytes(of: UInt32(count)))
  }

  /// Registers camera `camera` as the peer `id`, speaking from `peer` (`joining` until its pings
  /// are answered, for a remote camera).
  func register(_ camera: Int, id: [UInt8], name: String, peer: String, fd: Int32?, joining: Bool) {
    ids[camera] = id
    byID[id] = camera
    peers.claim(
      camera, name: name, peer: peer, descriptor: fd, inFlight: inFlight, joining: joining,
      now: MonotonicClock.nanos())
  }

  /// What a camera may have on its way to the hub: the frames its credit allows, and two more.
  var inFlight: UInt64 {
    let frameBytes = UInt64(ZMQWire.prefixSize + FrameHeader.wireSize + ZMQWire.maxFrameBytes(shape.geometry))
    return UInt64(shape.slots + 2) * (frameBytes + 2 * ConnectionLedger.partOverhead)
  }
}
