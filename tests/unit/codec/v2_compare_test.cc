// The encoder's byte comparisons (codec/v2/compare.hh) against plain loops:
// every length up to a few blocks with the first difference at every
// offset, spans longer than one lane counter holds (255 blocks), and random
// spans with differences sprinkled at random densities; both read only the
// n bytes they are given (the spans end at the end of their buffers, where
// ASan sees an overread).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "codec/v2/compare.hh"

namespace deltaplane::codec::v2 {
namespace {

uint32_t ref_match_length(const uint8_t* a, const uint8_t* b, uint32_t n) {
  uint32_t i = 0;
  while (i < n && a[i] == b[i])
    ++i;
  return i;
}

uint32_t ref_equal_bytes(const uint8_t* a, const uint8_t* b, uint32_t n) {
  uint32_t eq = 0;
  for (uint32_t i = 0; i < n; ++i)
    eq += a[i] == b[i];
  return eq;
}

// Two spans of n bytes, each ending where its heap block does.
struct Spans {
  explicit Spans(uint32_t len)
      : n(len),
        a_buf(std::make_unique<uint8_t[]>(len + 1)),
        b_buf(std::make_unique<uint8_t[]>(len + 1)) {}
  uint8_t* a() { return a_buf.get() + 1; }  // odd addresses: the loads are unaligned
  uint8_t* b() { return b_buf.get() + 1; }
  uint32_t n;
  std::unique_ptr<uint8_t[]> a_buf, b_buf;
};

void check(Spans& s) {
  ASSERT_EQ(match_length(s.a(), s.b(), s.n), ref_match_length(s.a(), s.b(), s.n)) << "n=" << s.n;
  ASSERT_EQ(equal_bytes(s.a(), s.b(), s.n), ref_equal_bytes(s.a(), s.b(), s.n)) << "n=" << s.n;
}

TEST(V2Compare, EveryLengthAndFirstDifference) {
  for (uint32_t n = 0; n <= 80; ++n) {
    Spans s(n);
    for (uint32_t i = 0; i < n; ++i)
      s.a()[i] = s.b()[i] = static_cast<uint8_t>(i * 7);
    check(s);  // all equal
    for (uint32_t d = 0; d < n; ++d) {
      s.b()[d] ^= 0x80;
      check(s);
      s.b()[d] ^= 0x80;
    }
  }
}

TEST(V2Compare, LongerThanALaneCounter) {
  // 255 blocks of 16 fill a lane counter: spans around and past that.
  for (uint32_t n : {255u * 16 - 1, 255u * 16, 255u * 16 + 1, 255u * 16 + 17, 65536u}) {
    Spans s(n);
    std::fill_n(s.a(), n, uint8_t{0x5a});
    std::fill_n(s.b(), n, uint8_t{0x5a});
    check(s);
    s.b()[n - 1] = 0;
    check(s);
  }
}

TEST(V2Compare, RandomSpans) {
  std::mt19937 rng(11);
  for (int round = 0; round < 3000; ++round) {
    const uint32_t n = rng() % (round % 10 == 0 ? 9000 : 300);
    Spans s(n);
    const uint32_t one_in = 1 + rng() % 64;  // differences: none to every byte
    for (uint32_t i = 0; i < n; ++i) {
      s.a()[i] = static_cast<uint8_t>(rng());
      s.b()[i] = rng() % one_in == 0 ? static_cast<uint8_t>(rng()) : s.a()[i];
    }
    check(s);
  }
}

}  // namespace
}  // namespace deltaplane::codec::v2
