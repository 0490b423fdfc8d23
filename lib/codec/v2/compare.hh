// Byte comparisons of the encoder's matcher, 16 bytes at a time with SSE2
// (the x86-64 baseline): how far two spans agree, and how many bytes agree
// at the same offsets. Plain references in tests/unit/codec/v2_compare_test.cc.
#pragma once

#include <emmintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace deltaplane::codec::v2 {

// How many bytes a and b agree on from their start, up to n: 16 at a time
// (SSE2), then 8, then 1.
inline uint32_t match_length(const uint8_t* a, const uint8_t* b, uint32_t n) noexcept {
  uint32_t i = 0;
  while (i + 16 <= n) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i));
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
    const unsigned ne = ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y))) & 0xffff;
    if (ne) return i + static_cast<uint32_t>(__builtin_ctz(ne));
    i += 16;
  }
  while (i + 8 <= n) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    if (x != y) return i + static_cast<uint32_t>(__builtin_ctzll(x ^ y) / 8);
    i += 8;
  }
  while (i < n && a[i] == b[i])
    ++i;
  return i;
}

// Bytes equal at the same offsets of a and b, over n: 16 at a time (SSE2,
// the x86-64 baseline). Each lane counts its equal bytes (a compare gives
// -1 per equal byte); the lanes are summed before a count could pass 255.
inline uint32_t equal_bytes(const uint8_t* a, const uint8_t* b, uint32_t n) noexcept {
  const __m128i zero = _mm_setzero_si128();
  uint32_t eq = 0, i = 0;
  while (i + 16 <= n) {
    __m128i lanes = zero;
    const uint32_t stop = std::min(n - 15, i + 255 * 16);
    for (; i < stop; i += 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i));
      const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
      lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(x, y));
    }
    const __m128i sums = _mm_sad_epu8(lanes, zero);  // two 64-bit sums of 8 lanes
    eq += static_cast<uint32_t>(_mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4));
  }
  for (; i < n; ++i)
    eq += a[i] == b[i];
  return eq;
}

}  // namespace deltaplane::codec::v2
