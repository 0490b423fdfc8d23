// Zero-run coding of an XOR delta, which is mostly zeros. The byte format
// (docs/wire-format.md, "Zero-run body"):
//
//   body := pair*        pair := varint(zero_run) varint(literal_len) literal[literal_len]
//
// varint is unsigned LEB128, at most 5 bytes, value < 2^32. Decoding a pair
// emits zero_run zero bytes, then the literal bytes; the body ends exactly when
// the expected length is reached. The encoding is canonical: a literal ends
// only where at least kMinZeroRun zero bytes follow (shorter zero gaps cost
// less as literal bytes than as a new pair), so every encoder here produces the
// same bytes as the reference in codec/reference.hh.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/detail/kernels.hh"
#include "codec/status.hh"

namespace deltaplane::codec {

// Zero gaps shorter than this stay inside a literal.
inline constexpr std::size_t kMinZeroRun = 3;
inline constexpr std::size_t kMaxVarintSize = 5;
// Longest input the coder accepts (run lengths are 32-bit).
inline constexpr std::size_t kZeroRunMaxInput = 0xFFFFFFFFu;

// An output capacity that always suffices for n input bytes.
[[nodiscard]] constexpr std::size_t zero_run_bound(std::size_t n) noexcept {
  return n + 1 + kMaxVarintSize;
}

// Encodes in[0, n) into out. Returns the body size, or 0 when the body would
// exceed `capacity` (the caller then sends the frame unencoded) or n exceeds
// kZeroRunMaxInput. An empty input has the empty body, so 0 is also its size.
// Bytes of out[0, capacity) past the returned size may be overwritten.
[[nodiscard]] inline std::size_t zero_run_encode(const std::uint8_t* in, std::size_t n,
                                                 std::uint8_t* out, std::size_t capacity) noexcept {
  return detail::active_kernels().zero_run_encode(in, n, out, capacity);
}

// Fused XOR + encode: encodes the delta frame ^ key without a temporary buffer.
// Key bytes at or past key_len count as zero (a shorter keyframe), key bytes
// past n are ignored (a longer one). Same result and contract as
// zero_run_encode on the XORed buffer.
[[nodiscard]] inline std::size_t xor_zero_run_encode(const std::uint8_t* frame, std::size_t n,
                                                     const std::uint8_t* key, std::size_t key_len,
                                                     std::uint8_t* out,
                                                     std::size_t capacity) noexcept {
  return detail::active_kernels().xor_zero_run_encode(frame, n, key, key_len, out, capacity);
}

// Decodes in[0, in_len) into exactly n bytes of out. Never reads or writes out
// of bounds; on any error out[0, n) holds unspecified bytes.
[[nodiscard]] inline ZeroRunStatus zero_run_decode(const std::uint8_t* in, std::size_t in_len,
                                                   std::uint8_t* out, std::size_t n) noexcept {
  return detail::active_kernels().zero_run_decode(in, in_len, out, n);
}

// Fused decode + XOR: out = decode(in) ^ key, key zero-extended past key_len.
[[nodiscard]] inline ZeroRunStatus zero_run_decode_xor(const std::uint8_t* in, std::size_t in_len,
                                                       const std::uint8_t* key, std::size_t key_len,
                                                       std::uint8_t* out, std::size_t n) noexcept {
  return detail::active_kernels().zero_run_decode_xor(in, in_len, key, key_len, out, n);
}

namespace detail {

// Always inlined: the per-ISA kernel files include these, and an out-of-line
// copy compiled with -mavx2 must never be the one the linker keeps.
[[nodiscard, gnu::always_inline]] constexpr std::size_t varint_size(std::uint32_t v) noexcept {
  std::size_t s = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++s;
  }
  return s;
}

// Caller guarantees varint_size(v) bytes of room.
[[gnu::always_inline]] inline std::uint8_t* put_varint(std::uint8_t* p, std::uint32_t v) noexcept {
  while (v >= 0x80) {
    *p++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<std::uint8_t>(v);
  return p;
}

// Reads one varint from [*p, end); advances *p on success.
[[gnu::always_inline]] inline ZeroRunStatus get_varint(const std::uint8_t** p,
                                                       const std::uint8_t* end,
                                                       std::uint32_t* v) noexcept {
  const std::uint8_t* q = *p;
  if (q == end) return ZeroRunStatus::truncated;
  std::uint32_t b = *q++;
  if (b < 0x80) [[likely]] {
    *p = q;
    *v = b;
    return ZeroRunStatus::ok;
  }
  std::uint32_t r = b & 0x7F;
  for (unsigned shift = 7; shift < 35; shift += 7) {
    if (q == end) return ZeroRunStatus::truncated;
    b = *q++;
    // The fifth byte may carry only the top 4 bits of a 32-bit value.
    if (shift == 28 && b > 0x0F) return ZeroRunStatus::bad_varint;
    r |= (b & 0x7F) << shift;
    if (b < 0x80) {
      *p = q;
      *v = r;
      return ZeroRunStatus::ok;
    }
  }
  return ZeroRunStatus::bad_varint;
}

}  // namespace detail
}  // namespace deltaplane::codec
