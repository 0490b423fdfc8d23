// Reference and portable fast Internet checksums; the AVX2 sum is in
// checksum_avx2.cc and is picked once, on first use, from the CPU level.
#include "packet/checksum.hh"

#include <bit>

#include "packet/detail/kernels.hh"
#include "packet/protocol.hh"

namespace deltaplane::packet {

static_assert(std::endian::native == std::endian::little,
              "The checksum code folds native-order words and assumes a little-endian CPU.");

uint32_t raw_sum_reference(const void* data, size_t len, uint32_t initial) noexcept {
  // RFC 1071 4.1, one 16-bit word at a time.
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t sum = initial;
  size_t i = 0;
  for (; i + 1 < len; i += 2)
    sum += load_u16(p + i);
  if (i < len) sum += p[i];  // odd byte, zero-padded (low byte on little-endian)
  return checksum_fold(sum);
}

namespace detail {

uint32_t raw_sum_scalar(const void* data, size_t len, uint32_t initial) noexcept {
  // Sum 32-bit halves of 64-bit loads into four 64-bit accumulators: no
  // carries to track, no overflow below 2^31 iterations, and independent
  // chains for the CPU to overlap.
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t s0 = initial, s1 = 0, s2 = 0, s3 = 0;
  while (len >= 32) {
    const uint64_t a = load_u64(p), b = load_u64(p + 8), c = load_u64(p + 16), d = load_u64(p + 24);
    s0 += (a & 0xffffffffu) + (a >> 32);
    s1 += (b & 0xffffffffu) + (b >> 32);
    s2 += (c & 0xffffffffu) + (c >> 32);
    s3 += (d & 0xffffffffu) + (d >> 32);
    p += 32;
    len -= 32;
  }
  while (len >= 8) {
    const uint64_t a = load_u64(p);
    s0 += (a & 0xffffffffu) + (a >> 32);
    p += 8;
    len -= 8;
  }
  if (len >= 4) {
    s1 += load_u32(p);
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    s2 += load_u16(p);
    p += 2;
    len -= 2;
  }
  if (len) s3 += p[0];
  return checksum_fold(s0 + s1 + s2 + s3);
}

}  // namespace detail

namespace {

using SumFn = uint32_t (*)(const void*, size_t, uint32_t) noexcept;

SumFn pick_sum() noexcept {
  return best_simd_level() == SimdLevel::kAvx2 ? &detail::raw_sum_avx2 : &detail::raw_sum_scalar;
}

inline uint16_t ihl_bytes(const void* ip) noexcept {
  return static_cast<uint16_t>((static_cast<const uint8_t*>(ip)[0] & 0x0f) * 4);
}

inline uint16_t to_wire(uint16_t host) noexcept {
  return __builtin_bswap16(host);
}

// Sum with the 16-bit checksum field at csum_off taken as zero.
template <auto Sum>
uint32_t sum_skipping(const uint8_t* p, size_t len, size_t csum_off, uint32_t initial) noexcept {
  if (len < csum_off + 2) return Sum(p, len, initial);
  return Sum(p + csum_off + 2, len - csum_off - 2, Sum(p, csum_off, initial));
}

template <auto Sum>
uint16_t l4_checksum(uint32_t pseudo, const void* l4, uint32_t l4_len, uint8_t proto) noexcept {
  const int off = l4_checksum_offset(proto);
  const uint32_t sum =
      sum_skipping<Sum>(static_cast<const uint8_t*>(l4), l4_len, off < 0 ? l4_len : off, pseudo);
  const uint16_t csum = static_cast<uint16_t>(~checksum_fold(sum));
  return (proto == kProtoUdp && csum == 0) ? 0xffff : csum;
}

}  // namespace

uint32_t detail::raw_sum_long(const void* data, size_t len, uint32_t initial) noexcept {
  static const SumFn fn = pick_sum();
  return fn(data, len, initial);
}

uint16_t ipv4_header_checksum_reference(const void* ip) noexcept {
  const auto* p = static_cast<const uint8_t*>(ip);
  uint64_t sum = 0;
  for (size_t i = 0; i < ihl_bytes(ip); i += 2) {
    if (i != 10) sum += load_u16(p + i);  // the checksum field counts as zero
  }
  return static_cast<uint16_t>(~checksum_fold(sum));
}

uint16_t detail::ipv4_header_checksum_any(const void* ip) noexcept {
  const auto* p = static_cast<const uint8_t*>(ip);
  return static_cast<uint16_t>(
      ~checksum_fold(sum_skipping<detail::raw_sum_scalar>(p, ihl_bytes(ip), 10, 0)));
}

bool ipv4_header_checksum_ok(const void* ip) noexcept {
  const auto* p = static_cast<const uint8_t*>(ip);
  if (p[0] == 0x45) {
    const uint64_t sum = uint64_t{load_u32(p)} + load_u32(p + 4) + load_u32(p + 8) +
                         load_u32(p + 12) + load_u32(p + 16);
    return checksum_fold(sum) == 0xffff;
  }
  return checksum_fold(detail::raw_sum_scalar(ip, ihl_bytes(ip), 0)) == 0xffff;
}

uint32_t ipv4_pseudo_sum(const void* ip, uint8_t proto, uint32_t l4_len) noexcept {
  const auto* p = static_cast<const uint8_t*>(ip);
  uint64_t sum = uint64_t{load_u32(p + 12)} + load_u32(p + 16);  // source, destination
  sum += to_wire(proto) + to_wire(static_cast<uint16_t>(l4_len));
  return checksum_fold(sum);
}

uint32_t ipv6_pseudo_sum(const void* ip6, uint8_t proto, uint32_t l4_len) noexcept {
  const auto* p = static_cast<const uint8_t*>(ip6);
  uint64_t sum = 0;
  for (int i = 8; i < 40; i += 8) {  // source and destination addresses
    const uint64_t w = load_u64(p + i);
    sum += (w & 0xffffffffu) + (w >> 32);
  }
  sum += to_wire(static_cast<uint16_t>(l4_len >> 16)) + to_wire(static_cast<uint16_t>(l4_len)) +
         to_wire(proto);
  return checksum_fold(sum);
}

uint16_t detail::ipv4_l4_checksum_any(const void* ip, const void* l4, uint32_t l4_len,
                                      uint8_t proto) noexcept {
  const uint32_t pseudo = proto == kProtoIcmp ? 0 : ipv4_pseudo_sum(ip, proto, l4_len);
  return l4_checksum<raw_sum>(pseudo, l4, l4_len, proto);
}

uint16_t detail::ipv6_l4_checksum_any(const void* ip6, const void* l4, uint32_t l4_len,
                                      uint8_t proto) noexcept {
  return l4_checksum<raw_sum>(ipv6_pseudo_sum(ip6, proto, l4_len), l4, l4_len, proto);
}

uint16_t ipv4_l4_checksum_reference(const void* ip, const void* l4, uint32_t l4_len,
                                    uint8_t proto) noexcept {
  // Pseudo-header spelled out byte by byte (RFC 793 3.1, RFC 768).
  const auto* p = static_cast<const uint8_t*>(ip);
  uint8_t pseudo[12] = {p[12],
                        p[13],
                        p[14],
                        p[15],
                        p[16],
                        p[17],
                        p[18],
                        p[19],
                        0,
                        proto,
                        static_cast<uint8_t>(l4_len >> 8),
                        static_cast<uint8_t>(l4_len)};
  const uint32_t init = proto == kProtoIcmp ? 0 : raw_sum_reference(pseudo, sizeof pseudo);
  return l4_checksum<raw_sum_reference>(init, l4, l4_len, proto);
}

uint16_t ipv6_l4_checksum_reference(const void* ip6, const void* l4, uint32_t l4_len,
                                    uint8_t proto) noexcept {
  // RFC 8200 8.1: source, destination, 32-bit length, 3 zero bytes, next header.
  const auto* p = static_cast<const uint8_t*>(ip6);
  uint8_t pseudo[40] = {};
  for (int i = 0; i < 32; ++i)
    pseudo[i] = p[8 + i];
  pseudo[32] = static_cast<uint8_t>(l4_len >> 24);
  pseudo[33] = static_cast<uint8_t>(l4_len >> 16);
  pseudo[34] = static_cast<uint8_t>(l4_len >> 8);
  pseudo[35] = static_cast<uint8_t>(l4_len);
  pseudo[39] = proto;
  return l4_checksum<raw_sum_reference>(raw_sum_reference(pseudo, sizeof pseudo), l4, l4_len,
                                        proto);
}

bool ipv4_l4_checksum_ok(const void* ip, const void* l4, uint32_t l4_len, uint8_t proto) noexcept {
  const auto* q = static_cast<const uint8_t*>(l4);
  if (proto == kProtoUdp && l4_len >= kUdpHeaderLen && load_u16(q + 6) == 0) return true;
  const uint32_t pseudo = proto == kProtoIcmp ? 0 : ipv4_pseudo_sum(ip, proto, l4_len);
  return checksum_fold(raw_sum(l4, l4_len, pseudo)) == 0xffff;
}

bool ipv6_l4_checksum_ok(const void* ip6, const void* l4, uint32_t l4_len, uint8_t proto) noexcept {
  return checksum_fold(raw_sum(l4, l4_len, ipv6_pseudo_sum(ip6, proto, l4_len))) == 0xffff;
}

uint16_t checksum_adjust(uint16_t csum, const void* old_bytes, const void* new_bytes,
                         size_t len) noexcept {
  const uint32_t old_sum = checksum_fold(detail::raw_sum_scalar(old_bytes, len, 0));
  const uint64_t sum = uint64_t{static_cast<uint16_t>(~csum)} + static_cast<uint16_t>(~old_sum) +
                       detail::raw_sum_scalar(new_bytes, len, 0);
  return static_cast<uint16_t>(~checksum_fold(sum));
}

}  // namespace deltaplane::packet
