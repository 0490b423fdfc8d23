// The fast zero-run coder and XOR kernel, written once over a vector-traits
// type V and instantiated per ISA in kernels_<isa>.cc (each compiled with its
// own -m flags). Include only from those files.
//
// V provides: Vec, kWidth, load/store (unaligned), zero(), bxor, bor,
// zero_bits / nonzero_bits (one flag per byte), first(bits) (byte index of the
// lowest flag, bits != 0), drop(bits, k) (forget the flags of the first k
// bytes, k < kWidth) and run3(lo, hi) (given zero flags of two consecutive
// windows, flags of the positions in `lo` where three zero bytes start).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "codec/status.hh"
#include "codec/zero_run.hh"

namespace deltaplane::codec::detail {

// Reads the delta bytes straight from the input buffer.
template <class V>
struct PlainSource {
  const std::uint8_t* a;
  std::size_t n;

  typename V::Vec load(std::size_t p) const noexcept { return V::load(a + p); }
  std::uint8_t at(std::size_t p) const noexcept { return a[p]; }
  void copy(std::uint8_t* dst, std::size_t p, std::size_t len,
            const std::uint8_t* dst_end) const noexcept {
    constexpr std::size_t W = V::kWidth;
    // Short literals (the common case) in one store when both sides have room.
    if (len <= W && p + W <= n && dst + W <= dst_end) [[likely]] {
      V::store(dst, V::load(a + p));
      return;
    }
    std::memcpy(dst, a + p, len);
  }
};

// Reads frame ^ key on the fly; key bytes at or past m count as zero.
template <class V>
struct XorSource {
  const std::uint8_t* a;
  const std::uint8_t* k;
  std::size_t n;
  std::size_t m;

  typename V::Vec load(std::size_t p) const noexcept {
    constexpr std::size_t W = V::kWidth;
    if (p + W <= m) [[likely]]
      return V::bxor(V::load(a + p), V::load(k + p));
    if (p >= m) return V::load(a + p);
    return load_straddling(p);
  }
  [[gnu::noinline]] typename V::Vec load_straddling(std::size_t p) const noexcept {
    alignas(64) std::uint8_t tmp[V::kWidth] = {};
    std::memcpy(tmp, k + p, m - p);
    return V::bxor(V::load(a + p), V::load(tmp));
  }
  std::uint8_t at(std::size_t p) const noexcept {
    return static_cast<std::uint8_t>(a[p] ^ (p < m ? k[p] : 0));
  }
  void copy(std::uint8_t* dst, std::size_t p, std::size_t len,
            const std::uint8_t* dst_end) const noexcept {
    constexpr std::size_t W = V::kWidth;
    if (len <= W && p + W <= n && dst + W <= dst_end) [[likely]] {
      V::store(dst, load(p));
      return;
    }
    std::size_t i = 0;
    for (; i + W <= len; i += W)
      V::store(dst + i, load(p + i));
    for (; i < len; ++i)
      dst[i] = at(p + i);
  }
};

// First index >= p of a non-zero byte, or n.
template <class V, class Src>
std::size_t find_nonzero(const Src& src, std::size_t p, std::size_t n) noexcept {
  constexpr std::size_t W = V::kWidth;
  std::size_t q = p;
  // Long zero runs are the common case: test four windows per branch.
  for (; q + 4 * W <= n; q += 4 * W) {
    const auto v = V::bor(V::bor(src.load(q), src.load(q + W)),
                          V::bor(src.load(q + 2 * W), src.load(q + 3 * W)));
    if (V::nonzero_bits(v) != 0) break;
  }
  for (; q + W <= n; q += W) {
    const auto bits = V::nonzero_bits(src.load(q));
    if (bits != 0) return q + V::first(bits);
  }
  if (q < n) {
    if (n >= W) {
      // The last window overlaps bytes already seen; forget their flags.
      const std::size_t base = n - W;
      const auto bits = V::drop(V::nonzero_bits(src.load(base)), q - base);
      if (bits != 0) return q + V::first(bits);
    } else {
      for (; q < n; ++q) {
        if (src.at(q) != 0) return q;
      }
    }
  }
  return n;
}

// First index q >= p where kMinZeroRun (3) zero bytes start, or n.
template <class V, class Src>
std::size_t find_literal_end(const Src& src, std::size_t p, std::size_t n) noexcept {
  static_assert(kMinZeroRun == 3, "The scan looks for three zero bytes in a row.");
  constexpr std::size_t W = V::kWidth;
  std::size_t q = p;
  if (q + 2 * W <= n) {
    // One new window per step: its flags serve as `hi` now and as `lo` next.
    auto lo = V::zero_bits(src.load(q));
    for (; q + 2 * W <= n; q += W) {
      const auto hi = V::zero_bits(src.load(q + W));
      const auto bits = V::run3(lo, hi);
      if (bits != 0) return q + V::first(bits);
      lo = hi;
    }
  }
  for (; q + W + 2 <= n; q += W) {
    const auto v = V::bor(V::bor(src.load(q), src.load(q + 1)), src.load(q + 2));
    const auto bits = V::zero_bits(v);
    if (bits != 0) return q + V::first(bits);
  }
  if (q + 2 < n) {
    if (n >= W + 2) {
      const std::size_t base = n - W - 2;
      const auto v = V::bor(V::bor(src.load(base), src.load(base + 1)), src.load(base + 2));
      const auto bits = V::drop(V::zero_bits(v), q - base);
      if (bits != 0) return q + V::first(bits);
    } else {
      for (; q + 2 < n; ++q) {
        if ((src.at(q) | src.at(q + 1) | src.at(q + 2)) == 0) return q;
      }
    }
  }
  return n;
}

template <class V, class Src>
std::size_t encode(const Src& src, std::size_t n, std::uint8_t* out,
                   std::size_t capacity) noexcept {
  if (n == 0 || n > kZeroRunMaxInput) return 0;
  std::uint8_t* o = out;
  const std::uint8_t* const end = out + capacity;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t lit = find_nonzero<V>(src, pos, n);
    const auto zeros = static_cast<std::uint32_t>(lit - pos);
    if (lit == n) {
      if (varint_size(zeros) + 1 > static_cast<std::size_t>(end - o)) return 0;
      o = put_varint(o, zeros);
      *o++ = 0;
      break;
    }
    const std::size_t lit_end = find_literal_end<V>(src, lit + 1, n);
    const auto len = static_cast<std::uint32_t>(lit_end - lit);
    if ((zeros | len) < 0x80) [[likely]] {
      // Both lengths fit one varint byte: the usual pair of a sparse delta.
      if (2 + len > static_cast<std::size_t>(end - o)) return 0;
      o[0] = static_cast<std::uint8_t>(zeros);
      o[1] = static_cast<std::uint8_t>(len);
      o += 2;
    } else {
      if (varint_size(zeros) + varint_size(len) + len > static_cast<std::size_t>(end - o)) {
        return 0;
      }
      o = put_varint(o, zeros);
      o = put_varint(o, len);
    }
    src.copy(o, lit, len, end);
    o += len;
    pos = lit_end;
    if (pos == n) break;
  }
  return static_cast<std::size_t>(o - out);
}

