#ifndef GRIDSTITCH_CCHECKSUM_H
#define GRIDSTITCH_CCHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/// XXH3-64's long-input loop (every stripe, a scramble after each 1 KiB block, the last stripe)
/// over a 192-byte secret, in AVX2: four 64-bit lanes per instruction where Swift's portable
/// code gets two (x86-64's baseline is SSE2). `acc` holds the eight accumulators, in and out.
/// Returns 1 when done; 0, leaving `acc` untouched, on a CPU or OS without AVX2 (and on any
/// other architecture), and the caller then runs its own loop. No libc call.
int gs_xxh3_accumulate_avx2(uint64_t acc[8], const uint8_t *input, size_t length, const uint8_t *secret);

#endif
