// Wire format 2 sequences (codec/v2/sequences.hh): the bit-coded writer and
// reader against a plain reference that writes and reads one bit at a time,
// over random and extreme values, and the reader on adversarial bodies
// (truncated, bad padding, codes too long): refused, never read past the end.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "codec/v2/sequences.hh"

namespace deltaplane::codec::v2 {
namespace {

struct Seq {
  uint32_t literals, match, distance;
  bool operator==(const Seq&) const = default;
};

// Reference: Exp-Golomb, bit by bit, as docs/wire-format-v2.md words it.
void ref_put_code(std::vector<bool>& bits, uint64_t v, unsigned k) {
  const uint64_t x = (v >> k) + 1;
  unsigned b = 0;
  while ((x >> b) != 0)
    ++b;
  for (unsigned i = 0; i + 1 < b; ++i)
    bits.push_back(false);
  bits.push_back(true);
  for (unsigned i = 0; i < k; ++i)
    bits.push_back((v >> i) & 1);
  for (unsigned i = 0; i + 1 < b; ++i)
    bits.push_back((x >> i) & 1);
}

std::vector<uint8_t> ref_encode(const std::vector<Seq>& seqs) {
  std::vector<bool> bits;
  for (const Seq& s : seqs) {
    ref_put_code(bits, s.literals, kLiteralsK);
    ref_put_code(bits, s.match - kMinMatch, kMatchK);
    ref_put_code(bits, s.distance - 1, kDistanceK);
  }
  std::vector<uint8_t> out((bits.size() + 7) / 8, 0);
  for (size_t i = 0; i < bits.size(); ++i)
    if (bits[i]) out[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
  return out;
}

std::vector<uint8_t> encode(const std::vector<Seq>& seqs) {
  std::vector<uint8_t> out(seqs.size() * kMaxSequenceSize + 1);
  SequenceWriter w(out.data());
  for (const Seq& s : seqs)
    w.put(s.literals, s.match, s.distance);
  out.resize(static_cast<size_t>(w.finish() - out.data()));
  return out;
}

// The sequences of a body; false if it is refused.
bool decode(const std::vector<uint8_t>& body, std::vector<Seq>& seqs) {
  seqs.clear();
  SequenceReader r(body.data(), body.data() + body.size());
  bool malformed = false;
  while (r.more(malformed)) {
    Seq s{};
    if (!r.get(s.literals, s.match, s.distance)) return false;
    seqs.push_back(s);
  }
  return !malformed;
}

std::vector<Seq> random_seqs(std::mt19937_64& rng, size_t n) {
  std::vector<Seq> v;
  for (size_t i = 0; i < n; ++i) {
    // Small values mostly, as LZ77 makes them; now and then the extremes.
    auto pick = [&](uint32_t lo, uint32_t hi) {
      switch (rng() % 8) {
        case 0: return hi;
        case 1: return lo;
        case 2: return lo + static_cast<uint32_t>(rng() % (hi - lo + 1));
        default: return lo + static_cast<uint32_t>(rng() % std::min<uint32_t>(64, hi - lo + 1));
      }
    };
    v.push_back({pick(0, kMaxSequenceLiterals), pick(kMinMatch, kMaxSequenceMatch),
                 pick(1, (1u << 31) - 1)});
  }
  return v;
}

TEST(V2Sequences, TheDocumentedExample) {
  EXPECT_EQ(encode({{6, 5, 6}}), (std::vector<uint8_t>{0xfc, 0x05, 0x00}));
}

TEST(V2Sequences, MatchTheReferenceAndRoundTrip) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 2000; ++round) {
    const std::vector<Seq> seqs = random_seqs(rng, rng() % 40);
    const std::vector<uint8_t> body = encode(seqs);
    ASSERT_EQ(body, ref_encode(seqs)) << "round " << round;
    std::vector<Seq> back;
    ASSERT_TRUE(decode(body, back)) << "round " << round;
    ASSERT_EQ(back, seqs) << "round " << round;
  }
}

// Damaged bodies: read within their bounds (ASan, the sanitizer suite),
// refused when the damage is one the codes can see. A truncated or flipped
// body may still read as valid codes: the packet's and the frame's CRC-32C
// catch those.
TEST(V2Sequences, AdversarialBodiesAreReadWithinBoundsAndRefused) {
  std::mt19937_64 rng(8);
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> body = encode(random_seqs(rng, 1 + rng() % 6));
    std::vector<Seq> seqs;
    // Each copied to an exact-size buffer: ASan catches a read past the end.
    std::vector<uint8_t> cut(body.begin(), body.end() - 1);
    (void)decode(cut, seqs);
    std::vector<uint8_t> flipped(body);
    flipped[rng() % flipped.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    (void)decode(flipped, seqs);
    std::vector<uint8_t> padded(body);
    padded.push_back(0);  // a whole byte of padding
    EXPECT_FALSE(decode(padded, seqs)) << "round " << round;
    std::vector<uint8_t> dirty(body);
    dirty.push_back(0x01);  // bits after the last code that are not zero
    EXPECT_FALSE(decode(dirty, seqs)) << "round " << round;
    // Zero bytes only: a code longer than any value this format sends.
    EXPECT_FALSE(decode(std::vector<uint8_t>(1 + rng() % 12, 0), seqs)) << "round " << round;
  }
}

TEST(V2Sequences, AnEmptyBodyHasNoSequences) {
  std::vector<Seq> seqs;
  EXPECT_TRUE(decode({}, seqs));
  EXPECT_TRUE(seqs.empty());
}

}  // namespace
}  // namespace deltaplane::codec::v2
