// Checksum wrappers: standard check values, chaining, and agreement with the
// bitwise reference on random data of every length and alignment.
#include <gtest/gtest.h>

#include <cstring>

#include "codec/checksum.hh"
#include "codec/reference.hh"
#include "codec_test_util.hh"

namespace deltaplane::codec::test {
namespace {

constexpr char kCheck[] = "123456789";
constexpr std::size_t kCheckLen = 9;

TEST(Checksum, CheckValues) {
  EXPECT_EQ(crc32c(kCheck, kCheckLen), 0xE3069283u);
  EXPECT_EQ(crc32(kCheck, kCheckLen), 0xCBF43926u);
  EXPECT_EQ(adler32(kCheck, kCheckLen), 0x091E01DEu);
  EXPECT_EQ(ref::crc32c(kCheck, kCheckLen), 0xE3069283u);
  EXPECT_EQ(ref::crc32(kCheck, kCheckLen), 0xCBF43926u);
  EXPECT_EQ(ref::adler32(kCheck, kCheckLen), 0x091E01DEu);
  // XXH3-64 of the empty input with seed 0, from the xxHash sanity tests.
  EXPECT_EQ(xxhash64(nullptr, 0), 0x2D06800538D394C2ull);
}

TEST(Checksum, EmptyInput) {
  EXPECT_EQ(crc32c(nullptr, 0), 0u);
  EXPECT_EQ(crc32(nullptr, 0), 0u);
  EXPECT_EQ(adler32(nullptr, 0), 1u);
}

TEST(Checksum, MatchesReferenceAllLengthsAndAlignments) {
  std::mt19937_64 rng(10);
  const Bytes data = random_bytes(rng, 9700);
  for (std::size_t n = 0; n <= 300; ++n) {
    for (std::size_t off = 0; off < 64; off += (n < 64 ? 1 : 13)) {
      const std::uint8_t* p = data.data() + off;
      ASSERT_EQ(crc32c(p, n), ref::crc32c(p, n)) << "n=" << n << " off=" << off;
      ASSERT_EQ(crc32(p, n), ref::crc32(p, n)) << "n=" << n << " off=" << off;
      ASSERT_EQ(adler32(p, n), ref::adler32(p, n)) << "n=" << n << " off=" << off;
    }
  }
  for (int iter = 0; iter < 100; ++iter) {
    const std::size_t off = rng() % 64;
    const std::size_t n = rng() % (data.size() - off);
    const std::uint8_t* p = data.data() + off;
    ASSERT_EQ(crc32c(p, n), ref::crc32c(p, n));
    ASSERT_EQ(crc32(p, n), ref::crc32(p, n));
    ASSERT_EQ(adler32(p, n), ref::adler32(p, n));
  }
  // All 0xFF bytes drive Adler-32's sums to their largest before the modulo.
  const Bytes ones(6000, 0xFF);
  EXPECT_EQ(adler32(ones.data(), ones.size()), ref::adler32(ones.data(), ones.size()));
}

// Audit digests: a function of (CRC-32, length); sums compare multisets, so
// order does not matter, a changed byte or length does.
TEST(Checksum, FrameDigest) {
  std::vector<uint8_t> a(300), b(300);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = b[i] = static_cast<uint8_t>(i * 7);
  EXPECT_EQ(frame_digest(a.data(), a.size()),
            frame_digest_of_crc32(crc32(a.data(), a.size()), 300));
  const uint64_t da = frame_digest(a.data(), 200), db = frame_digest(a.data() + 100, 200);
  EXPECT_EQ(da + db, db + da);
  b[150] ^= 1;
  EXPECT_NE(frame_digest(a.data(), 300), frame_digest(b.data(), 300));
  EXPECT_NE(frame_digest(a.data(), 299), frame_digest(a.data(), 300));
}

TEST(Checksum, Chaining) {
  std::mt19937_64 rng(11);
  const Bytes data = random_bytes(rng, 3000);
  for (std::size_t split : {0u, 1u, 7u, 64u, 1499u, 3000u}) {
    const std::uint8_t* p = data.data();
    const std::size_t rest = data.size() - split;
    EXPECT_EQ(crc32c(p + split, rest, crc32c(p, split)), crc32c(p, data.size()));
    EXPECT_EQ(crc32(p + split, rest, crc32(p, split)), crc32(p, data.size()));
    EXPECT_EQ(adler32(p + split, rest, adler32(p, split)), adler32(p, data.size()));
    EXPECT_EQ(ref::crc32c(p + split, rest, ref::crc32c(p, split)), crc32c(p, data.size()));
  }
}

TEST(Checksum, XxhashSeedsAndInputsDiffer) {
  const char a[] = "deltaplane";
  EXPECT_EQ(xxhash64(a, 10), xxhash64(a, 10));
  EXPECT_NE(xxhash64(a, 10), xxhash64(a, 10, 1));
  EXPECT_NE(xxhash64(a, 10), xxhash64(a, 9));
}

}  // namespace
}  // namespace deltaplane::codec::test
