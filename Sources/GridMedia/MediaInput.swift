import CFFmpeg

/// One video source opened by FFmpeg's libraries: the demuxer (`AVFormatContext`), the decoder of
/// its best video stream (`AVCodecContext`), a packet, a frame and a scaler to one tile. It owns
/// every handle and frees each once, in `deinit`; none leaves it. Not for sharing between
/// threads: one camera decodes its own source.
///
/// Every byte of a source is untrusted: the stream's size is checked before anything is sized
/// from it, FFmpeg's own logging is silenced (its lines quote the source), and a packet the
/// decoder refuses is counted in `decodeErrors` and skipped, never fatal.
public final class MediaInput {
  /// The largest side accepted from a source (a 16K frame).
  public static let maxSide = 16_384
  /// The most pixels a frame may have unless told otherwise (8192 × 8192; 8K UHD is half of it):
  /// the decoder refuses a larger one before it allocates for it.
  public static let defaultMaxPixels = 8192 * 8192

  /// What it was opened from, as given (a path or a URL).
  public let url: String
  /// The video stream's size, in pixels.
  public let width: Int
  public let height: Int
  /// The stream's frame rate, where the container says it (nil: unknown).
  public let framesPerSecond: Double?
  /// The decoder's name (`h264`, `hevc`, `mjpeg`, …).
  public let codecName: String
  /// Packets the decoder refused, frames it could not give and frames it gave damaged: counted
  /// and skipped.
  public private(set) var decodeErrors = 0
  /// Times the source reached its end and started again (`loop`).
  public private(set) var loops = 0
  /// Frames decoded and given (damaged ones not counted).
  public private(set) var decodedFrames = 0

  private var format: UnsafeMutablePointer<AVFormatContext>?
  private var decoder: UnsafeMutablePointer<AVCodecContext>?
  private var packet: UnsafeMutablePointer<AVPacket>?
  /// The newest good frame: what `draw` scales, kept after the end of the source.
  private var frame: UnsafeMutablePointer<AVFrame>?
  /// Where the decoder gives its next frame; moved into `frame` when it is a good one.
  private var received: UnsafeMutablePointer<AVFrame>?
  private var scaler: OpaquePointer?
  private let streamIndex: Int32
  private let timeBase: AVRational
  /// The decoder has been sent the end (a null packet) and is giving its last frames.
  private var draining = false
  /// A frame has been decoded and not yet replaced.
  private var hasFrame = false

  /// Bytes read as a file, for `init(bytes:name:)`; freed after the demuxer that reads them.
  private let memory: MemoryFile?
  /// What ends its blocking calls; held so that it outlives the demuxer that asks it.
  private let interrupt: MediaInterrupt?
  /// FFmpeg's functions, loaded once per process.
  private let ff: gs_ffmpeg_table

  /// Opens `url` and its best video stream's decoder (one thread: one camera is one thread).
  /// `options` go to the demuxer (for example `rtsp_transport`).
  public convenience init(
    url: String, options: [String: String] = [:], maxPixels: Int = defaultMaxPixels
  ) throws(MediaError) {
    try self.init(
      url: url, inputFormat: nil, options: options, interrupt: nil, maxPixels: maxPixels, memory: nil)
  }

  /// Opens `source` (a file, a stream, a device) with the demuxer's `options`; `interrupt`, where
  /// given, can end any of its blocking calls (opening, reading) from another thread.
  public convenience init(
    source: MediaSource, options: [String: String] = [:], interrupt: MediaInterrupt? = nil,
    maxPixels: Int = defaultMaxPixels
  ) throws(MediaError) {
    try self.init(
      url: source.url, inputFormat: source.inputFormat, options: options, interrupt: interrupt,
      maxPixels: maxPixels, memory: nil)
  }

  /// Opens `bytes` as if they were a file named `name` (the fuzz target's way in).
  public convenience init(bytes: [UInt8], name: String, maxPixels: Int = defaultMaxPixels) throws(MediaError)
  {
    guard let memory = MemoryFile(bytes, ff: try FFmpeg.functions()) else {
      throw MediaError("avio_alloc_context", reason: "out of memory")
    }
    try self.init(
      url: name, inputFormat: nil, options: [:], interrupt: nil, maxPixels: maxPixels, memory: memory)
  }

