// Internal: the common-case finish shared by the scalar, SSE4.2 and AVX2 paths
// (untagged IPv4 without options or IPv6 without extension headers, carrying
// TCP or UDP, not fragmented). Each returns false when the frame is anything
// but a clean kOk; the caller then runs validate_general for the real verdict.
//
// Functions here are `static` on purpose: this header is compiled into TUs
// with different -m flags, and internal linkage keeps the linker from merging
// an AVX2-compiled copy into the scalar path.
#pragma once

#include <cstring>

#include "packet/checksum.hh"
#include "packet/parsed.hh"
#include "packet/protocol.hh"
#include "packet/validate.hh"

namespace deltaplane::packet::detail {

inline constexpr uint32_t kIpv4L4Off = kEthHeaderLen + kIpv4MinHeaderLen;  // 34
inline constexpr uint32_t kIpv6L4Off = kEthHeaderLen + kIpv6HeaderLen;     // 54

// Clears out and fills the fields every clean untagged IP frame shares.
static inline void fill_common(Parsed* out, uint16_t ethertype, L3Type l3, uint32_t l3_end,
                               uint32_t l4_off, uint32_t header_len, uint8_t proto,
                               const uint8_t* l4) noexcept {
  std::memset(out, 0, sizeof *out);
  out->key.src_port = load_be16(l4);
  out->key.dst_port = load_be16(l4 + 2);
  out->key.ip_version = static_cast<uint8_t>(l3);
  out->key.proto = proto;
  out->l3_end = l3_end;
  out->l2_len = kEthHeaderLen;
  out->l4_off = static_cast<uint16_t>(l4_off);
  out->payload_off = static_cast<uint16_t>(l4_off + header_len);
  out->ethertype = ethertype;
  out->l3_type = l3;
}

// L4 header of a clean frame: header length, or 0 if not a clean kOk.
// rem is the L4 length inside the IP datagram. csum_ok receives whether the
// L4 checksum was verified (only meaningful with opt.verify_l4_checksum).
template <auto Sum>
static inline uint32_t clean_l4(const uint8_t* ip, bool ipv6, const uint8_t* l4, uint32_t rem,
                                uint8_t proto, const Options& opt, bool* checked) noexcept {
  uint32_t header_len;
  uint32_t covered = rem;
  if (proto == kProtoTcp) {
    if (rem < kTcpMinHeaderLen) return 0;
    header_len = (l4[12] >> 4) * 4u;
    if (header_len < kTcpMinHeaderLen || header_len > rem) return 0;
  } else {
    if (rem < kUdpHeaderLen) return 0;
    covered = load_be16(l4 + 4);
    if (covered < kUdpHeaderLen || covered > rem) return 0;
    header_len = kUdpHeaderLen;
  }
  *checked = false;
  if (opt.verify_l4_checksum) {
    if (proto == kProtoUdp && load_u16(l4 + 6) == 0) {
      if (ipv6) return 0;  // mandatory over IPv6: let the general path say so
      return header_len;
    }
    const uint32_t pseudo =
        ipv6 ? ipv6_pseudo_sum(ip, proto, covered) : ipv4_pseudo_sum(ip, proto, covered);
    if (checksum_fold(Sum(l4, covered, pseudo)) != 0xffff) return 0;
    *checked = true;
  }
  return header_len;
}

// Precondition: untagged, EtherType IPv4, ip[0] == 0x45, 20 <= total <=
// len - 14, header checksum and TTL acceptable under opt, no fragment bits,
// protocol TCP or UDP.
template <auto Sum>
static inline bool finish_ipv4(const uint8_t* d, uint32_t total, const Options& opt,
                               Parsed* out) noexcept {
  const uint8_t* ip = d + kEthHeaderLen;
  const uint8_t* l4 = d + kIpv4L4Off;
  const uint8_t proto = ip[9];
  bool checked = false;
  const uint32_t hl = clean_l4<Sum>(ip, false, l4, total - kIpv4MinHeaderLen, proto, opt, &checked);
  if (hl == 0) return false;
  fill_common(out, kEtherTypeIpv4, L3Type::kIpv4, kEthHeaderLen + total, kIpv4L4Off, hl, proto, l4);
  out->key.src[10] = out->key.src[11] = out->key.dst[10] = out->key.dst[11] = 0xff;
  std::memcpy(out->key.src + 12, ip + 12, 4);
  std::memcpy(out->key.dst + 12, ip + 16, 4);
  if (checked) out->flags = kFlagL4ChecksumChecked;
  return true;
}

// Precondition: untagged, EtherType IPv6, version 6, next header TCP or UDP,
// 40 + payload <= len - 14.
template <auto Sum>
static inline bool finish_ipv6(const uint8_t* d, uint32_t payload, const Options& opt,
                               Parsed* out) noexcept {
  const uint8_t* ip = d + kEthHeaderLen;
  const uint8_t* l4 = d + kIpv6L4Off;
  const uint8_t proto = ip[6];
  bool checked = false;
  const uint32_t hl = clean_l4<Sum>(ip, true, l4, payload, proto, opt, &checked);
  if (hl == 0) return false;
  fill_common(out, kEtherTypeIpv6, L3Type::kIpv6, kIpv6L4Off + payload, kIpv6L4Off, hl, proto, l4);
  std::memcpy(&out->key, ip + 8, 32);  // source then destination: adjacent in both
  if (checked) out->flags = kFlagL4ChecksumChecked;
  return true;
}

}  // namespace deltaplane::packet::detail
