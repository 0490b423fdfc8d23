// LZ77 sequences of wire format v2: each is (literal count, match length,
// distance back in the stream's history), written as three Exp-Golomb codes
// into a bit stream, least significant bit first (docs/wire-format-v2.md,
// "Sequences"): the literal count with k = 0, the match length less 4 with
// k = 1, the distance less 1 with k = 10. Small counts and near distances,
// the common case, take few bits; no table travels. A record's body is its
// sequences, padded with zero bits to a byte. Literals themselves travel in
// the packet's literal section; literals after the last match are implicit
// (the rest of the coded bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "codec/v2/format.hh"

namespace deltaplane::codec::v2 {

inline constexpr unsigned kLiteralsK = 0, kMatchK = 1, kDistanceK = 10;
inline constexpr uint32_t kMaxSequenceLiterals = 0xffff + 15;  // as a record's bytes allow
inline constexpr uint32_t kMaxSequenceMatch = 0xffff + 15 + kMinMatch;
// Bytes one sequence may take (three codes of at most 32, 32 and 64 bits),
// and the padding of the body.
inline constexpr size_t kMaxSequenceSize = 17;

// Writes codes into [p, ...); the caller checks room (kMaxSequenceSize per
// sequence).
class SequenceWriter {
 public:
  explicit SequenceWriter(uint8_t* p) noexcept : p_(p) {}
  void put(uint32_t literals, uint32_t match, uint32_t distance) noexcept {
    put_code(literals, kLiteralsK);
    put_code(match - kMinMatch, kMatchK);
    put_code(distance - 1, kDistanceK);
  }
  // Bytes written so far, counting a partial one.
  uint8_t* end() const noexcept { return p_ + (n_ + 7) / 8; }
  // Pads to a byte; returns the end.
  uint8_t* finish() noexcept {
    if (n_) *p_++ = static_cast<uint8_t>(acc_);
    acc_ = 0;
    n_ = 0;
    return p_;
  }

 private:
  // Exp-Golomb with k low bits: x = (v >> k) + 1 has `b` bits; b - 1 zero
  // bits then a one, the k low bits of v, the b - 1 bits of x below its top
  // one: 2b - 1 + k bits, written at once.
  void put_code(uint32_t v, unsigned k) noexcept {
    const uint64_t x = (uint64_t{v} >> k) + 1;
    const unsigned b = 64 - static_cast<unsigned>(__builtin_clzll(x));
    const uint64_t rest = (v & ((uint64_t{1} << k) - 1)) | (x - (uint64_t{1} << (b - 1))) << k;
    put_bits(uint64_t{1} << (b - 1) | rest << b, 2 * b - 1 + k);
  }
  void put_bits(uint64_t v, unsigned bits) noexcept {  // bits <= 56
    acc_ |= v << n_;
    n_ += bits;
    while (n_ >= 8) {
      *p_++ = static_cast<uint8_t>(acc_);
      acc_ >>= 8;
      n_ -= 8;
    }
  }
  uint8_t* p_;
  uint64_t acc_ = 0;
  unsigned n_ = 0;
};

// Reads the sequences of one body [p, end).
class SequenceReader {
 public:
  SequenceReader(const uint8_t* p, const uint8_t* end) noexcept : p_(p), end_(end) {}
  // Whether another sequence follows: false at the end of the body (fewer
  // than 8 bits left, all zero); `malformed` when those bits are not zero.
  bool more(bool& malformed) noexcept {
    refill();
    if (n_ >= 8) return true;
    malformed = acc_ != 0;
    return false;
  }
  // False if the sequence is truncated or malformed. After more(): the
  // bits are refilled only when the next code might not be held.
  bool get(uint32_t& literals, uint32_t& match, uint32_t& distance) noexcept {
    uint32_t v;
    if (!get_code(kLiteralsK, v) || v > kMaxSequenceLiterals) return false;
    literals = v;
    if (n_ < 2 * kMaxPrefix - 1 + kMatchK) refill();
    if (!get_code(kMatchK, v) || v > kMaxSequenceMatch - kMinMatch) return false;
    match = v + kMinMatch;
    if (n_ < 2 * kMaxPrefix - 1 + kDistanceK) refill();
    if (!get_code(kDistanceK, v)) return false;
    distance = v + 1;
    return true;
  }

 private:
  // At least 56 bits held, unless the body ends first.
  [[gnu::always_inline]] void refill() noexcept {
    if (end_ - p_ >= 8) {
      uint64_t w;
      std::memcpy(&w, p_, 8);
      acc_ |= w << n_;
      p_ += (63 - n_) >> 3;
      n_ |= 56;
      return;
    }
    while (n_ <= 56 && p_ < end_) {
      acc_ |= uint64_t{*p_++} << n_;
      n_ += 8;
    }
  }
  // One code: no value this format sends has a prefix over kMaxPrefix bits,
  // so a code takes at most 2 * 22 - 1 + 10 = 53 bits, all held after a refill.
  static constexpr unsigned kMaxPrefix = 22;
  // v = ((2^(b-1) - 1) << k) + the b - 1 + k bits after the prefix.
  bool get_code(unsigned k, uint32_t& out) noexcept {
    if (acc_ == 0) return false;  // no one within the bits held: truncated or too long
    const unsigned b = static_cast<unsigned>(__builtin_ctzll(acc_)) + 1;
    const unsigned total = 2 * b - 1 + k;
    if (b > kMaxPrefix || total > n_) return false;
    const uint64_t rest = (acc_ >> b) & ((uint64_t{1} << (b - 1 + k)) - 1);
    acc_ >>= total;  // total <= 53
    n_ -= total;
    out =
        static_cast<uint32_t>((((uint64_t{1} << (b - 1)) - 1) << k) + rest);  // b <= 22: below 2^32
    return true;
  }
  const uint8_t* p_;
  const uint8_t* end_;
  uint64_t acc_ = 0;
  unsigned n_ = 0;
};

}  // namespace deltaplane::codec::v2
