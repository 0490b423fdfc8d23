// AVX2 (32-byte) codec kernels; this file is compiled with -mavx2.
#include <immintrin.h>

#include "codec/detail/kernels.hh"
#include "codec/detail/zero_run_impl.hh"

namespace deltaplane::codec::detail {
namespace {

struct Avx2 {
  using Vec = __m256i;
  static constexpr std::size_t kWidth = 32;

  static Vec load(const std::uint8_t* p) noexcept {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  static void store(std::uint8_t* p, Vec v) noexcept {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
  }
  static Vec zero() noexcept { return _mm256_setzero_si256(); }
  static Vec bxor(Vec a, Vec b) noexcept { return _mm256_xor_si256(a, b); }
  static Vec bor(Vec a, Vec b) noexcept { return _mm256_or_si256(a, b); }
  static std::uint32_t zero_bits(Vec v) noexcept {
    return static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, zero())));
  }
  static std::uint32_t nonzero_bits(Vec v) noexcept { return ~zero_bits(v); }
  static std::uint32_t run3(std::uint32_t lo, std::uint32_t hi) noexcept {
    const std::uint64_t m = lo | (static_cast<std::uint64_t>(hi) << 32);
    return static_cast<std::uint32_t>(m & (m >> 1) & (m >> 2));
  }
  static std::size_t first(std::uint32_t bits) noexcept {
    return static_cast<std::size_t>(__builtin_ctz(bits));
  }
  static std::uint32_t drop(std::uint32_t bits, std::size_t k) noexcept { return bits >> k; }
  static void xor16(std::uint8_t* out, const std::uint8_t* a, const std::uint8_t* b) noexcept {
    const __m128i x = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a)),
                                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), x);
  }
};

using Set = KernelSet<Avx2>;

}  // namespace

const Kernels kAvx2Kernels = {SimdLevel::kAvx2,     Set::xor_delta,
                              Set::zero_run_encode, Set::xor_zero_run_encode,
                              Set::zero_run_decode, Set::zero_run_decode_xor};

}  // namespace deltaplane::codec::detail
