// The in-process WAN link's spec parser and impairment draws (no EAL needed).
#include "wire/wire_spec.hh"

#include <gtest/gtest.h>

#include "base/error.hh"

namespace deltaplane::drivers::wire {
namespace {

std::string error_of(std::string_view text) {
  try {
    parse_wire_spec(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(WireSpec, Parses) {
  EXPECT_FALSE(parse_wire_spec("").impaired());
  const WireSpec s = parse_wire_spec("loss=0.01,flip=0.5,dup=1,reorder=0,seed=9,ring=1024");
  EXPECT_DOUBLE_EQ(s.loss, 0.01);
  EXPECT_DOUBLE_EQ(s.flip, 0.5);
  EXPECT_DOUBLE_EQ(s.dup, 1.0);
  EXPECT_EQ(s.seed, 9u);
  EXPECT_EQ(s.ring, 1024u);
  EXPECT_TRUE(s.impaired());
  EXPECT_EQ(error_of("loss=2"), "--wire: loss: expected a probability 0..1, got '2'");
  EXPECT_EQ(error_of("jitter=1"),
            "--wire: unknown key 'jitter' (keys: loss, flip, dup, reorder, seed, ring)");
  EXPECT_EQ(error_of("ring=1000"), "--wire: ring: '1000' is not a power of two");
  EXPECT_EQ(error_of("loss"),
            "--wire: expected key=value, got 'loss' (keys: loss, flip, dup, "
            "reorder, seed, ring)");
}

// Rates follow the spec; the same seed gives the same fates; flipped bits
// stay inside the frame.
TEST(Impairer, RatesAndRepeatability) {
  const WireSpec s = parse_wire_spec("loss=0.1,flip=0.2,dup=0.05,reorder=0.3,seed=4");
  Impairer a(s, 0), b(s, 0), other(s, 1);
  int lost = 0, flipped = 0, dup = 0, swapped = 0, differ = 0;
  constexpr int kN = 100000;
  for (int i = 0; i < kN; ++i) {
    const uint32_t len = 60 + static_cast<uint32_t>(i % 1400);
    const Fate f = a.next(len), g = b.next(len), h = other.next(len);
    ASSERT_EQ(f.lost, g.lost);
    ASSERT_EQ(f.bit, g.bit);
    differ += f.lost != h.lost;
    lost += f.lost;
    if (f.flipped) {
      ++flipped;
      ASSERT_LT(f.bit, len * 8);
    }
    dup += f.duplicated;
    swapped += f.swapped;
  }
  EXPECT_NEAR(lost, kN * 0.1, kN * 0.01);
  EXPECT_NEAR(flipped, kN * 0.9 * 0.2, kN * 0.01);  // of the frames not lost
  EXPECT_NEAR(dup, kN * 0.9 * 0.05, kN * 0.01);
  EXPECT_NEAR(swapped, kN * 0.9 * 0.3, kN * 0.01);
  EXPECT_GT(differ, 0);  // the two directions draw apart
  Impairer clean(parse_wire_spec(""), 0);
  for (int i = 0; i < 1000; ++i) {
    const Fate f = clean.next(100);
    ASSERT_FALSE(f.lost || f.flipped || f.duplicated || f.swapped);
  }
}

}  // namespace
}  // namespace deltaplane::drivers::wire