// Writes decoded runs to out: zeros, then literals copied from the body.
template <class V>
struct PlainSink {
  std::uint8_t* out;
  std::size_t n;

  void zeros(std::size_t p, std::size_t len) const noexcept {
    constexpr std::size_t W = V::kWidth;
    // Runs are written in order, so a store past the run is overwritten later.
    if (len <= W && p + W <= n) [[likely]] {
      V::store(out + p, V::zero());
      return;
    }
    std::memset(out + p, 0, len);
  }
  void literal(std::size_t p, const std::uint8_t* src, std::size_t len,
               const std::uint8_t* src_end) const noexcept {
    constexpr std::size_t W = V::kWidth;
    if (len <= W && p + W <= n && src + W <= src_end) [[likely]] {
      V::store(out + p, V::load(src));
      return;
    }
    std::memcpy(out + p, src, len);
  }
};

// Writes decoded runs XORed with the key (zero past m): a zero run copies the
// key, a literal is XORed with it.
template <class V>
struct XorSink {
  std::uint8_t* out;
  std::size_t n;
  const std::uint8_t* key;
  std::size_t m;

  void zeros(std::size_t p, std::size_t len) const noexcept {
    constexpr std::size_t W = V::kWidth;
    if (len <= W && p + W <= n && p + W <= m) [[likely]] {
      V::store(out + p, V::load(key + p));
      return;
    }
    const std::size_t from_key = p >= m ? 0 : (len < m - p ? len : m - p);
    if (from_key != 0) std::memcpy(out + p, key + p, from_key);
    std::memset(out + p + from_key, 0, len - from_key);
  }
  void literal(std::size_t p, const std::uint8_t* src, std::size_t len,
               const std::uint8_t* src_end) const noexcept {
    constexpr std::size_t W = V::kWidth;
    if (len <= W && p + W <= n && p + W <= m && src + W <= src_end) [[likely]] {
      V::store(out + p, V::bxor(V::load(src), V::load(key + p)));
      return;
    }
    std::size_t i = 0;
    for (; i + W <= len && p + i + W <= m; i += W) {
      V::store(out + p + i, V::bxor(V::load(src + i), V::load(key + p + i)));
    }
    for (; i < len; ++i) {
      out[p + i] = static_cast<std::uint8_t>(src[i] ^ (p + i < m ? key[p + i] : 0));
    }
  }
};

