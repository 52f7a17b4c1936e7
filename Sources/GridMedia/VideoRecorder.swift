import CFFmpeg

/// A recording being written: grey or RGB pictures of one size encoded as H.264 (libx264, or
/// OpenH264 where x264 is missing) into a fragmented MP4, a fragment a second, so the file plays
/// while it grows and a process killed outright loses only the fragment it had not finished. It
/// owns the muxer (`AVFormatContext` and its file), the encoder (`AVCodecContext`), the scaler
/// to yuv420p, a frame and a packet, and frees each once, in `deinit`; none leaves it. One
/// thread uses it: the recorder's own.
///
/// Presentation times are the caller's (seconds from the first picture), so a recording of
/// pictures taken at uneven moments plays in real time. A side of odd length is padded to even
/// (yuv420p halves both) by repeating the last row or column.
public final class VideoRecorder {
  /// The encoders tried, in order.
  public static let encoderNames = ["libx264", "libopenh264"]
  /// Presentation times count 90 kHz ticks, MPEG's video clock.
  static let ticksPerSecond: Int32 = 90_000

  public let path: String
  /// The pictures' size; the video's is this rounded up to even.
  public let width: Int
  public let height: Int
  public let channels: Int
  /// The encoder in use (`libx264` or `libopenh264`).
  public let encoderName: String
  /// Pictures encoded and written to the file (packets muxed).
  public private(set) var framesWritten = 0

  private var format: UnsafeMutablePointer<AVFormatContext>?
  private var encoder: UnsafeMutablePointer<AVCodecContext>?
  private var frame: UnsafeMutablePointer<AVFrame>?
  private var packet: UnsafeMutablePointer<AVPacket>?
  private var scaler: OpaquePointer?
  private var stream: UnsafeMutablePointer<AVStream>?
  /// Ticks one picture lasts at the nominal rate: the last packet's duration.
  private let frameTicks: Int64
  private var lastPTS: Int64 = -1
  /// The second whose keyframe has been asked for.
  private var keyedSecond = -1
  private var finished = false
  private let ff: gs_ffmpeg_table

