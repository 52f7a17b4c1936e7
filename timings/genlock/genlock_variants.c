// What separates gridstitch's genlocked capture from the machine's floor
// (../shared/tools/genlock_floor.c), one difference at a time. 16 forked "cameras" sleep to the
// same absolute deadlines every 1000 us, stamp their wake and copy one 320x240 grey frame, as the
// floor does; the options add what a gridstitch camera and consumer do, one at a time:
//   scene     the copy is a camera's render: 240 rows of 320 bytes from a 2048x1536 scene in
//             shared memory, panning 3 px right and 1 down a frame (the floor copies one
//             contiguous private buffer, hot in cache)
//   slack     PR_SET_TIMERSLACK 1 ns, as a genlocked gridstitch camera sets it
//   each      a consumer process that sleeps on a futex and is woken by any frame it waits for,
//             and copies every frame into a 1280x960 canvas (gridstitch's consumer, one frame at
//             a time)
//   last      the same consumer, woken only by the frame that completes a grid
//   yield     each camera yields its core right after the stamp (capture first, copy after)
//   pin       camera c runs only on core c mod (online cores): as many cameras on every core
//   reads     (with last) the consumer only reads each frame, one load a cache line
//   writes    (with last) the consumer writes its canvas from bytes of its own, not the frames
//   stream    the cameras' copy uses non-temporal stores (x86-64): no line is fetched first
// Prints capture spread (last wake - first wake per trigger) and the last wake after the trigger,
// p50 and p99 in microseconds, as the floor prints them.
// build: cc -O2 -o genlock_variants genlock_variants.c
// usage: genlock_variants TRIGGERS [scene] [slack] [each|last] [yield] [pin] [reads|writes] [stream]
#define _GNU_SOURCE
#include <emmintrin.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { CAMERAS = 16, WIDTH = 320, HEIGHT = 240, SCENE_W = 2048, SCENE_H = 1536 };
static const long long period = 1000000;

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}
static int cmp(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}
static void *shared(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); exit(1); }
  return p;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s TRIGGERS [scene] [slack] [each|last] [yield] [pin] [reads|writes] [stream]\n", argv[0]);
    return 2;
  }
  int k = atoi(argv[1]), scene = 0, slack = 0, each = 0, last = 0, yield = 0, pin = 0, reads = 0, writes = 0, stream = 0;
  for (int a = 2; a < argc; a++) {
    if (!strcmp(argv[a], "scene")) scene = 1;
    else if (!strcmp(argv[a], "slack")) slack = 1;
    else if (!strcmp(argv[a], "each")) each = 1;
    else if (!strcmp(argv[a], "last")) last = 1;
    else if (!strcmp(argv[a], "yield")) yield = 1;
    else if (!strcmp(argv[a], "pin")) pin = 1;
    else if (!strcmp(argv[a], "reads")) reads = 1;
    else if (!strcmp(argv[a], "writes")) writes = 1;
    else if (!strcmp(argv[a], "stream")) stream = 1;
    else { fprintf(stderr, "unknown option %s\n", argv[a]); return 2; }
  }
  if (k < 100 || (each && last) || ((reads || writes) && !last) || (reads && writes)) {
    fprintf(stderr, "TRIGGERS >= 100; each or last, not both; reads or writes only with last, not both\n");
    return 2;
  }
  const int n = CAMERAS;
  const size_t bytes = WIDTH * HEIGHT;
  long long *wake = shared(sizeof(long long) * n * k);
  unsigned char *pixels = shared(SCENE_W * SCENE_H);
  memset(pixels, 7, SCENE_W * SCENE_H);
  unsigned char *frames = shared(bytes * n * 2);  // two slots a camera
  _Atomic unsigned *published = shared(4096), *asleep = published + 16;
  int consumer = each || last;
  long long t0 = now_ns() + 80000000LL;  // 80 ms for every process to be forked and waiting
  for (int c = 0; c < n; c++) {
    if (fork() != 0) continue;
    if (slack) prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
    if (pin) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(c % sysconf(_SC_NPROCESSORS_ONLN), &one);
      sched_setaffinity(0, sizeof one, &one);
    }
    unsigned char *src = malloc(bytes), *dst = malloc(bytes);
    memset(src, c, bytes);
    for (int i = 0; i < k; i++) {
      long long t = t0 + i * period;
      struct timespec ts = {t / 1000000000LL, t % 1000000000LL};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
      wake[i * n + c] = now_ns();
      if (yield) sched_yield();
      unsigned char *d = consumer ? frames + bytes * (c + n * (i & 1)) : dst;
      if (scene) {
        size_t x0 = (c * 97 + i * 3) % (SCENE_W - WIDTH), y0 = (c * 61 + i) % (SCENE_H - HEIGHT);
        for (size_t y = 0; y < HEIGHT; y++) {
          unsigned char *to = d + y * WIDTH;
          const unsigned char *from = pixels + (y0 + y) * SCENE_W + x0;
          if (!stream) {
            memcpy(to, from, WIDTH);
            continue;
          }
          for (int j = 0; j < WIDTH; j += 16)  // rows of 320 bytes, 16-byte aligned
            _mm_stream_si128((__m128i *)(to + j), _mm_loadu_si128((const __m128i *)(from + j)));
        }
        if (stream) _mm_sfence();
      } else {
        memcpy(d, src, bytes);
        src[0] ^= d[1];
      }
      unsigned v = atomic_fetch_add(published, 1) + 1;
      if ((each || (last && v % n == 0)) && atomic_load(asleep))
        syscall(SYS_futex, published, FUTEX_WAKE, 1, NULL, NULL, 0);
    }
    _exit(0);
  }
  if (consumer && fork() == 0) {
    unsigned char *canvas = malloc(bytes * n), *own = malloc(bytes);
    memset(own, 3, bytes);
    volatile unsigned long long sink = 0;
    unsigned copied = 0;
    for (int i = 0; i < k; i++) {
      unsigned complete = (unsigned)(i + 1) * n;
      for (;;) {
        unsigned v = atomic_load(published);
        for (; each && copied < v && copied < complete; copied++)
          memcpy(canvas + bytes * (copied % n), frames + bytes * (copied % n + n * (i & 1)), bytes);
        if (v >= complete) break;
        atomic_store(asleep, 1);
        v = atomic_load(published);
        if (v < complete) syscall(SYS_futex, published, FUTEX_WAIT, v, NULL, NULL, 0);
        atomic_store(asleep, 0);
      }
      for (int c = 0; last && c < n; c++) {
        const unsigned char *frame = frames + bytes * (c + n * (i & 1));
        if (reads)
          for (size_t j = 0; j < bytes; j += 64) sink += frame[j];
        else
          memcpy(canvas + bytes * c, writes ? own : frame, bytes);
      }
      copied = complete;
    }
    _exit(0);
  }
  while (wait(NULL) > 0) {}
  long long *spread = malloc(sizeof(long long) * k), *late = malloc(sizeof(long long) * k);
  for (int i = 0; i < k; i++) {
    long long lo = wake[i * n], hi = lo;
    for (int c = 1; c < n; c++) {
      long long w = wake[i * n + c];
      if (w < lo) lo = w;
      if (w > hi) hi = w;
    }
    spread[i] = hi - lo;
    late[i] = hi - (t0 + i * period);
  }
  qsort(spread, k, sizeof(long long), cmp);
  qsort(late, k, sizeof(long long), cmp);
  printf("variant%s%s%s%s%s%s%s%s%s: spread p50 %.1f p99 %.1f us; last wake after trigger p50 %.1f p99 %.1f us\n",
         scene ? " scene" : "", slack ? " slack" : "", each ? " each" : "", last ? " last" : "",
         yield ? " yield" : "", pin ? " pin" : "", reads ? " reads" : "", writes ? " writes" : "",
         stream ? " stream" : "", spread[k / 2] / 1e3, spread[k * 99 / 100] / 1e3, late[k / 2] / 1e3,
         late[k * 99 / 100] / 1e3);
  return 0;
}
