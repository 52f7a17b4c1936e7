// FFmpeg's libraries (Debian 12: FFmpeg 5.1; libavformat-dev, libavcodec-dev, libswscale-dev,
// libavutil-dev): demuxing, decoding and scaling. Only what Swift cannot call is here: the error
// codes FFmpeg builds with function-like macros, and av_strerror into a Swift-owned buffer.
#ifndef CFFMPEG_SHIM_H
#define CFFMPEG_SHIM_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
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

/// Bytes in memory read as a file (`gs_memory_avio`): a fuzz target's input, or a test's.
typedef struct {
  const uint8_t *bytes;
  int64_t count;
  int64_t position;
} gs_memory_source;

static inline int gs_memory_read(void *opaque, uint8_t *buffer, int size) {
  gs_memory_source *source = (gs_memory_source *)opaque;
  int64_t left = source->count - source->position;
  if (left <= 0 || size <= 0) return AVERROR_EOF;
  int taken = (int64_t)size < left ? size : (int)left;
  memcpy(buffer, source->bytes + source->position, (size_t)taken);
  source->position += taken;
  return taken;
}

static inline int64_t gs_memory_seek(void *opaque, int64_t offset, int whence) {
  gs_memory_source *source = (gs_memory_source *)opaque;
  if (whence & AVSEEK_SIZE) return source->count;
  int64_t base;
  switch (whence & ~AVSEEK_FORCE) {
  case SEEK_SET: base = 0; break;
  case SEEK_CUR: base = source->position; break;
  case SEEK_END: base = source->count; break;
  default: return AVERROR(EINVAL);
  }
  if (offset < -base || offset > source->count - base) return AVERROR(EINVAL);
  source->position = base + offset;
  return source->position;
}

/// A reading AVIOContext over `source`, which must outlive it; its buffer is its own. Freed by
/// `gs_memory_avio_free`.
static inline AVIOContext *gs_memory_avio(gs_memory_source *source) {
  const int size = 4096;
  unsigned char *buffer = (unsigned char *)av_malloc(size);
  if (!buffer) return NULL;
  AVIOContext *io = avio_alloc_context(buffer, size, 0, source, gs_memory_read, NULL, gs_memory_seek);
  if (!io) av_free(buffer);
  return io;
}

static inline void gs_memory_avio_free(AVIOContext **io) {
  if (*io) {
    av_freep(&(*io)->buffer);
    avio_context_free(io);
  }
}

#endif