  /// Creates (or replaces) the MP4 at `path` and writes its header.
  /// - Parameter framesPerSecond: the nominal rate: the encoder's rate control, and how long the
  ///   last picture lasts. Pictures may come at any moments.
  public init(path: String, width: Int, height: Int, channels: Int, framesPerSecond: Double)
    throws(MediaError)
  {
    precondition(channels == 1 || channels == 3)
    precondition(width > 0 && height > 0 && framesPerSecond > 0)
    let ff = try FFmpeg.functions()
    self.ff = ff
    self.path = path
    self.width = width
    self.height = height
    self.channels = channels
    let evenWidth = (width + 1) & ~1
    let evenHeight = (height + 1) & ~1
    frameTicks = max(1, Int64((Double(Self.ticksPerSecond) / framesPerSecond).rounded()))

    var found: UnsafePointer<AVCodec>?
    var name = ""
    for candidate in Self.encoderNames {
      if let codec = ff.avcodec_find_encoder_by_name!(candidate) {
        found = codec
        name = candidate
        break
      }
    }
    guard let codec = found else {
      throw MediaError(
        "avcodec_find_encoder_by_name(\(Self.encoderNames.joined(separator: ", ")))",
        reason: "FFmpeg's libavcodec has no H.264 encoder (install libavcodec59 with libx264)")
    }
    encoderName = name

    var opened: UnsafeMutablePointer<AVFormatContext>?
    let allocated = ff.avformat_alloc_output_context2!(&opened, nil, "mp4", path)
    guard allocated >= 0, let opened else {
      throw MediaError("avformat_alloc_output_context2(\(path))", code: allocated)
    }
    format = opened
    // From here on, a throw leaves `deinit` to free what was made.
    guard let made = ff.avformat_new_stream!(opened, nil) else {
      throw MediaError("avformat_new_stream(\(path))", reason: "out of memory")
    }
    stream = made
    guard let context = ff.avcodec_alloc_context3!(codec) else {
      throw MediaError("avcodec_alloc_context3(\(name))", reason: "out of memory")
    }
    encoder = context
    context.pointee.width = Int32(evenWidth)
    context.pointee.height = Int32(evenHeight)
    context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
    context.pointee.time_base = AVRational(num: 1, den: Self.ticksPerSecond)
    let rate = Int32(max(1, framesPerSecond.rounded()))
    context.pointee.framerate = AVRational(num: rate, den: 1)
    // A keyframe is asked for every second (`append`); this is only the longest gap allowed.
    context.pointee.gop_size = 2 * rate
    context.pointee.max_b_frames = 0
    // One core at most: the recording is a guest on the stitching machine.
    context.pointee.thread_count = 1
    context.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
    if opened.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
      context.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER)
    }
    if name == "libopenh264" { context.pointee.bit_rate = 4_000_000 }
    // superfast: 13 ms of one core per 1280×960 grid here, against 18 for veryfast and 8 for
    // ultrafast (libx264 through the ffmpeg program, the test card's grids): 0.4 of a core at
    // 30 fps on a machine whose cores the cameras and the stitching need. zerolatency: no
    // lookahead, no frame held back, so what was stitched is in the file within a fragment;
    // forced-idr: a keyframe asked for is one a fragment can start at; no scene-cut keyframes,
    // which would start fragments of their own.
    let codecOptions =
      name == "libx264"
      ? ["preset": "superfast", "tune": "zerolatency", "forced-idr": "1", "x264-params": "scenecut=0"] : [:]
    let codecOpened = Self.withDictionary(codecOptions, ff) { ff.avcodec_open2!(context, codec, &$0) }
    guard codecOpened >= 0 else { throw MediaError("avcodec_open2(\(name))", code: codecOpened) }
    let copied = ff.avcodec_parameters_from_context!(made.pointee.codecpar, context)
    guard copied >= 0 else { throw MediaError("avcodec_parameters_from_context(\(name))", code: copied) }
    made.pointee.time_base = context.pointee.time_base

    frame = ff.av_frame_alloc!()
    packet = ff.av_packet_alloc!()
    guard let picture = frame, packet != nil else {
      throw MediaError("av_frame_alloc", reason: "out of memory")
    }
    picture.pointee.format = AV_PIX_FMT_YUV420P.rawValue
    picture.pointee.width = Int32(evenWidth)
    picture.pointee.height = Int32(evenHeight)
    let buffered = ff.av_frame_get_buffer!(picture, 0)
    guard buffered >= 0 else {
      throw MediaError("av_frame_get_buffer(\(evenWidth)×\(evenHeight))", code: buffered)
    }

    let io = ff.avio_open!(&opened.pointee.pb, path, AVIO_FLAG_WRITE)
    guard io >= 0 else { throw MediaError("avio_open(\(path))", code: io) }
    // Every packet's bytes reach the file when it is written: a finished fragment is on disk, not
    // in a buffer a kill would lose.
    opened.pointee.flush_packets = 1
    let muxerOptions = [
      "movflags": "frag_keyframe+empty_moov+default_base_moof", "frag_duration": "1000000",
    ]
    let header = Self.withDictionary(muxerOptions, ff) { ff.avformat_write_header!(opened, &$0) }
    guard header >= 0 else { throw MediaError("avformat_write_header(\(path))", code: header) }
    ff.avio_flush!(opened.pointee.pb)
    if let error = opened.pointee.pb?.pointee.error, error < 0 {
      throw MediaError("avformat_write_header(\(path))", code: error)
    }
  }

  deinit {
    ff.sws_freeContext!(scaler)
    ff.av_frame_free!(&frame)
    ff.av_packet_free!(&packet)
    ff.avcodec_free_context!(&encoder)
    if let format {
      if format.pointee.pb != nil { _ = ff.avio_closep!(&format.pointee.pb) }
      ff.avformat_free_context!(format)
    }
  }

  /// Encodes one picture, `width × height` pixels of `channels` bytes, rows packed, shown at
  /// `seconds` from the recording's start (times that do not increase are moved just past the
  /// last). Writes whatever packets the encoder gives.
  public func append(_ pixels: UnsafeRawBufferPointer, seconds: Double) throws(MediaError) {
    precondition(pixels.count >= width * height * channels)
    guard !finished, let encoder, let frame, let source = pixels.baseAddress else {
      throw MediaError("append(\(path))", reason: "the recording is finished")
    }
    let writable = ff.av_frame_make_writable!(frame)
    guard writable >= 0 else { throw MediaError("av_frame_make_writable", code: writable) }
    try convert(source, into: frame)
    let pts = max(lastPTS + 1, Int64((seconds * Double(Self.ticksPerSecond)).rounded()))
    lastPTS = pts
    frame.pointee.pts = pts
    // A keyframe each second: each starts a fragment (frag_keyframe), so a fragment is a second.
    let second = Int(seconds.rounded(.down))
    if second > keyedSecond {
      keyedSecond = second
      frame.pointee.pict_type = AV_PICTURE_TYPE_I
    } else {
      frame.pointee.pict_type = AV_PICTURE_TYPE_NONE
    }
    let sent = ff.avcodec_send_frame!(encoder, frame)
    guard sent >= 0 else { throw MediaError("avcodec_send_frame(\(encoderName))", code: sent) }
    try writePackets()
  }

  /// Flushes the encoder, writes the trailer and closes the file. Once; later calls do nothing.
  public func finish() throws(MediaError) {
    guard !finished, let encoder, let format else { return }
    finished = true
    let sent = ff.avcodec_send_frame!(encoder, nil)
    guard sent >= 0 || sent == gs_averror_eof() else {
      throw MediaError("avcodec_send_frame(\(encoderName), end)", code: sent)
    }
    try writePackets()
    let trailer = ff.av_write_trailer!(format)
    guard trailer >= 0 else { throw MediaError("av_write_trailer(\(path))", code: trailer) }
    let closed = ff.avio_closep!(&format.pointee.pb)
    guard closed >= 0 else { throw MediaError("avio_closep(\(path))", code: closed) }
  }

  /// Every packet the encoder has ready, into the file.
  private func writePackets() throws(MediaError) {
    guard let encoder, let packet, let format, let stream else { return }
    while true {
      let received = ff.avcodec_receive_packet!(encoder, packet)
      if received == gs_averror_eagain() || received == gs_averror_eof() { return }
      guard received >= 0 else { throw MediaError("avcodec_receive_packet(\(encoderName))", code: received) }
      if packet.pointee.duration == 0 { packet.pointee.duration = frameTicks }
      ff.av_packet_rescale_ts!(packet, encoder.pointee.time_base, stream.pointee.time_base)
      packet.pointee.stream_index = stream.pointee.index
      // It takes the packet's data and leaves it blank.
      let written = ff.av_interleaved_write_frame!(format, packet)
      guard written >= 0 else { throw MediaError("av_interleaved_write_frame(\(path))", code: written) }
      framesWritten += 1
    }
  }

  /// Grey or RGB into the frame's yuv420p planes (swscale), the odd row and column repeated.
  private func convert(_ source: UnsafeRawPointer, into frame: UnsafeMutablePointer<AVFrame>)
    throws(MediaError)
  {
    let input = channels == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24
    scaler = ff.sws_getCachedContext!(
      scaler, Int32(width), Int32(height), input, Int32(width), Int32(height), AV_PIX_FMT_YUV420P,
      SWS_BILINEAR, nil, nil, nil)
    guard let scaler else {
      throw MediaError("sws_getCachedContext(\(path))", reason: "unsupported conversion")
    }
    var sourcePlanes: [UnsafePointer<UInt8>?] = [source.assumingMemoryBound(to: UInt8.self), nil, nil, nil]
    var sourceStrides: [Int32] = [Int32(width * channels), 0, 0, 0]
    let rows = withUnsafeMutablePointer(to: &frame.pointee.data) { data in
      withUnsafeMutablePointer(to: &frame.pointee.linesize) { linesize in
        data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { planes in
          linesize.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
            ff.sws_scale!(scaler, &sourcePlanes, &sourceStrides, 0, Int32(height), planes, strides)
          }
        }
      }
    }
    guard rows == Int32(height) else { throw MediaError("sws_scale(\(path))", code: rows < 0 ? rows : 0) }
    // The luma plane's odd column and row; chroma already covers them (it rounds up).
    guard width & 1 == 1 || height & 1 == 1, let luma = frame.pointee.data.0 else { return }
    let stride = Int(frame.pointee.linesize.0)
    if width & 1 == 1 {
      for row in 0..<height { luma[row * stride + width] = luma[row * stride + width - 1] }
    }
    if height & 1 == 1 {
      (luma + height * stride).update(from: luma + (height - 1) * stride, count: (width + 1) & ~1)
    }
  }

  /// Lends FFmpeg a dictionary of `options` for one call, and frees what it leaves.
  private static func withDictionary(
    _ options: [String: String], _ ff: gs_ffmpeg_table, _ body: (inout OpaquePointer?) -> Int32
  ) -> Int32 {
    var dictionary: OpaquePointer?
    for (key, value) in options { _ = ff.av_dict_set!(&dictionary, key, value, 0) }
    defer { ff.av_dict_free!(&dictionary) }
    return body(&dictionary)
  }
}
