// The reference validator: the rules of docs/validation.md written out one
// after the other, with no attempt at speed. Every fast path is tested against
// it, so clarity wins over everything here.
#include <cstring>

#include "packet/checksum.hh"
#include "packet/protocol.hh"
#include "packet/validate.hh"

namespace deltaplane::packet {
namespace {

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

// Checksum of [p, p + n) plus `initial`, folded; 0xffff means "verifies".
uint16_t folded_sum(const uint8_t* p, uint32_t n, uint32_t initial) {
  return checksum_fold(raw_sum_reference(p, n, initial));
}

void set_ipv4_addresses(const uint8_t* ip, FlowKey* key) {
  // IPv4-mapped IPv6 address: ::ffff:a.b.c.d
  key->src[10] = 0xff;
  key->src[11] = 0xff;
  key->dst[10] = 0xff;
  key->dst[11] = 0xff;
  for (int i = 0; i < 4; ++i) {
    key->src[12 + i] = ip[12 + i];
    key->dst[12 + i] = ip[16 + i];
  }
}

// Smallest header the first fragment must carry for this protocol.
uint32_t min_l4_header(uint8_t proto, bool ipv6) {
  if (proto == kProtoTcp) return kTcpMinHeaderLen;
  if (proto == kProtoUdp) return kUdpHeaderLen;
  if (proto == kProtoSctp) return kSctpHeaderLen;
  if (!ipv6 && proto == kProtoIcmp) return kIcmpHeaderLen;
  if (ipv6 && proto == kProtoIcmpv6) return kIcmpHeaderLen;
  return 0;
}

// L4 header of an IP datagram [l4, end) that is not a later fragment.
Verdict parse_l4(const uint8_t* data, uint32_t l4, uint32_t end, const uint8_t* ip, bool ipv6,
                 const Options& opt, Parsed* out) {
  const uint8_t proto = out->key.proto;
  const bool fragment = (out->flags & kFlagFragment) != 0;
  const uint32_t rem = end - l4;
  const uint8_t* h = data + l4;
  uint32_t header_len = 0;
  bool has_ports = false;

  if (proto == kProtoTcp) {
    if (rem < kTcpMinHeaderLen) return Verdict::kL4Truncated;
    const uint32_t doff = (h[12] >> 4) * 4u;
    if (doff < kTcpMinHeaderLen) return Verdict::kTcpBadDataOffset;
    if (doff > rem) return Verdict::kTcpBadDataOffset;
    header_len = doff;
    has_ports = true;
  } else if (proto == kProtoUdp) {
    if (rem < kUdpHeaderLen) return Verdict::kL4Truncated;
    const uint32_t udp_len = be16(h + 4);
    if (udp_len < kUdpHeaderLen) return Verdict::kUdpBadLength;
    // In a fragment the UDP length covers the whole datagram: not checkable.
    if (!fragment && udp_len > rem) return Verdict::kUdpBadLength;
    header_len = kUdpHeaderLen;
    has_ports = true;
  } else if (proto == kProtoSctp) {
    if (rem < kSctpHeaderLen) return Verdict::kL4Truncated;
    header_len = kSctpHeaderLen;
    has_ports = true;
  } else if ((!ipv6 && proto == kProtoIcmp) || (ipv6 && proto == kProtoIcmpv6)) {
    if (rem < kIcmpHeaderLen) return Verdict::kL4Truncated;
    header_len = kIcmpHeaderLen;
  }

  const bool checksummed = proto == kProtoTcp || proto == kProtoUdp ||
                           (!ipv6 && proto == kProtoIcmp) || (ipv6 && proto == kProtoIcmpv6);
  // A fragment cannot be verified alone; with a routing header the
  // pseudo-header would need the final destination, which we do not chase.
  if (opt.verify_l4_checksum && checksummed && !fragment && !(out->flags & kFlagIpv6Routing)) {
    uint32_t covered = rem;
    bool skip = false;
    if (proto == kProtoUdp) {
      covered = be16(h + 4);  // the UDP length; bytes after it are not UDP's
      const uint16_t stored = be16(h + 6);
      if (stored == 0) {
        if (ipv6) return Verdict::kL4BadChecksum;  // RFC 8200 8.1: mandatory over IPv6
        skip = true;                               // RFC 768: "no checksum" over IPv4
      }
    }
    if (!skip) {
      uint32_t pseudo = 0;
      if (ipv6) {
        pseudo = ipv6_pseudo_sum(ip, proto, covered);
      } else if (proto != kProtoIcmp) {
        pseudo = ipv4_pseudo_sum(ip, proto, covered);
      }
      if (folded_sum(h, covered, pseudo) != 0xffff) return Verdict::kL4BadChecksum;
      out->flags |= kFlagL4ChecksumChecked;
    }
  }

  if (has_ports && !fragment) {
    out->key.src_port = be16(h);
    out->key.dst_port = be16(h + 2);
  }
  out->l4_off = static_cast<uint16_t>(l4);
  out->payload_off = static_cast<uint16_t>(l4 + header_len);
  return Verdict::kOk;
}

Verdict parse_ipv4(const uint8_t* data, uint32_t len, const Options& opt, Parsed* out) {
  const uint32_t l2 = out->l2_len;
  const uint8_t* ip = data + l2;
  if (len - l2 < kIpv4MinHeaderLen) return Verdict::kRunt;
  if ((ip[0] >> 4) != 4) return Verdict::kIpv4BadVersion;
  const uint32_t ihl = (ip[0] & 0x0f) * 4u;
  if (ihl < kIpv4MinHeaderLen) return Verdict::kIpv4BadIhl;
  const uint32_t total = be16(ip + 2);
  // Also catches an IHL that runs past the frame (total >= ihl), and total
  // length 0 (TSO / BIG TCP super-frames are not accepted).
  if (total < ihl) return Verdict::kIpv4BadTotalLength;
  if (total > len - l2) return Verdict::kIpv4BadTotalLength;
  if (opt.verify_ipv4_checksum && folded_sum(ip, ihl, 0) != 0xffff) {
    return Verdict::kIpv4BadChecksum;
  }
  if (opt.drop_ttl_zero && ip[8] == 0) return Verdict::kIpv4TtlZero;

  out->l3_type = L3Type::kIpv4;
  out->l3_end = l2 + total;
  out->key.ip_version = 4;
  out->key.proto = ip[9];
  set_ipv4_addresses(ip, &out->key);
  if (ihl > kIpv4MinHeaderLen) out->flags |= kFlagIpOptions;

  const uint32_t frag = be16(ip + 6);
  const bool more_fragments = (frag & 0x2000) != 0;
  const uint32_t frag_offset = frag & 0x1fff;  // in 8-byte units
  const uint32_t ip_payload = total - ihl;
  const uint32_t l4 = l2 + ihl;
  if (more_fragments || frag_offset != 0) {
    out->flags |= kFlagFragment;
    // RFC 1858 3.2 / RFC 3128: offset 1 with TCP can only rewrite TCP flags.
    if (frag_offset == 1 && out->key.proto == kProtoTcp) return Verdict::kIpv4FragBadOffset;
    // The reassembled datagram would exceed 65535 bytes ("ping of death").
    if (frag_offset * 8 + ip_payload > 65535) return Verdict::kIpv4FragBadOffset;
    if (frag_offset != 0) {
      out->flags |= kFlagLaterFragment;
      out->l4_off = static_cast<uint16_t>(l4);
      out->payload_off = static_cast<uint16_t>(l4);
      return Verdict::kOk;
    }
    // RFC 1858 3.1 / RFC 3128: a first fragment must hold the whole minimal L4 header.
    if (ip_payload < min_l4_header(out->key.proto, false)) return Verdict::kIpv4FragTooShort;
  }
  return parse_l4(data, l4, l2 + total, ip, false, opt, out);
}

Verdict parse_ipv6(const uint8_t* data, uint32_t len, const Options& opt, Parsed* out) {
  const uint32_t l2 = out->l2_len;
  const uint8_t* ip = data + l2;
  if (len - l2 < kIpv6HeaderLen) return Verdict::kRunt;
  if ((ip[0] >> 4) != 6) return Verdict::kIpv6BadVersion;
  const uint32_t payload = be16(ip + 4);
  uint8_t next = ip[6];
  // Payload length 0 means a jumbogram (RFC 2675) unless nothing follows.
  if (payload == 0 && next != kProtoNoNext) return Verdict::kIpv6BadPayloadLength;
  if (kIpv6HeaderLen + payload > len - l2) return Verdict::kIpv6BadPayloadLength;

  const uint32_t end = l2 + kIpv6HeaderLen + payload;
  out->l3_type = L3Type::kIpv6;
  out->l3_end = end;
  out->key.ip_version = 6;
  std::memcpy(out->key.src, ip + 8, 16);
  std::memcpy(out->key.dst, ip + 24, 16);

  uint32_t off = l2 + kIpv6HeaderLen;
  uint32_t count = 0;
  while (true) {
    const bool generic = next == kProtoHopByHop || next == kProtoRouting || next == kProtoDestOpts;
    if (!generic && next != kProtoAh && next != kProtoFragment) break;
    count = count + 1;
    if (count > kMaxIpv6ExtHeaders) return Verdict::kIpv6ExtTooLong;
    if (end - off < 8) return Verdict::kIpv6ExtTruncated;  // every extension header is >= 8 bytes
    out->flags |= kFlagIpOptions;
    const uint8_t* x = data + off;
    if (next == kProtoFragment) {
      const uint32_t offset_units = be16(x + 2) >> 3;
      const bool more = (be16(x + 2) & 1) != 0;
      next = x[0];
      off = off + 8;
      if (offset_units != 0 || more) out->flags |= kFlagFragment;
      if (offset_units != 0) {
        out->flags |= kFlagLaterFragment;
        out->key.proto = next;
        out->l4_off = static_cast<uint16_t>(off);
        out->payload_off = static_cast<uint16_t>(off);
        return Verdict::kOk;
      }
      continue;
    }
    uint32_t ext_len;
    if (next == kProtoAh) {
      ext_len = (x[1] + 2u) * 4u;  // RFC 4302 2.2: in 4-byte units, minus 2
    } else {
      ext_len = (x[1] + 1u) * 8u;  // RFC 8200 4.3-4.6: in 8-byte units, minus 1
    }
    if (ext_len > end - off) return Verdict::kIpv6ExtTruncated;
    if (next == kProtoRouting) out->flags |= kFlagIpv6Routing;
    next = x[0];
    off = off + ext_len;
  }
  out->key.proto = next;
  // RFC 7112: a first fragment must carry the whole header chain, so the L4
  // header checks apply to it as to an unfragmented packet.
  return parse_l4(data, off, end, ip, true, opt, out);
}

}  // namespace

Verdict validate_reference(const uint8_t* data, uint32_t len, const Options& opt,
                           Parsed* out) noexcept {
  *out = Parsed{};
  if (len < kEthHeaderLen) return Verdict::kRunt;

  uint32_t type_off = 12;  // where the current EtherType / TPID sits
  uint16_t ethertype = be16(data + type_off);
  uint32_t depth = 0;
  while (is_vlan_tpid(ethertype)) {
    if (depth == kMaxVlanDepth) return Verdict::kVlanTooDeep;
    if (len < type_off + 6) return Verdict::kRunt;  // TCI + next EtherType
    out->key.vlan[depth] = be16(data + type_off + 2) & 0x0fff;
    depth = depth + 1;
    type_off = type_off + kVlanTagLen;
    ethertype = be16(data + type_off);
  }
  out->vlan_depth = static_cast<uint8_t>(depth);
  out->l2_len = static_cast<uint16_t>(type_off + 2);
  out->ethertype = ethertype;

  if (ethertype == kEtherTypeIpv4) return parse_ipv4(data, len, opt, out);
  if (ethertype == kEtherTypeIpv6) return parse_ipv6(data, len, opt, out);

  // ARP, LLC (EtherType < 0x0600 is an 802.3 length), anything else.
  if (opt.drop_unknown_ethertype) return Verdict::kUnknownEthertype;
  out->l3_end = len;
  out->l4_off = out->l2_len;
  out->payload_off = out->l2_len;
  return Verdict::kOk;
}

}  // namespace deltaplane::packet
