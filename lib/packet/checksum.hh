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
uint32_t raw_sum(const void* data, size_t len, uint32_t initial = 0) noexcept;  // fast, dispatched

// IPv4 header checksum to store: computed over IHL*4 bytes with the checksum
// field taken as zero. `ip` points at the IPv4 header; IHL is read from it.
uint16_t ipv4_header_checksum_reference(const void* ip) noexcept;
uint16_t ipv4_header_checksum(const void* ip) noexcept;
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
uint16_t ipv4_l4_checksum(const void* ip, const void* l4, uint32_t l4_len, uint8_t proto) noexcept;
uint16_t ipv6_l4_checksum(const void* ip6, const void* l4, uint32_t l4_len, uint8_t proto) noexcept;
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
