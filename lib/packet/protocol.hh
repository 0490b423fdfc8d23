// Wire constants of the protocols the validator understands, and unaligned
// big-endian loads. Frames are plain byte arrays: no struct overlays, so no
// alignment or aliasing assumptions about where a frame starts.
#pragma once

#include <cstdint>
#include <cstring>

namespace deltaplane::packet {

inline constexpr uint32_t kEthHeaderLen = 14;
inline constexpr uint32_t kVlanTagLen = 4;
inline constexpr uint32_t kIpv4MinHeaderLen = 20;
inline constexpr uint32_t kIpv6HeaderLen = 40;
inline constexpr uint32_t kTcpMinHeaderLen = 20;
inline constexpr uint32_t kUdpHeaderLen = 8;
inline constexpr uint32_t kIcmpHeaderLen = 8;
inline constexpr uint32_t kSctpHeaderLen = 12;

// VLAN tags accepted in one stack (802.1Q, or QinQ outer + inner). A deeper
// stack is dropped as vlan_too_deep: real QinQ never needs more, and a bound
// keeps the parse O(1).
inline constexpr uint32_t kMaxVlanDepth = 2;
// IPv6 extension headers followed before the upper-layer header. RFC 8200
// section 4.1 recommends an order in which each type appears at most once
// (destination options twice), so 8 leaves room; more is ipv6_ext_too_long.
inline constexpr uint32_t kMaxIpv6ExtHeaders = 8;

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;      // 802.1Q C-tag
inline constexpr uint16_t kEtherTypeQinq = 0x88a8;      // 802.1ad S-tag
inline constexpr uint16_t kEtherTypeQinq9100 = 0x9100;  // pre-standard QinQ

inline constexpr uint8_t kProtoHopByHop = 0;
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoRouting = 43;
inline constexpr uint8_t kProtoFragment = 44;
inline constexpr uint8_t kProtoEsp = 50;
inline constexpr uint8_t kProtoAh = 51;
inline constexpr uint8_t kProtoIcmpv6 = 58;
inline constexpr uint8_t kProtoNoNext = 59;
inline constexpr uint8_t kProtoDestOpts = 60;
inline constexpr uint8_t kProtoSctp = 132;

constexpr bool is_vlan_tpid(uint16_t ethertype) noexcept {
  return ethertype == kEtherTypeVlan || ethertype == kEtherTypeQinq ||
         ethertype == kEtherTypeQinq9100;
}

inline uint16_t load_be16(const uint8_t* p) noexcept {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap16(v);
}

inline uint32_t load_be32(const uint8_t* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap32(v);
}

// Native-order loads: what the checksum code sums (RFC 1071 section 2(B):
// the ones'-complement sum is independent of byte order).
inline uint16_t load_u16(const uint8_t* p) noexcept {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline uint32_t load_u32(const uint8_t* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline uint64_t load_u64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace deltaplane::packet
