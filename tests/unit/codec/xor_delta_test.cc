// XOR delta kernels of every supported ISA against the reference byte loop.
#include <gtest/gtest.h>

#include "codec/reference.hh"
#include "codec/xor_delta.hh"
#include "codec_test_util.hh"

namespace deltaplane::codec::test {
namespace {

void check_xor(const detail::Kernels& k, const Bytes& a, const Bytes& b, std::size_t off_a,
               std::size_t off_b, std::size_t off_out) {
  const std::size_t n = a.size();
  Guarded ga(n, off_a);
  Guarded gb(n, off_b);
  Guarded go(n, off_out);
  std::copy(a.begin(), a.end(), ga.data());
  std::copy(b.begin(), b.end(), gb.data());
  Bytes want(n);
  ref::xor_delta(want.data(), a.data(), b.data(), n);
  k.xor_delta(go.data(), ga.data(), gb.data(), n);
  ASSERT_EQ(go.bytes(n), want) << simd_level_name(k.level) << " n=" << n << " offsets " << off_a
                               << "/" << off_b << "/" << off_out;
  ASSERT_TRUE(go.guards_intact(n)) << simd_level_name(k.level) << " n=" << n;
  // In place, as the decoder uses it: a ^= b.
  k.xor_delta(ga.data(), ga.data(), gb.data(), n);
  ASSERT_EQ(ga.bytes(n), want) << simd_level_name(k.level) << " in place n=" << n;
  ASSERT_TRUE(ga.guards_intact(n));
}

TEST(XorDelta, AllLengthsAndAlignments) {
  std::mt19937_64 rng(1);
  for (const auto* k : supported_kernels()) {
    for (std::size_t n = 0; n <= 300; ++n) {
      const Bytes a = random_bytes(rng, n);
      const Bytes b = random_bytes(rng, n);
      for (std::size_t off = 0; off < 64; ++off) {
        check_xor(*k, a, b, off, (off * 7) % 64, (off * 13) % 64);
      }
    }
  }
}

TEST(XorDelta, RandomLongLengths) {
  std::mt19937_64 rng(2);
  for (const auto* k : supported_kernels()) {
    for (int iter = 0; iter < 300; ++iter) {
      const std::size_t n = rng() % 9601;
      const Bytes a = random_bytes(rng, n);
      const Bytes b = random_bytes(rng, n);
      check_xor(*k, a, b, rng() % 64, rng() % 64, rng() % 64);
    }
  }
}

TEST(XorDelta, SpecialPatterns) {
  for (const auto* k : supported_kernels()) {
    for (std::size_t n : {1u, 31u, 32u, 33u, 64u, 1500u, 9000u}) {
      check_xor(*k, Bytes(n, 0), Bytes(n, 0), 0, 0, 0);
      check_xor(*k, Bytes(n, 0xFF), Bytes(n, 0xFF), 1, 2, 3);
      check_xor(*k, Bytes(n, 0xFF), Bytes(n, 0), 5, 0, 63);
      Bytes alt(n);
      for (std::size_t i = 0; i < n; ++i)
        alt[i] = (i & 1) ? 0xAA : 0x55;
      check_xor(*k, alt, Bytes(n, 0xFF), 7, 9, 11);
    }
  }
}

TEST(XorDelta, DispatchedEntryPointUsesActiveLevel) {
  const SimdLevel saved = simd_level();
  for (SimdLevel l : kAllSimdLevels) {
    if (!simd_level_supported(l)) {
      EXPECT_FALSE(set_simd_level(l));
      continue;
    }
    ASSERT_TRUE(set_simd_level(l));
    EXPECT_EQ(simd_level(), l);
    std::uint8_t a[40];
    std::uint8_t b[40];
    std::uint8_t out[40];
    for (int i = 0; i < 40; ++i) {
      a[i] = static_cast<std::uint8_t>(i);
      b[i] = static_cast<std::uint8_t>(3 * i + 1);
    }
    xor_delta(out, a, b, 40);
    for (int i = 0; i < 40; ++i)
      ASSERT_EQ(out[i], a[i] ^ b[i]);
  }
  set_simd_level(saved);
}

TEST(SimdLevel, BestIsSupportedAndNamesRoundTrip) {
  EXPECT_TRUE(simd_level_supported(best_simd_level()));
  EXPECT_TRUE(simd_level_supported(SimdLevel::kScalar));
  for (SimdLevel l : kAllSimdLevels)
    EXPECT_EQ(parse_simd_level(simd_level_name(l)), l);
  EXPECT_FALSE(parse_simd_level("avx512").has_value());
}

}  // namespace
}  // namespace deltaplane::codec::test
