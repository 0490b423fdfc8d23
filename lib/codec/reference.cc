#include "codec/reference.hh"

#include "codec/zero_run.hh"

namespace deltaplane::codec::ref {

void xor_delta(std::uint8_t* out, const std::uint8_t* a, const std::uint8_t* b,
               std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::uint8_t>(a[i] ^ b[i]);
}

namespace {

bool zero_gap_at(const std::uint8_t* in, std::size_t n, std::size_t i) noexcept {
  if (i + kMinZeroRun > n) return false;
  for (std::size_t k = 0; k < kMinZeroRun; ++k) {
    if (in[i + k] != 0) return false;
  }
  return true;
}

}  // namespace

std::size_t zero_run_encode(const std::uint8_t* in, std::size_t n, std::uint8_t* out,
                            std::size_t capacity) noexcept {
  if (n == 0 || n > kZeroRunMaxInput) return 0;
  std::size_t o = 0;
  std::size_t i = 0;
  while (i < n) {
    std::size_t zeros = 0;
    while (i < n && in[i] == 0) {
      ++zeros;
      ++i;
    }
    const std::size_t lit_start = i;
    // A literal starts at a non-zero byte and ends where kMinZeroRun zeros begin.
    if (i < n) {
      ++i;
      while (i < n && !zero_gap_at(in, n, i))
        ++i;
    }
    const std::size_t lit_len = i - lit_start;
    const auto z = static_cast<std::uint32_t>(zeros);
    const auto l = static_cast<std::uint32_t>(lit_len);
    if (o + detail::varint_size(z) + detail::varint_size(l) + lit_len > capacity) return 0;
    o = static_cast<std::size_t>(detail::put_varint(out + o, z) - out);
    o = static_cast<std::size_t>(detail::put_varint(out + o, l) - out);
    for (std::size_t k = 0; k < lit_len; ++k)
      out[o++] = in[lit_start + k];
  }
  return o;
}

ZeroRunStatus zero_run_decode(const std::uint8_t* in, std::size_t in_len, std::uint8_t* out,
                              std::size_t n) noexcept {
  const std::uint8_t* p = in;
  const std::uint8_t* const end = in + in_len;
  std::size_t o = 0;
  while (o < n) {
    std::uint32_t zeros = 0;
    std::uint32_t lit = 0;
    if (auto s = detail::get_varint(&p, end, &zeros); s != ZeroRunStatus::ok) return s;
    if (auto s = detail::get_varint(&p, end, &lit); s != ZeroRunStatus::ok) return s;
    if (zeros == 0 && lit == 0) return ZeroRunStatus::empty_pair;
    if (zeros > n - o) return ZeroRunStatus::overrun;
    for (std::uint32_t k = 0; k < zeros; ++k)
      out[o++] = 0;
    if (lit > n - o) return ZeroRunStatus::overrun;
    if (lit > static_cast<std::size_t>(end - p)) return ZeroRunStatus::truncated;
    for (std::uint32_t k = 0; k < lit; ++k)
      out[o++] = *p++;
  }
  return p == end ? ZeroRunStatus::ok : ZeroRunStatus::trailing;
}

namespace {

std::uint32_t crc_reflected(std::uint32_t poly, const void* data, std::size_t n,
                            std::uint32_t prev) noexcept {
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint32_t crc = ~prev;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int b = 0; b < 8; ++b)
      crc = (crc >> 1) ^ (poly & (0u - (crc & 1u)));
  }
  return ~crc;
}

}  // namespace

std::uint32_t crc32c(const void* data, std::size_t n, std::uint32_t prev) noexcept {
  return crc_reflected(0x82F63B78u, data, n, prev);  // Castagnoli, reflected
}

std::uint32_t crc32(const void* data, std::size_t n, std::uint32_t prev) noexcept {
  return crc_reflected(0xEDB88320u, data, n, prev);  // IEEE 802.3, reflected
}

std::uint32_t adler32(const void* data, std::size_t n, std::uint32_t prev) noexcept {
  constexpr std::uint32_t kMod = 65521;
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint32_t a = prev & 0xFFFF;
  std::uint32_t b = prev >> 16;
  for (std::size_t i = 0; i < n; ++i) {
    a = (a + p[i]) % kMod;
    b = (b + a) % kMod;
  }
  return (b << 16) | a;
}

}  // namespace deltaplane::codec::ref
