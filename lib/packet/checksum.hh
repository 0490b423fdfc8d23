// Internet checksums (RFC 1071): IPv4 header, TCP/UDP/ICMP over IPv4 and IPv6
// with the pseudo-header, and incremental update (RFC 1624). Each comes as a
// plain reference and a fast version (64-bit scalar, AVX2 chosen once at
// start-up). Used by the validator and by engines that fix checksums.
//
// Convention (same as DPDK's rte_ipv4_cksum & co.): sums are taken over
// native-order 16-bit loads, and a returned checksum is the value to store with
// a native 16-bit store (memcpy) into the header. RFC 1071 2(B) makes this
// byte-order independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

// The inline functions below are forced inline: this header is also compiled
// into -mavx2 translation units, and an out-of-line copy emitted there could be
// the one the linker keeps for every caller.
#define DELTAPLANE_CHECKSUM_INLINE [[gnu::always_inline]] inline

namespace deltaplane::packet {

// Fold a wide partial sum to 16 bits with end-around carry (not inverted).
constexpr uint16_t checksum_fold(uint64_t sum) noexcept {
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Partial ones'-complement sum of len bytes added to initial (unfolded; fold
// with checksum_fold). An odd last byte is padded with zero, as RFC 1071 says.
// The result fits in 32 bits after folding; callers may chain calls only at even
// offsets.
uint32_t raw_sum_reference(const void* data, size_t len, uint32_t initial = 0) noexcept;
// Fast: inline below kLongSum bytes, else the AVX2 kernel if the CPU has it.
DELTAPLANE_CHECKSUM_INLINE uint32_t raw_sum(const void* data, size_t len,
                                            uint32_t initial = 0) noexcept;

namespace detail {

// Below this many bytes the inline scalar sum beats the AVX2 kernel (and its call).
inline constexpr size_t kLongSum = 256;

// Out of line: AVX2 or scalar, chosen once (on first use) from the CPU.
uint32_t raw_sum_long(const void* data, size_t len, uint32_t initial) noexcept;
// Out of line: the uncommon cases of the inline functions below.
uint16_t ipv4_header_checksum_any(const void* ip) noexcept;
uint16_t ipv4_l4_checksum_any(const void* ip, const void* l4, uint32_t l4_len,
                              uint8_t proto) noexcept;
uint16_t ipv6_l4_checksum_any(const void* ip6, const void* l4, uint32_t l4_len,
                              uint8_t proto) noexcept;

DELTAPLANE_CHECKSUM_INLINE uint64_t load64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
DELTAPLANE_CHECKSUM_INLINE uint32_t load32(const uint8_t* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
DELTAPLANE_CHECKSUM_INLINE uint16_t load16(const uint8_t* p) noexcept {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// 32-bit halves of a 64-bit word: summed in 64 bits, no carry to track.
DELTAPLANE_CHECKSUM_INLINE uint64_t halves(uint64_t w) noexcept {
  return (w & 0xffffffffu) + (w >> 32);
}

// Adds the native-order 16-bit words of [p, p + len) to s, unfolded (len <
// 2^31). Two chains of 16 bytes per step, then a tail without a loop; an odd
// last byte is zero-padded.
DELTAPLANE_CHECKSUM_INLINE uint64_t sum_short(const uint8_t* p, size_t len, uint64_t s) noexcept {
  uint64_t t = 0;
  for (; len >= 16; p += 16, len -= 16) {
    s += halves(load64(p));
    t += halves(load64(p + 8));
  }
  if (len & 8) {
    s += halves(load64(p));
    p += 8;
  }
  if (len & 4) {
    t += load32(p);
    p += 4;
  }
  if (len & 2) {
    s += load16(p);
    p += 2;
  }
  if (len & 1) t += p[0];
  return s + t;
}

// Pseudo-header sums, unfolded (RFC 793/768; RFC 8200 8.1). The length field
// of the IPv4 one is 16 bits, so l4_len is truncated like the wire field.
DELTAPLANE_CHECKSUM_INLINE uint64_t ipv4_pseudo(const uint8_t* ip, uint8_t proto,
                                                uint32_t l4_len) noexcept {
  return uint64_t{load32(ip + 12)} + load32(ip + 16) + (uint32_t{proto} << 8) +
         __builtin_bswap16(static_cast<uint16_t>(l4_len));
}
DELTAPLANE_CHECKSUM_INLINE uint64_t ipv6_pseudo(const uint8_t* ip6, uint8_t proto,
                                                uint32_t l4_len) noexcept {
  return halves(load64(ip6 + 8)) + halves(load64(ip6 + 16)) + halves(load64(ip6 + 24)) +
         halves(load64(ip6 + 32)) + __builtin_bswap32(l4_len) + (uint32_t{proto} << 8);
}

// TCP/UDP checksum to store, the pseudo-header sum given. The checksum field
// is summed with the rest and then taken out again by adding its complement
// (ones'-complement subtraction): exact, since the sum without it is never
// zero (the pseudo-header holds a nonzero protocol number).
DELTAPLANE_CHECKSUM_INLINE uint16_t tcp_udp_checksum(uint64_t pseudo, const uint8_t* l4,
                                                     uint32_t l4_len, uint8_t proto) noexcept {
  const uint32_t off = proto == 6 ? 16 : 6;
  uint64_t s = l4_len < kLongSum ? sum_short(l4, l4_len, pseudo)
                                 : raw_sum_long(l4, l4_len, checksum_fold(pseudo));
  if (l4_len >= off + 2) [[likely]]
    s += static_cast<uint16_t>(~load16(l4 + off));
  const uint16_t csum = static_cast<uint16_t>(~checksum_fold(s));
  return (proto == 17 && csum == 0) ? 0xffff : csum;
}

}  // namespace detail

DELTAPLANE_CHECKSUM_INLINE uint32_t raw_sum(const void* data, size_t len,
                                            uint32_t initial) noexcept {
  if (len < detail::kLongSum)
    return checksum_fold(detail::sum_short(static_cast<const uint8_t*>(data), len, initial));
  return detail::raw_sum_long(data, len, initial);
}

// IPv4 header checksum to store: computed over IHL*4 bytes with the checksum
// field taken as zero. `ip` points at the IPv4 header; IHL is read from it.
uint16_t ipv4_header_checksum_reference(const void* ip) noexcept;
DELTAPLANE_CHECKSUM_INLINE uint16_t ipv4_header_checksum(const void* ip) noexcept {
  const auto* p = static_cast<const uint8_t*>(ip);
  if (p[0] != 0x45) [[unlikely]]
    return detail::ipv4_header_checksum_any(ip);
  // The common 20-byte header, checksum field (bytes 10..11) skipped.
  const uint64_t sum = detail::halves(detail::load64(p)) + detail::load16(p + 8) +
                       detail::halves(detail::load64(p + 12));
  return static_cast<uint16_t>(~checksum_fold(sum));
}
// True if the header (checksum field included) sums to 0xffff.
bool ipv4_header_checksum_ok(const void* ip) noexcept;

// Pseudo-header partial sums (RFC 793/768 for IPv4, RFC 8200 8.1 for IPv6).
// l4_len is the upper-layer length (TCP segment / UDP length / ICMPv6 message).
uint32_t ipv4_pseudo_sum(const void* ip, uint8_t proto, uint32_t l4_len) noexcept;
uint32_t ipv6_pseudo_sum(const void* ip6, uint8_t proto, uint32_t l4_len) noexcept;

// L4 checksum to store for the l4_len bytes at l4, with the checksum field
// (at csum_off inside the L4 header: 16 for TCP, 6 for UDP, 2 for ICMP)
// taken as zero. For UDP a result of 0 is returned as 0xffff (RFC 768).
// ip/ip6 point at the IP header (for the pseudo-header).
// TCP and UDP are inline (pseudo-header and data summed in one pass); other
// protocols are out of line.
DELTAPLANE_CHECKSUM_INLINE uint16_t ipv4_l4_checksum(const void* ip, const void* l4,
                                                     uint32_t l4_len, uint8_t proto) noexcept {
  if (proto != 6 && proto != 17) [[unlikely]]
    return detail::ipv4_l4_checksum_any(ip, l4, l4_len, proto);
  return detail::tcp_udp_checksum(
      detail::ipv4_pseudo(static_cast<const uint8_t*>(ip), proto, l4_len),
      static_cast<const uint8_t*>(l4), l4_len, proto);
}
DELTAPLANE_CHECKSUM_INLINE uint16_t ipv6_l4_checksum(const void* ip6, const void* l4,
                                                     uint32_t l4_len, uint8_t proto) noexcept {
  if (proto != 6 && proto != 17) [[unlikely]]
    return detail::ipv6_l4_checksum_any(ip6, l4, l4_len, proto);
  return detail::tcp_udp_checksum(
      detail::ipv6_pseudo(static_cast<const uint8_t*>(ip6), proto, l4_len),
      static_cast<const uint8_t*>(l4), l4_len, proto);
}
uint16_t ipv4_l4_checksum_reference(const void* ip, const void* l4, uint32_t l4_len,
                                    uint8_t proto) noexcept;
uint16_t ipv6_l4_checksum_reference(const void* ip6, const void* l4, uint32_t l4_len,
                                    uint8_t proto) noexcept;
// True if the L4 checksum as stored verifies (pseudo-header + data == 0xffff).
// UDP over IPv4 with checksum 0 ("none") is reported as ok here.
bool ipv4_l4_checksum_ok(const void* ip, const void* l4, uint32_t l4_len, uint8_t proto) noexcept;
bool ipv6_l4_checksum_ok(const void* ip6, const void* l4, uint32_t l4_len, uint8_t proto) noexcept;

// Offset of the checksum field inside the L4 header, or -1 if the protocol has
// no Internet checksum we handle (TCP 16, UDP 6, ICMP/ICMPv6 2).
constexpr int l4_checksum_offset(uint8_t proto) noexcept {
  return proto == 6 ? 16 : proto == 17 ? 6 : (proto == 1 || proto == 58) ? 2 : -1;
}

// Incremental update (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')) when the 16-bit
// word old_word (native order, as loaded) becomes new_word.
constexpr uint16_t checksum_adjust16(uint16_t csum, uint16_t old_word, uint16_t new_word) noexcept {
  const uint32_t sum = static_cast<uint16_t>(~csum) +
                       static_cast<uint32_t>(static_cast<uint16_t>(~old_word)) + new_word;
  return static_cast<uint16_t>(~checksum_fold(sum));
}
// Same for an even-length run of bytes (e.g. a 4- or 16-byte address) at an
// even offset that changed from old_bytes to new_bytes.
uint16_t checksum_adjust(uint16_t csum, const void* old_bytes, const void* new_bytes,
                         size_t len) noexcept;

}  // namespace deltaplane::packet
