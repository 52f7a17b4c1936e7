import CZMQ

/// One entry of a `zmq_poll`: a socket or a plain descriptor, and what to wait for.
public struct ZMQPollItem {
  public struct Events: OptionSet, Sendable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }
    public static let readable = Events(rawValue: Int16(ZMQ_POLLIN))
    public static let writable = Events(rawValue: Int16(ZMQ_POLLOUT))
  }

  var item: zmq_pollitem_t
  /// Kept so the socket outlives the poll.
  let socket: ZMQSocket?

  public init(socket: ZMQSocket, events: Events) {
    self.socket = socket
    item = zmq_pollitem_t(socket: socket.handle, fd: -1, events: events.rawValue, revents: 0)
  }

  public init(descriptor: Int32, events: Events) {
    socket = nil
    item = zmq_pollitem_t(socket: nil, fd: descriptor, events: events.rawValue, revents: 0)
  }

  /// What happened, after `ZMQPoll.poll`.
  public var returned: Events { Events(rawValue: item.revents) }
}

public enum ZMQPoll {
  /// `zmq_poll`: waits up to `timeoutMillis` (-1: forever) for any item; returns how many are
  /// ready. An interrupting signal returns 0, so the caller re-checks its stop flags.
  public static func poll(_ items: inout [ZMQPollItem], timeoutMillis: Int) throws(ZMQError) -> Int {
    var raw = items.map(\.item)
    let count = raw.withUnsafeMutableBufferPointer {
      zmq_poll($0.baseAddress, Int32($0.count), timeoutMillis)
    }
    if count < 0 {
      let code = zmq_errno()
      if code == EINTR { return 0 }
      throw ZMQError("zmq_poll", code: code)
    }
    for index in items.indices { items[index].item.revents = raw[index].revents }
    return Int(count)
  }
}
