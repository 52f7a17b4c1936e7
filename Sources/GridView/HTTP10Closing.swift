import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// HTTP/1.0 serves one request per connection unless the request asks to keep it
/// (`Connection: keep-alive`). Hummingbird closes a connection only for a request that says
/// `Connection: close` (the HTTP version is gone once a request is an `HTTPRequest`), so an
/// HTTP/1.0 client that reads to the end waited out the idle timeout (10 s) for every request.
/// This handler, right after NIO's HTTP decoder, says `close` for such requests.
final class HTTP10Closing: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias InboundOut = HTTPServerRequestPart

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    if case .head(var head) = unwrapInboundIn(data), head.version == .http1_0, !head.isKeepAlive {
      head.headers.replaceOrAdd(name: "connection", value: "close")
      context.fireChannelRead(wrapInboundOut(.head(head)))
      return
    }
    context.fireChannelRead(data)
  }
}

/// Hummingbird's HTTP/1 child channel with `HTTP10Closing` in its pipeline.
struct HTTP1ClosingChannel: ServerChildChannel {
  let inner: HTTP1Channel

  /// Hummingbird's own set-up, then the handler after the decoder. Nothing here may fail once the
  /// set-up has made its async channel (that value must reach Hummingbird, which finishes it; NIO
  /// traps on one dropped): a connection already closing has no decoder left, and needs no handler.
  func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
    inner.setup(channel: channel, logger: logger).map { value in
      let pipeline = channel.pipeline.syncOperations
      if let decoder = try? pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self) {
        try? pipeline.addHandler(HTTP10Closing(), position: .after(decoder.handler))
      }
      return value
    }
  }

  func handle(value: HTTP1Channel.Value, logger: Logger) async {
    await inner.handle(value: value, logger: logger)
  }
}

extension HTTPServerBuilder {
  /// HTTP/1 as `.http1(configuration:)` builds it, answering HTTP/1.0 as HTTP/1.0 asks.
  static func http1Closing(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
    HTTPServerBuilder { responder in
      HTTP1ClosingChannel(inner: HTTP1Channel(responder: responder, configuration: configuration))
    }
  }
}
