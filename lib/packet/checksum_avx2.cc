// AVX2 ones'-complement sum: 64 bytes per iteration, 16-bit words widened into
// 32-bit lanes. Compiled with -mavx2; only reached after a CPU check.
#include <immintrin.h>

#include "packet/checksum.hh"
#include "packet/detail/kernels.hh"

namespace deltaplane::packet::detail {

uint32_t raw_sum_avx2(const void* data, size_t len, uint32_t initial) noexcept {
  const auto* p = static_cast<const uint8_t*>(data);
  const __m256i lo16 = _mm256_set1_epi32(0xffff);
  uint64_t total = initial;
  while (len >= 64) {
    // Each lane gains at most 4 * 0xffff per iteration: flush well before 2^32.
    size_t iters = len / 64;
    if (iters > 8192) iters = 8192;
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
    for (size_t i = 0; i < iters; ++i) {
      const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
      a0 = _mm256_add_epi32(a0, _mm256_and_si256(v0, lo16));
      a1 = _mm256_add_epi32(a1, _mm256_srli_epi32(v0, 16));
      a0 = _mm256_add_epi32(a0, _mm256_and_si256(v1, lo16));
      a1 = _mm256_add_epi32(a1, _mm256_srli_epi32(v1, 16));
      p += 64;
    }
    len -= iters * 64;
    // Widen the 8+8 lanes to 64 bits and reduce.
    const __m256i s =
        _mm256_add_epi64(_mm256_add_epi64(_mm256_cvtepu32_epi64(_mm256_castsi256_si128(a0)),
                                          _mm256_cvtepu32_epi64(_mm256_extracti128_si256(a0, 1))),
                         _mm256_add_epi64(_mm256_cvtepu32_epi64(_mm256_castsi256_si128(a1)),
                                          _mm256_cvtepu32_epi64(_mm256_extracti128_si256(a1, 1))));
    const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    total += static_cast<uint64_t>(_mm_cvtsi128_si64(h)) +
             static_cast<uint64_t>(_mm_extract_epi64(h, 1));
  }
  return raw_sum_scalar(p, len, checksum_fold(total));
}

}  // namespace deltaplane::packet::detail
