// The history of one encoder stream, mirrored by the decoder: every frame the
// stream carried (unless sent transient), in order, addressed by an absolute
// byte position (64-bit here, the low 32 bits on the wire). A ring of
// `capacity` bytes (a power of two) followed by a copy of its first
// kMaxSpan bytes, so that any span of up to kMaxSpan bytes starting in the
// ring reads contiguously: matches and copies never split at the wrap.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "codec/v2/memory.hh"

namespace deltaplane::codec::v2 {

inline constexpr size_t kMaxSpan = 65536;  // longest frame (and so longest match)

class History {
 public:
  History(Memory m, size_t capacity)
      : capacity_(capacity), mask_(capacity - 1), buf_(m, capacity + kMaxSpan) {}

  size_t capacity() const noexcept { return capacity_; }
  uint64_t end() const noexcept { return end_; }
  // Oldest position still held (the window).
  uint64_t begin() const noexcept { return end_ > capacity_ ? end_ - capacity_ : 0; }
  bool holds(uint64_t pos, size_t len) const noexcept {
    return pos >= begin() && pos + len <= end_;
  }

  // Where `pos` lives: `len` <= kMaxSpan bytes from here are contiguous.
  const uint8_t* at(uint64_t pos) const noexcept { return buf_.data() + (pos & mask_); }
  uint8_t* at(uint64_t pos) noexcept { return buf_.data() + (pos & mask_); }

  // Appends n <= kMaxSpan bytes; returns their position.
  uint64_t append(const uint8_t* p, size_t n) noexcept {
    const uint64_t pos = end_;
    write(pos, p, n);
    end_ += n;
    return pos;
  }
  // Reserves n bytes to be written in place (through at()) and then
  // mirrored with commit(); returns their position.
  uint64_t reserve(size_t n) noexcept {
    const uint64_t pos = end_;
    end_ += n;
    return pos;
  }
  void commit(uint64_t pos, size_t n) noexcept { mirror(pos & mask_, n); }

  // Moves the end back (the encoder takes back a frame it did not send) or
  // forward over a hole (the decoder skips what it never received).
  void set_end(uint64_t pos) noexcept { end_ = pos; }

  // Writes n bytes at pos (which must be end() or earlier and within the window).
  void write(uint64_t pos, const uint8_t* p, size_t n) noexcept {
    const size_t o = pos & mask_;
    std::memcpy(buf_.data() + o, p, n);
    mirror(o, n);
  }

 private:
  // Keeps buf[i] == buf[i + capacity] for i < kMaxSpan after writing [o, o+n).
  void mirror(size_t o, size_t n) noexcept {
    uint8_t* b = buf_.data();
    if (o + n > capacity_) std::memcpy(b, b + capacity_, o + n - capacity_);  // wrapped tail
    if (o < kMaxSpan) std::memcpy(b + capacity_ + o, b + o, std::min(n, kMaxSpan - o));
  }

  size_t capacity_, mask_;
  Array<uint8_t> buf_;
  uint64_t end_ = 0;
};

}  // namespace deltaplane::codec::v2
