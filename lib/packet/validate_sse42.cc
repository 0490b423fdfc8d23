// SSE4.2 burst validation: the AVX2 algorithm (see validate_avx2.cc) on 4
// frames per step with 128-bit vectors. Compiled with -msse4.2; only reached
// through the dispatcher after a CPU check.
#include <immintrin.h>

#include "packet/detail/fast_path.hh"
#include "packet/detail/kernels.hh"

namespace deltaplane::packet::detail {
namespace {

constexpr int kLanes = 4;
constexpr uint32_t kRowOffset = 12;
constexpr uint32_t kRowMinLen = kRowOffset + 32;

inline __m128i set1(uint32_t v) noexcept {
  return _mm_set1_epi32(static_cast<int>(v));
}

// 4x4 transpose of 32-bit words.
inline void transpose4(const __m128i r[4], __m128i c[4]) noexcept {
  const __m128i t0 = _mm_unpacklo_epi32(r[0], r[1]), t1 = _mm_unpackhi_epi32(r[0], r[1]);
  const __m128i t2 = _mm_unpacklo_epi32(r[2], r[3]), t3 = _mm_unpackhi_epi32(r[2], r[3]);
  c[0] = _mm_unpacklo_epi64(t0, t2);
  c[1] = _mm_unpackhi_epi64(t0, t2);
  c[2] = _mm_unpacklo_epi64(t1, t3);
  c[3] = _mm_unpackhi_epi64(t1, t3);
}

inline __m128i lo16(__m128i v) noexcept {
  return _mm_and_si128(v, set1(0xffff));
}
inline __m128i hi16(__m128i v) noexcept {
  return _mm_srli_epi32(v, 16);
}
inline __m128i be16_lo(__m128i v) noexcept {
  return _mm_or_si128(_mm_slli_epi32(_mm_and_si128(v, set1(0xff)), 8),
                      _mm_and_si128(_mm_srli_epi32(v, 8), set1(0xff)));
}

}  // namespace

void validate_burst_sse42(const uint8_t* const* data, const uint32_t* len, uint16_t n,
                          const Options& opt, Verdict* out_verdicts, Parsed* out_parsed) noexcept {
  const int count = n;
  Parsed scratch;  // verdict-only callers pass no Parsed array
  const __m128i zero = _mm_setzero_si128();
  const __m128i ttl_check = opt.drop_ttl_zero ? set1(~0u) : zero;
  const __m128i csum_check = opt.verify_ipv4_checksum ? set1(~0u) : zero;
  for (int i = 0; i < count && i < kLanes; ++i)
    _mm_prefetch(data[i], _MM_HINT_T0);

  int i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    const int pf_end = i + 2 * kLanes < count ? i + 2 * kLanes : count;
    for (int j = i + kLanes; j < pf_end; ++j)
      _mm_prefetch(data[j], _MM_HINT_T0);

    __m128i a[kLanes], b[kLanes], c[kLanes], e[kLanes];
    for (int k = 0; k < kLanes; ++k) {
      const uint8_t* row = data[i + k] + kRowOffset;
      const bool big = len[i + k] >= kRowMinLen;
      a[k] = big ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(row)) : zero;
      b[k] = big ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16)) : zero;
    }
    transpose4(a, c);  // words 0..3 (bytes 12..27)
    transpose4(b, e);  // words 4..7 (bytes 28..43)
    const __m128i lens = _mm_loadu_si128(reinterpret_cast<const __m128i*>(len + i));

    const __m128i is_v4 = _mm_cmpeq_epi32(_mm_and_si128(c[0], set1(0x00ffffff)), set1(0x00450008));
    const __m128i total = be16_lo(c[1]);
    const __m128i ip_room = _mm_sub_epi32(lens, set1(kEthHeaderLen));
    const __m128i total_ok =
        _mm_andnot_si128(_mm_cmpgt_epi32(total, ip_room), _mm_cmpgt_epi32(total, set1(19)));
    const __m128i unfragmented = _mm_cmpeq_epi32(_mm_and_si128(c[2], set1(0xffbf)), zero);
    const __m128i ttl_bad =
        _mm_and_si128(_mm_cmpeq_epi32(_mm_and_si128(c[2], set1(0x00ff0000)), zero), ttl_check);
    const __m128i proto4 = _mm_srli_epi32(c[2], 24);
    const __m128i tcp_udp4 = _mm_or_si128(_mm_cmpeq_epi32(proto4, set1(kProtoTcp)),
                                          _mm_cmpeq_epi32(proto4, set1(kProtoUdp)));
    __m128i sum = _mm_add_epi32(hi16(c[0]), lo16(e[1]));
    sum = _mm_add_epi32(sum, _mm_add_epi32(lo16(c[1]), hi16(c[1])));
    sum = _mm_add_epi32(sum, _mm_add_epi32(lo16(c[2]), hi16(c[2])));
    sum = _mm_add_epi32(sum, _mm_add_epi32(lo16(c[3]), hi16(c[3])));
    sum = _mm_add_epi32(sum, _mm_add_epi32(lo16(e[0]), hi16(e[0])));
    sum = _mm_add_epi32(lo16(sum), hi16(sum));
    sum = _mm_add_epi32(lo16(sum), hi16(sum));
    const __m128i csum_bad = _mm_andnot_si128(_mm_cmpeq_epi32(sum, set1(0xffff)), csum_check);
    const __m128i ok4 = _mm_andnot_si128(
        _mm_or_si128(ttl_bad, csum_bad),
        _mm_and_si128(_mm_and_si128(is_v4, total_ok), _mm_and_si128(unfragmented, tcp_udp4)));

    const __m128i is_v6 = _mm_cmpeq_epi32(_mm_and_si128(c[0], set1(0x00f0ffff)), set1(0x0060dd86));
    const __m128i payload = be16_lo(hi16(c[1]));
    const __m128i payload_ok =
        _mm_andnot_si128(_mm_cmpgt_epi32(payload, _mm_sub_epi32(lens, set1(kIpv6L4Off))), is_v6);
    const __m128i nh = _mm_and_si128(c[2], set1(0xff));
    const __m128i tcp_udp6 =
        _mm_or_si128(_mm_cmpeq_epi32(nh, set1(kProtoTcp)), _mm_cmpeq_epi32(nh, set1(kProtoUdp)));
    const __m128i ok6 = _mm_and_si128(payload_ok, tcp_udp6);

    alignas(16) uint32_t ip_len[kLanes];
    _mm_store_si128(reinterpret_cast<__m128i*>(ip_len), _mm_blendv_epi8(payload, total, ok4));
    const unsigned mask4 = static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(ok4)));
    const unsigned mask6 = static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(ok6)));

    for (int k = 0; k < kLanes; ++k) {
      const int p = i + k;
      const uint8_t* d = data[p];
      bool done = false;
      if ((mask4 >> k) & 1u) {
        done = finish_ipv4<raw_sum_scalar>(d, ip_len[k], opt,
                                           (out_parsed ? &out_parsed[p] : &scratch));
      } else if ((mask6 >> k) & 1u) {
        done = finish_ipv6<raw_sum_scalar>(d, ip_len[k], opt,
                                           (out_parsed ? &out_parsed[p] : &scratch));
      }
      out_verdicts[p] =
          done ? Verdict::kOk
               : validate_general(d, len[p], opt, (out_parsed ? &out_parsed[p] : &scratch));
    }
  }
  for (; i < count; ++i)
    out_verdicts[i] = validate(data[i], len[i], opt, out_parsed ? &out_parsed[i] : &scratch);
}

}  // namespace deltaplane::packet::detail