  private init(
    url: String, inputFormat: String?, options: [String: String], interrupt: MediaInterrupt?, maxPixels: Int,
    memory: MemoryFile?
  ) throws(MediaError) {
    let ff = try FFmpeg.functions()
    self.ff = ff
    self.url = url
    self.memory = memory
    self.interrupt = interrupt
    var demuxer: UnsafePointer<AVInputFormat>?
    if let inputFormat {
      try FFmpeg.loadDevices()
      demuxer = ff.av_find_input_format!(inputFormat)
      guard demuxer != nil else {
        throw MediaError("av_find_input_format(\(inputFormat))", reason: "not in libavdevice")
      }
    }
    var dictionary: OpaquePointer?
    for (key, value) in options { _ = ff.av_dict_set!(&dictionary, key, value, 0) }
    defer { ff.av_dict_free!(&dictionary) }
    var opened: UnsafeMutablePointer<AVFormatContext>?
    if let memory {
      opened = ff.avformat_alloc_context!()
      guard let context = opened else { throw MediaError("avformat_alloc_context", reason: "out of memory") }
      context.pointee.pb = memory.io
      context.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
    } else if let interrupt {
      opened = ff.avformat_alloc_context!()
      guard let context = opened else { throw MediaError("avformat_alloc_context", reason: "out of memory") }
      interrupt.install(on: context)
    }
    // On failure it frees the context (a custom one too) and sets it to nil.
    let openResult = ff.avformat_open_input!(&opened, memory == nil ? url : nil, demuxer, &dictionary)
    guard openResult >= 0, let opened else {
      throw MediaError("avformat_open_input(\(url))", code: openResult)
    }
    format = opened
    // From here on, a throw leaves `deinit` to free what was made.
    let info = ff.avformat_find_stream_info!(opened, nil)
    guard info >= 0 else {
      ff.avformat_close_input!(&format)
      throw MediaError("avformat_find_stream_info(\(url))", code: info)
    }
    var codec: UnsafePointer<AVCodec>?
    let best = ff.av_find_best_stream!(opened, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
    guard best >= 0, let codec else {
      ff.avformat_close_input!(&format)
      throw MediaError("av_find_best_stream(\(url), video)", code: best < 0 ? best : gs_averror_invaliddata())
    }
    streamIndex = best
    let stream = opened.pointee.streams[Int(best)]!
    let parameters = stream.pointee.codecpar!
    width = Int(parameters.pointee.width)
    height = Int(parameters.pointee.height)
    timeBase = stream.pointee.time_base
    let rate = stream.pointee.avg_frame_rate
    framesPerSecond = rate.num > 0 && rate.den > 0 ? Double(rate.num) / Double(rate.den) : nil
    codecName = String(cString: codec.pointee.name)
    guard (1...Self.maxSide).contains(width), (1...Self.maxSide).contains(height), width * height <= maxPixels
    else {
      ff.avformat_close_input!(&format)
      throw MediaError(
        "\(url)",
        reason:
          "its video is \(width)×\(height): each side must be 1 to \(Self.maxSide), at most \(maxPixels) pixels"
      )
    }
    guard let context = ff.avcodec_alloc_context3!(codec) else {
      ff.avformat_close_input!(&format)
      throw MediaError("avcodec_alloc_context3(\(codecName))", reason: "out of memory")
    }
    decoder = context
    let copied = ff.avcodec_parameters_to_context!(context, parameters)
    context.pointee.thread_count = 1
    // A stream that grows past the limit mid-way is refused by the decoder before it allocates.
    context.pointee.max_pixels = Int64(maxPixels)
    // A damaged packet is an error to count, not a frame to conceal and show.
    context.pointee.err_recognition |= AV_EF_EXPLODE
    let openedCodec = copied < 0 ? copied : ff.avcodec_open2!(context, codec, nil)
    guard openedCodec >= 0 else {
      ff.avcodec_free_context!(&decoder)
      ff.avformat_close_input!(&format)
      throw MediaError("avcodec_open2(\(codecName))", code: openedCodec)
    }
    packet = ff.av_packet_alloc!()
    frame = ff.av_frame_alloc!()
    received = ff.av_frame_alloc!()
    guard packet != nil, frame != nil, received != nil else {
      ff.av_packet_free!(&packet)
      ff.av_frame_free!(&frame)
      ff.av_frame_free!(&received)
      ff.avcodec_free_context!(&decoder)
      ff.avformat_close_input!(&format)
      throw MediaError("av_frame_alloc", reason: "out of memory")
    }
  }

  deinit {
    ff.sws_freeContext!(scaler)
    ff.av_frame_free!(&frame)
    ff.av_frame_free!(&received)
    ff.av_packet_free!(&packet)
    ff.avcodec_free_context!(&decoder)
    ff.avformat_close_input!(&format)
  }

  /// Decodes the next frame. Its presentation time in seconds from the stream's start (nil where
  /// the stream gives none); nil at the end, unless `loop`, which starts the source again.
  public func next(loop: Bool) throws(MediaError) -> Double?? {
    guard let format, let decoder, let packet, let frame, let received else { return nil }
    var emptyLoops = 0
    while true {
      let result = ff.avcodec_receive_frame!(decoder, received)
      if result >= 0 {
        if received.pointee.decode_error_flags != 0 || received.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0 {
          ff.av_frame_unref!(received)
          decodeErrors += 1
          continue
        }
        ff.av_frame_unref!(frame)
        ff.av_frame_move_ref!(frame, received)
        hasFrame = true
        decodedFrames += 1
        let stamp = frame.pointee.best_effort_timestamp
        guard stamp != gs_av_nopts_value() else { return .some(nil) }
        return .some(Double(stamp) * Double(timeBase.num) / Double(timeBase.den))
      }
      if result == gs_averror_eof() {
        guard loop, emptyLoops < 2 else { return nil }
        // Back to the start; a source that gives no frame in two passes has none to give.
        emptyLoops += 1
        let sought = ff.av_seek_frame!(format, streamIndex, 0, AVSEEK_FLAG_BACKWARD)
        guard sought >= 0 else { throw MediaError("av_seek_frame(\(url), 0)", code: sought) }
        ff.avcodec_flush_buffers!(decoder)
        draining = false
        loops += 1
        continue
      }
      // Any other error is the frame it could not give: counted, and the next packet read.
      if result != gs_averror_eagain() { decodeErrors += 1 }
      // The decoder wants a packet.
      if draining { return nil }
      let read = ff.av_read_frame!(format, packet)
      if read < 0 {
        guard read == gs_averror_eof() || format.pointee.pb?.pointee.eof_reached != 0 else {
          throw MediaError("av_read_frame(\(url))", code: read)
        }
        draining = true
        _ = ff.avcodec_send_packet!(decoder, nil)
        continue
      }
      defer { ff.av_packet_unref!(packet) }
      guard packet.pointee.stream_index == streamIndex else { continue }
      let sent = ff.avcodec_send_packet!(decoder, packet)
      if sent < 0 && sent != gs_averror_eagain() { decodeErrors += 1 }
    }
  }

  /// Scales the frame `next` decoded into `tile`, `tileWidth × tileHeight` pixels of `channels`
  /// (1: grey, 3: RGB) bytes, rows packed: its aspect kept, centred, with black bars.
  public func draw(
    into tile: UnsafeMutableRawBufferPointer, tileWidth: Int, tileHeight: Int, channels: Int
  ) throws(MediaError) {
    precondition(channels == 1 || channels == 3)
    precondition(tile.count >= tileWidth * tileHeight * channels && tileWidth > 0 && tileHeight > 0)
    guard hasFrame, let frame, let base = tile.baseAddress else {
      throw MediaError("\(url)", reason: "no frame decoded yet")
    }
    let sourceWidth = Int(frame.pointee.width)
    let sourceHeight = Int(frame.pointee.height)
    guard (1...Self.maxSide).contains(sourceWidth), (1...Self.maxSide).contains(sourceHeight) else {
      throw MediaError("\(url)", reason: "a frame of \(sourceWidth)×\(sourceHeight)")
    }
    let fit = TileFit(
      sourceWidth: sourceWidth, sourceHeight: sourceHeight, tileWidth: tileWidth, tileHeight: tileHeight)
    let target = channels == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24
    scaler = ff.sws_getCachedContext!(
      scaler, Int32(sourceWidth), Int32(sourceHeight), AVPixelFormat(frame.pointee.format),
      Int32(fit.width), Int32(fit.height), target, SWS_BILINEAR, nil, nil, nil)
    guard let scaler else {
      throw MediaError("sws_getCachedContext(\(url))", reason: "unsupported conversion")
    }
    let rowBytes = tileWidth * channels
    if fit.width != tileWidth || fit.height != tileHeight {
      tile.baseAddress!.initializeMemory(as: UInt8.self, repeating: 0, count: tileHeight * rowBytes)
    }
    var planes: [UnsafeMutablePointer<UInt8>?] = [
      (base + fit.y * rowBytes + fit.x * channels).assumingMemoryBound(to: UInt8.self), nil, nil, nil,
    ]
    var strides: [Int32] = [Int32(rowBytes), 0, 0, 0]
    let rows = withUnsafePointer(to: &frame.pointee.data) { data in
      withUnsafePointer(to: &frame.pointee.linesize) { linesize in
        data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { sourcePlanes in
          linesize.withMemoryRebound(to: Int32.self, capacity: 8) { sourceStrides in
            ff.sws_scale!(scaler, sourcePlanes, sourceStrides, 0, Int32(sourceHeight), &planes, &strides)
          }
        }
      }
    }
    guard rows == Int32(fit.height) else { throw MediaError("sws_scale(\(url))", code: rows < 0 ? rows : 0) }
  }
}

/// Where a source of one size goes in a tile of another: the largest rectangle of the source's
/// aspect that fits, centred.
public struct TileFit: Equatable {
  public let x: Int
  public let y: Int
  public let width: Int
  public let height: Int

