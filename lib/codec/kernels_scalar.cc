// Portable codec kernels on 64-bit words (SWAR); the fallback for any x86-64
// and the baseline the vector levels are measured against.
#include <bit>

#include "codec/detail/kernels.hh"
#include "codec/detail/zero_run_impl.hh"

namespace deltaplane::codec::detail {
namespace {

static_assert(std::endian::native == std::endian::little,
              "The word kernels map the lowest set flag to the first byte, which needs a "
              "little-endian CPU.");

struct Word {
  using Vec = std::uint64_t;
  static constexpr std::size_t kWidth = 8;
  static constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Full;
  static constexpr std::uint64_t kHigh = 0x8080808080808080ull;

  static Vec load(const std::uint8_t* p) noexcept {
    Vec v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static void store(std::uint8_t* p, Vec v) noexcept { std::memcpy(p, &v, sizeof v); }
  static Vec zero() noexcept { return 0; }
  static Vec bxor(Vec a, Vec b) noexcept { return a ^ b; }
  static Vec bor(Vec a, Vec b) noexcept { return a | b; }
  // Exact per-byte zero test (no false positives from borrows): the high bit
  // of each zero byte.
  static std::uint64_t zero_bits(Vec v) noexcept { return ~(((v & kLow7) + kLow7) | v | kLow7); }
  static std::uint64_t nonzero_bits(Vec v) noexcept { return zero_bits(v) ^ kHigh; }
  static std::uint64_t run3(std::uint64_t lo, std::uint64_t hi) noexcept {
    return lo & ((lo >> 8) | (hi << 56)) & ((lo >> 16) | (hi << 48));
  }
  static std::size_t first(std::uint64_t bits) noexcept {
    return static_cast<std::size_t>(std::countr_zero(bits)) >> 3;
  }
  static std::uint64_t drop(std::uint64_t bits, std::size_t k) noexcept { return bits >> (k * 8); }
};

using Set = KernelSet<Word>;

}  // namespace

const Kernels kScalarKernels = {SimdLevel::kScalar,   Set::xor_delta,
                                Set::zero_run_encode, Set::xor_zero_run_encode,
                                Set::zero_run_decode, Set::zero_run_decode_xor};

}  // namespace deltaplane::codec::detail
