#include "CChecksum.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

/// AVX2 usable: the CPU has it and the OS saves the YMM registers (CPUID, XGETBV).
static int avx2_usable(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  if (!(c & bit_OSXSAVE) || !(c & bit_AVX)) return 0;
  unsigned low, high;
  __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  if ((low & 6) != 6) return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b & bit_AVX2) != 0;
}

/// -1 unknown, 0 no, 1 yes; every thread computes the same answer, so a race is harmless.
static int avx2_state = -1;

/// XXH3_accumulate_512: acc[i ^ 1] += data[i]; acc[i] += lo32(data ^ key) × hi32(data ^ key).
__attribute__((target("avx2"))) static inline void stripe(__m256i acc[2], const uint8_t *input,
                                                          const uint8_t *key) {
  for (int half = 0; half < 2; half++) {
    __m256i data = _mm256_loadu_si256((const __m256i *)(input + 32 * half));
    __m256i keyed = _mm256_xor_si256(data, _mm256_loadu_si256((const __m256i *)(key + 32 * half)));
    __m256i product = _mm256_mul_epu32(keyed, _mm256_srli_epi64(keyed, 32));
    __m256i swapped = _mm256_shuffle_epi32(data, _MM_SHUFFLE(1, 0, 3, 2));
    acc[half] = _mm256_add_epi64(acc[half], _mm256_add_epi64(product, swapped));
  }
}

/// XXH3_scrambleAcc: acc = (acc ^ (acc >> 47) ^ key) × PRIME32_1.
__attribute__((target("avx2"))) static inline void scramble(__m256i acc[2], const uint8_t *key) {
  const __m256i prime = _mm256_set1_epi32((int)0x9E3779B1u);
  for (int half = 0; half < 2; half++) {
    __m256i value = _mm256_xor_si256(acc[half], _mm256_srli_epi64(acc[half], 47));
    value = _mm256_xor_si256(value, _mm256_loadu_si256((const __m256i *)(key + 32 * half)));
    __m256i low = _mm256_mul_epu32(value, prime);
    __m256i high = _mm256_mul_epu32(_mm256_srli_epi64(value, 32), prime);
    acc[half] = _mm256_add_epi64(low, _mm256_slli_epi64(high, 32));
  }
}

__attribute__((target("avx2"))) static void accumulate(uint64_t out[8], const uint8_t *input,
                                                       size_t length, const uint8_t *secret) {
  enum { stripeBytes = 64, stripesPerBlock = (192 - 64) / 8, blockBytes = 64 * stripesPerBlock };
  __m256i acc[2] = {_mm256_loadu_si256((const __m256i *)out),
                    _mm256_loadu_si256((const __m256i *)(out + 4))};
  size_t blocks = (length - 1) / blockBytes;
  for (size_t block = 0; block < blocks; block++) {
    const uint8_t *start = input + block * blockBytes;
    for (size_t n = 0; n < stripesPerBlock; n++) stripe(acc, start + n * stripeBytes, secret + 8 * n);
    scramble(acc, secret + 192 - 64);
  }
  const uint8_t *start = input + blocks * blockBytes;
  size_t stripes = ((length - 1) - blocks * blockBytes) / stripeBytes;
  for (size_t n = 0; n < stripes; n++) stripe(acc, start + n * stripeBytes, secret + 8 * n);
  stripe(acc, input + length - stripeBytes, secret + 192 - 64 - 7);
  _mm256_storeu_si256((__m256i *)out, acc[0]);
  _mm256_storeu_si256((__m256i *)(out + 4), acc[1]);
}

int gs_xxh3_accumulate_avx2(uint64_t acc[8], const uint8_t *input, size_t length, const uint8_t *secret) {
  int state = __atomic_load_n(&avx2_state, __ATOMIC_RELAXED);
  if (state < 0) {
    state = avx2_usable();
    __atomic_store_n(&avx2_state, state, __ATOMIC_RELAXED);
  }
  if (!state || length <= 240) return 0;
  accumulate(acc, input, length, secret);
  return 1;
}

#else

int gs_xxh3_accumulate_avx2(uint64_t acc[8], const uint8_t *input, size_t length, const uint8_t *secret) {
  (void)acc;
  (void)input;
  (void)length;
  (void)secret;
  return 0;
}

#endif
