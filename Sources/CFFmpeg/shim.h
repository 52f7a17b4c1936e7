// FFmpeg's libraries (Debian 12: FFmpeg 5.1; libavformat-dev, libavcodec-dev, libswscale-dev,
// libavutil-dev): demuxing, decoding and scaling. Only what Swift cannot call is here: the error
// codes FFmpeg builds with function-like macros, and av_strerror into a Swift-owned buffer.
#ifndef CFFMPEG_SHIM_H
#define CFFMPEG_SHIM_H

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>

/// AVERROR(EAGAIN): the decoder wants another packet before it gives a frame.
static inline int gs_averror_eagain(void) { return AVERROR(EAGAIN); }
/// AVERROR_EOF: the end of the file, or of the decoder's frames after a flush.
static inline int gs_averror_eof(void) { return AVERROR_EOF; }
/// AVERROR_INVALIDDATA: a packet the decoder could not make sense of.
static inline int gs_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
/// AV_NOPTS_VALUE, a 64-bit constant Swift cannot import.
static inline int64_t gs_av_nopts_value(void) { return AV_NOPTS_VALUE; }
/// AV_TIME_BASE, FFmpeg's internal time base (microseconds).
static inline int gs_av_time_base(void) { return AV_TIME_BASE; }

#endif