template <class Sink>
ZeroRunStatus decode(const std::uint8_t* in, std::size_t in_len, const Sink& sink,
                     std::size_t n) noexcept {
  const std::uint8_t* p = in;
  const std::uint8_t* const end = in + in_len;
  std::size_t pos = 0;
  while (pos < n) {
    std::uint32_t zeros = 0;
    std::uint32_t len = 0;
    if (auto s = get_varint(&p, end, &zeros); s != ZeroRunStatus::ok) [[unlikely]]
      return s;
    if (auto s = get_varint(&p, end, &len); s != ZeroRunStatus::ok) [[unlikely]]
      return s;
    if ((zeros | len) == 0) [[unlikely]]
      return ZeroRunStatus::empty_pair;
    if (zeros > n - pos) [[unlikely]]
      return ZeroRunStatus::overrun;
    if (zeros != 0) sink.zeros(pos, zeros);
    pos += zeros;
    if (len > n - pos) [[unlikely]]
      return ZeroRunStatus::overrun;
    if (len > static_cast<std::size_t>(end - p)) [[unlikely]]
      return ZeroRunStatus::truncated;
    if (len != 0) sink.literal(pos, p, len, end);
    p += len;
    pos += len;
  }
  return p == end ? ZeroRunStatus::ok : ZeroRunStatus::trailing;
}

// out = a ^ b; loads of each step precede its stores, so out may be a or b.
template <class V>
void xor_kernel(std::uint8_t* out, const std::uint8_t* a, const std::uint8_t* b,
                std::size_t n) noexcept {
  constexpr std::size_t W = V::kWidth;
  std::size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    const auto x0 = V::bxor(V::load(a + i), V::load(b + i));
    const auto x1 = V::bxor(V::load(a + i + W), V::load(b + i + W));
    const auto x2 = V::bxor(V::load(a + i + 2 * W), V::load(b + i + 2 * W));
    const auto x3 = V::bxor(V::load(a + i + 3 * W), V::load(b + i + 3 * W));
    V::store(out + i, x0);
    V::store(out + i + W, x1);
    V::store(out + i + 2 * W, x2);
    V::store(out + i + 3 * W, x3);
  }
  for (; i + W <= n; i += W)
    V::store(out + i, V::bxor(V::load(a + i), V::load(b + i)));
  // Tail in halving word sizes; an overlapping last vector would be wrong in place.
  if constexpr (W > 16) {
    if (i + 16 <= n) {
      V::xor16(out + i, a + i, b + i);
      i += 16;
    }
  }
  if constexpr (W > 8) {
    if (i + 8 <= n) {
      std::uint64_t x;
      std::uint64_t y;
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      x ^= y;
      std::memcpy(out + i, &x, 8);
      i += 8;
    }
  }
  if (i + 4 <= n) {
    std::uint32_t x;
    std::uint32_t y;
    std::memcpy(&x, a + i, 4);
    std::memcpy(&y, b + i, 4);
    x ^= y;
    std::memcpy(out + i, &x, 4);
    i += 4;
  }
  for (; i < n; ++i)
    out[i] = static_cast<std::uint8_t>(a[i] ^ b[i]);
}

// The five entry points of one level, as plain functions for the table.
template <class V>
struct KernelSet {
  static void xor_delta(std::uint8_t* out, const std::uint8_t* a, const std::uint8_t* b,
                        std::size_t n) noexcept {
    xor_kernel<V>(out, a, b, n);
  }
  static std::size_t zero_run_encode(const std::uint8_t* in, std::size_t n, std::uint8_t* out,
                                     std::size_t capacity) noexcept {
    return encode<V>(PlainSource<V>{in, n}, n, out, capacity);
  }
  static std::size_t xor_zero_run_encode(const std::uint8_t* frame, std::size_t n,
                                         const std::uint8_t* key, std::size_t key_len,
                                         std::uint8_t* out, std::size_t capacity) noexcept {
    return encode<V>(XorSource<V>{frame, key, n, key_len < n ? key_len : n}, n, out, capacity);
  }
  static ZeroRunStatus zero_run_decode(const std::uint8_t* in, std::size_t in_len,
                                       std::uint8_t* out, std::size_t n) noexcept {
    return decode(in, in_len, PlainSink<V>{out, n}, n);
  }
  static ZeroRunStatus zero_run_decode_xor(const std::uint8_t* in, std::size_t in_len,
                                           const std::uint8_t* key, std::size_t key_len,
                                           std::uint8_t* out, std::size_t n) noexcept {
    return decode(in, in_len, XorSink<V>{out, n, key, key_len < n ? key_len : n}, n);
  }
};

}  // namespace deltaplane::codec::detail
