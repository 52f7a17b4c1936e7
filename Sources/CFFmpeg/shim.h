// FFmpeg's libraries (Debian 12: FFmpeg 5.1; libavformat-dev, libavcodec-dev, libswscale-dev,
// libavutil-dev): demuxing, decoding and scaling for cameras that film a source, and encoding
// (libx264, or OpenH264) and muxing for a run's recording. They are not linked: a process loads
// them (dlopen) the first time a camera films a source or a run records, so every other
// gridstitch process (the test card's cameras, a spawned camera above all) maps none of
// libavcodec's hundred libraries and their relocations. What is called goes through one table of
// the functions, typed from the headers (`gs_ffmpeg_table`). Also here, what Swift cannot call:
// the error codes FFmpeg builds with function-like macros, and a file read from memory.
#ifndef CFFMPEG_SHIM_H
#define CFFMPEG_SHIM_H

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
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

#define GS_FFMPEG_STRING(x) #x
#define GS_FFMPEG_SONAME(library, major) "lib" library ".so." GS_FFMPEG_STRING(major)

/// Every FFmpeg function gridstitch calls.
#define GS_FFMPEG_FUNCTIONS(X)                                                                     \
  X(av_dict_free) X(av_dict_set) X(av_find_best_stream) X(av_frame_alloc) X(av_frame_free)         \
  X(av_free) X(av_freep) X(av_log_set_level) X(av_malloc) X(av_packet_alloc) X(av_packet_free)      \
  X(av_packet_unref) X(av_read_frame) X(av_seek_frame) X(av_strerror) X(avcodec_alloc_context3)     \
  X(avcodec_flush_buffers) X(avcodec_free_context) X(avcodec_open2) X(avcodec_parameters_to_context) \
  X(avcodec_receive_frame) X(avcodec_send_packet) X(avformat_alloc_context) X(avformat_close_input)  \
  X(avformat_find_stream_info) X(avformat_open_input) X(avio_alloc_context) X(avio_context_free)     \
  X(sws_freeContext) X(sws_getCachedContext) X(sws_scale)                                          \
  X(av_frame_get_buffer) X(av_frame_make_writable) X(av_interleaved_write_frame)                    \
  X(av_packet_rescale_ts) X(av_write_trailer) X(avcodec_find_encoder_by_name)                       \
  X(avcodec_parameters_from_context) X(avcodec_receive_packet) X(avcodec_send_frame)                \
  X(avformat_alloc_output_context2) X(avformat_free_context) X(avformat_new_stream)                 \
  X(avformat_write_header) X(avio_closep) X(avio_flush) X(avio_open) X(av_find_input_format)        \
  X(av_frame_unref) X(av_frame_move_ref)

/// The functions, each typed as its header declares it.
typedef struct {
#define GS_FFMPEG_FIELD(name) __typeof__(&name) name;
  GS_FFMPEG_FUNCTIONS(GS_FFMPEG_FIELD)
#undef GS_FFMPEG_FIELD
} gs_ffmpeg_table;

