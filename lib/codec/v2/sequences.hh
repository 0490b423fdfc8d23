// LZ77 sequences of wire format v2: each is (literal count, match length,
// distance back in the stream's history), written as a token byte (high
// nibble: literals, 15 = more in a varint; low nibble: match length - 4, 15 =
// more) then the varints, then the distance. Literals themselves travel in
// the packet's literal section; literals after the last match are implicit
// (the rest of the coded bytes).
#pragma once

#include <cstdint>

#include "codec/v2/format.hh"

namespace deltaplane::codec::v2 {

inline constexpr size_t kMaxSequenceSize = 1 + 5 + 5 + 5;

inline uint8_t* put_sequence(uint8_t* p, uint32_t literals, uint32_t match,
                             uint32_t distance) noexcept {
  const uint32_t m = match - kMinMatch;
  *p++ = static_cast<uint8_t>((literals < 15 ? literals : 15) << 4 | (m < 15 ? m : 15));
  if (literals >= 15) p = put_varint(p, literals - 15);
  if (m >= 15) p = put_varint(p, m - 15);
  return put_varint(p, distance);
}

inline size_t sequence_size(uint32_t literals, uint32_t match, uint32_t distance) noexcept {
  const uint32_t m = match - kMinMatch;
  return 1 + (literals >= 15 ? varint_size(literals - 15) : 0) +
         (m >= 15 ? varint_size(m - 15) : 0) + varint_size(distance);
}

// False if the sequence is truncated or malformed (a distance of 0).
inline bool get_sequence(const uint8_t*& p, const uint8_t* end, uint32_t& literals, uint32_t& match,
                         uint32_t& distance) noexcept {
  if (p == end) return false;
  const uint8_t t = *p++;
  literals = t >> 4;
  match = t & 15;
  uint32_t x;
  if (literals == 15) {
    if (!get_varint(p, end, x) || x > 0xffff) return false;
    literals += x;
  }
  if (match == 15) {
    if (!get_varint(p, end, x) || x > 0xffff) return false;
    match += x;
  }
  match += kMinMatch;
  return get_varint(p, end, distance) && distance != 0;
}

}  // namespace deltaplane::codec::v2
