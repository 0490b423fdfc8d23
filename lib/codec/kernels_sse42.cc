// SSE (16-byte) codec kernels; this file is compiled with -msse4.2.
#include <immintrin.h>

#include "codec/detail/kernels.hh"
#include "codec/detail/zero_run_impl.hh"

namespace deltaplane::codec::detail {
namespace {

struct Sse {
  using Vec = __m128i;
  static constexpr std::size_t kWidth = 16;

  static Vec load(const std::uint8_t* p) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  }
  static void store(std::uint8_t* p, Vec v) noexcept {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
  }
  static Vec zero() noexcept { return _mm_setzero_si128(); }
  static Vec bxor(Vec a, Vec b) noexcept { return _mm_xor_si128(a, b); }
  static Vec bor(Vec a, Vec b) noexcept { return _mm_or_si128(a, b); }
  static std::uint32_t zero_bits(Vec v) noexcept {
    return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero())));
  }
  static std::uint32_t nonzero_bits(Vec v) noexcept { return zero_bits(v) ^ 0xFFFFu; }
  static std::uint32_t run3(std::uint32_t lo, std::uint32_t hi) noexcept {
    const std::uint32_t m = lo | (hi << 16);
    return m & (m >> 1) & (m >> 2) & 0xFFFFu;
  }
  static std::size_t first(std::uint32_t bits) noexcept {
    return static_cast<std::size_t>(__builtin_ctz(bits));
  }
  static std::uint32_t drop(std::uint32_t bits, std::size_t k) noexcept { return bits >> k; }
};

using Set = KernelSet<Sse>;

}  // namespace

const Kernels kSse42Kernels = {SimdLevel::kSse42,    Set::xor_delta,
                               Set::zero_run_encode, Set::xor_zero_run_encode,
                               Set::zero_run_decode, Set::zero_run_decode_xor};

}  // namespace deltaplane::codec::detail