/// Loads FFmpeg's four libraries (the sonames of the headers built against) and fills `table`.
/// 0, or -1 with the reason in `error`. The libraries stay loaded for the process's life.
static inline int gs_ffmpeg_load(gs_ffmpeg_table *table, char *error, size_t size) {
  const char *names[4] = {
      GS_FFMPEG_SONAME("avutil", LIBAVUTIL_VERSION_MAJOR),
      GS_FFMPEG_SONAME("swscale", LIBSWSCALE_VERSION_MAJOR),
      GS_FFMPEG_SONAME("avcodec", LIBAVCODEC_VERSION_MAJOR),
      GS_FFMPEG_SONAME("avformat", LIBAVFORMAT_VERSION_MAJOR),
  };
  void *handles[4];
  for (int index = 0; index < 4; index++) {
    handles[index] = dlopen(names[index], RTLD_NOW | RTLD_LOCAL);
    if (!handles[index]) {
      const char *why = dlerror();
      snprintf(error, size, "dlopen(%s): %s", names[index], why ? why : "failed");
      return -1;
    }
  }
#define GS_FFMPEG_RESOLVE(name)                                                                    \
  {                                                                                                \
    void *symbol = NULL;                                                                           \
    for (int index = 0; index < 4 && !symbol; index++) symbol = dlsym(handles[index], #name);      \
    if (!symbol) {                                                                                 \
      snprintf(error, size, "dlsym(%s): not found in FFmpeg's libraries", #name);                  \
      return -1;                                                                                   \
    }                                                                                              \
    table->name = (__typeof__(&name))symbol;                                                       \
  }
  GS_FFMPEG_FUNCTIONS(GS_FFMPEG_RESOLVE)
#undef GS_FFMPEG_RESOLVE
  return 0;
}

/// libavdevice (`v4l2:/dev/videoN`), loaded only by a camera that films a device: it pulls in
/// libraries of its own (ALSA, SDL, X11's) that no other camera needs. Registers its input formats
/// with libavformat. 0, or -1 with the reason in `error`.
static inline int gs_avdevice_load(char *error, size_t size) {
  const char *name = GS_FFMPEG_SONAME("avdevice", LIBAVDEVICE_VERSION_MAJOR);
  void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    snprintf(error, size, "dlopen(%s): %s", name, why ? why : "failed");
    return -1;
  }
  void (*register_all)(void) = (__typeof__(&avdevice_register_all))dlsym(handle, "avdevice_register_all");
  if (!register_all) {
    snprintf(error, size, "dlsym(avdevice_register_all): not found in %s", name);
    return -1;
  }
  register_all();
  return 0;
}

/// When FFmpeg's blocking calls on a source give up (`AVIOInterruptCB`): past a deadline on the
/// monotonic clock (0: none), or once stopped. Another thread may set either at any time, so both
/// are read and written atomically, only through the functions below.
typedef struct {
  int64_t deadline_nanos;
  int32_t stopped;
} gs_interrupt;

static inline int64_t gs_monotonic_nanos(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/// FFmpeg calls it while it waits on the network: non-zero ends the wait (AVERROR_EXIT).
static inline int gs_interrupt_due(void *opaque) {
  gs_interrupt *interrupt = (gs_interrupt *)opaque;
  if (__atomic_load_n(&interrupt->stopped, __ATOMIC_ACQUIRE)) return 1;
  int64_t deadline = __atomic_load_n(&interrupt->deadline_nanos, __ATOMIC_ACQUIRE);
  return deadline > 0 && gs_monotonic_nanos() > deadline;
}

/// Makes `context`'s blocking calls ask `interrupt`, which must outlive it.
static inline void gs_interrupt_install(AVFormatContext *context, gs_interrupt *interrupt) {
  context->interrupt_callback.callback = gs_interrupt_due;
  context->interrupt_callback.opaque = interrupt;
}

/// Blocking calls give up `nanos` from now (0: never, unless stopped).
static inline void gs_interrupt_arm(gs_interrupt *interrupt, int64_t nanos) {
  __atomic_store_n(&interrupt->deadline_nanos, nanos > 0 ? gs_monotonic_nanos() + nanos : 0, __ATOMIC_RELEASE);
}

/// Every blocking call gives up at once, from now on.
static inline void gs_interrupt_stop(gs_interrupt *interrupt) {
  __atomic_store_n(&interrupt->stopped, 1, __ATOMIC_RELEASE);
}

static inline int gs_interrupt_is_stopped(gs_interrupt *interrupt) {
  return __atomic_load_n(&interrupt->stopped, __ATOMIC_ACQUIRE);
}

/// AVERROR_EXIT: a blocking call the interrupt callback ended.
static inline int gs_averror_exit(void) { return AVERROR_EXIT; }

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
static inline AVIOContext *gs_memory_avio(const gs_ffmpeg_table *ff, gs_memory_source *source) {
  const int size = 4096;
  unsigned char *buffer = (unsigned char *)ff->av_malloc(size);
  if (!buffer) return NULL;
  AVIOContext *io = ff->avio_alloc_context(buffer, size, 0, source, gs_memory_read, NULL, gs_memory_seek);
  if (!io) ff->av_free(buffer);
  return io;
}

static inline void gs_memory_avio_free(const gs_ffmpeg_table *ff, AVIOContext **io) {
  if (*io) {
    ff->av_freep(&(*io)->buffer);
    ff->avio_context_free(io);
  }
}

#endif
