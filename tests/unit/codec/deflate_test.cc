// The igzip comparison path: stateless round trips and malformed input.
#include <gtest/gtest.h>

#include <stdexcept>

#include "codec/deflate.hh"
#include "codec_test_util.hh"

namespace deltaplane::codec::test {
namespace {

TEST(Deflate, RoundTripEveryLevel) {
  std::mt19937_64 rng(12);
  for (int level = 0; level <= 3; ++level) {
    DeflateContext ctx(level);
    EXPECT_EQ(ctx.level(), level);
    for (std::size_t n : {1u, 64u, 1024u, 1500u, 9000u}) {
      for (double density : {0.0, 0.02, 1.0}) {
        const Bytes in = sparse_bytes(rng, n, density);
        Bytes out(n + 256);
        const std::size_t c = ctx.compress(in.data(), n, out.data(), out.size());
        ASSERT_GT(c, 0u) << "level " << level << " n=" << n;
        Bytes back(n);
        ASSERT_TRUE(ctx.decompress(out.data(), c, back.data(), n)) << "level " << level;
        ASSERT_EQ(back, in);
        // Any other expected length is an error.
        Bytes longer(n + 1);
        EXPECT_FALSE(ctx.decompress(out.data(), c, longer.data(), n + 1));
        if (n > 1) {
          EXPECT_FALSE(ctx.decompress(out.data(), c, back.data(), n - 1));
        }
      }
    }
  }
}

TEST(Deflate, ZerosCompressWell) {
  DeflateContext ctx(1);
  const Bytes zeros(1500, 0);
  Bytes out(1600);
  const std::size_t c = ctx.compress(zeros.data(), zeros.size(), out.data(), out.size());
  EXPECT_GT(c, 0u);
  EXPECT_LT(c, 40u);
}

TEST(Deflate, TooSmallOutputAndGarbage) {
  std::mt19937_64 rng(13);
  DeflateContext ctx(1);
  const Bytes in = random_bytes(rng, 1000);
  Bytes out(100);
  EXPECT_EQ(ctx.compress(in.data(), in.size(), out.data(), out.size()), 0u);
  for (int i = 0; i < 200; ++i) {
    const Bytes garbage = random_bytes(rng, rng() % 100);
    Bytes back(64);
    (void)ctx.decompress(garbage.data(), garbage.size(), back.data(), back.size());
  }
  EXPECT_THROW(DeflateContext(4), std::invalid_argument);
}

}  // namespace
}  // namespace deltaplane::codec::test
