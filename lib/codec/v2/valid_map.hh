// Which bytes of a decoder's history are right: one bit per byte, indexed
// like the history ring (position & mask). A byte is right when its frame's
// coded bytes were all decoded from right bytes (packet CRC-32C verified
// records, literals, copies of right bytes); a lost packet, or a frame that
// copies a wrong byte, leaves wrong bytes, and whatever copies them is lost
// in turn, never altered. Byte-exact, so a frame next to a lost one is not
// dragged down with it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/v2/memory.hh"

namespace deltaplane::codec::v2 {

class ValidMap {
 public:
  ValidMap(Memory m, size_t capacity) : mask_(capacity - 1), words_(m, capacity / 64) {}

  // Marks [start, end) right (set) or wrong (clear); end - start <= capacity.
  void set(uint64_t start, uint64_t end, bool right) noexcept {
    while (start < end) {
      const size_t w = (start & mask_) / 64;
      const unsigned b = static_cast<unsigned>(start % 64);
      const uint64_t n = end - start < 64 - b ? end - start : 64 - b;
      const uint64_t bits = (n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1)) << b;
      words_[w] = right ? words_[w] | bits : words_[w] & ~bits;
      start += n;
    }
  }
  // Whether every byte of [start, end) is right.
  bool all(uint64_t start, uint64_t end) const noexcept {
    while (start < end) {
      const size_t w = (start & mask_) / 64;
      const unsigned b = static_cast<unsigned>(start % 64);
      const uint64_t n = end - start < 64 - b ? end - start : 64 - b;
      const uint64_t bits = (n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1)) << b;
      if ((words_[w] & bits) != bits) return false;
      start += n;
    }
    return true;
  }
  void clear() noexcept {
    for (size_t i = 0; i < words_.size(); ++i)
      words_[i] = 0;
  }

 private:
  size_t mask_;
  Array<uint64_t> words_;
};

}  // namespace deltaplane::codec::v2