  public init(sourceWidth: Int, sourceHeight: Int, tileWidth: Int, tileHeight: Int) {
    // Compare w·H with W·h in 64 bits: sides are at most 16,384.
    if sourceWidth * tileHeight >= tileWidth * sourceHeight {
      width = tileWidth
      height = max(1, min(tileHeight, (tileWidth * sourceHeight + sourceWidth / 2) / sourceWidth))
    } else {
      height = tileHeight
      width = max(1, min(tileWidth, (tileHeight * sourceWidth + sourceHeight / 2) / sourceHeight))
    }
    x = (tileWidth - width) / 2
    y = (tileHeight - height) / 2
  }
}

/// Bytes in memory read as a file: a copy of its own, the read position, and the AVIOContext
/// that reads them. Freed once, after the demuxer that reads them is closed.
private final class MemoryFile {
  let io: UnsafeMutablePointer<AVIOContext>
  private let source: UnsafeMutablePointer<gs_memory_source>
  private let bytes: UnsafeMutableRawBufferPointer
  private var ff: gs_ffmpeg_table

  init?(_ input: [UInt8], ff: gs_ffmpeg_table) {
    var ff = ff
    let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, input.count), alignment: 16)
    input.withUnsafeBytes { bytes.copyMemory(from: $0) }
    let source = UnsafeMutablePointer<gs_memory_source>.allocate(capacity: 1)
    source.initialize(
      to: gs_memory_source(
        bytes: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: Int64(input.count), position: 0)
    )
    guard let io = gs_memory_avio(&ff, source) else {
      source.deallocate()
      bytes.deallocate()
      return nil
    }
    self.bytes = bytes
    self.source = source
    self.io = io
    self.ff = ff
  }

  deinit {
    var io: UnsafeMutablePointer<AVIOContext>? = io
    gs_memory_avio_free(&ff, &io)
    source.deallocate()
    bytes.deallocate()
  }
}
