// Fast scalar validation: a shortcut for clean untagged IPv4/IPv6 TCP/UDP, and
// validate_general for everything else. validate_general is written
// independently of validate_reference (native loads, table-driven extension
// headers) so that differential tests compare two implementations, not one.
#include <cstring>

#include "packet/checksum.hh"
#include "packet/detail/fast_path.hh"
#include "packet/detail/kernels.hh"
#include "packet/protocol.hh"
#include "packet/validate.hh"

namespace deltaplane::packet {
namespace detail {
namespace {

// Bit n set: next-header n is an IPv6 extension header we walk.
constexpr uint64_t kIpv6ExtMask = (1ull << kProtoHopByHop) | (1ull << kProtoRouting) |
                                  (1ull << kProtoFragment) | (1ull << kProtoAh) |
                                  (1ull << kProtoDestOpts);

constexpr bool is_ipv6_ext(uint8_t nh) noexcept {
  return nh < 64 && ((kIpv6ExtMask >> nh) & 1u) != 0;
}

// Minimal L4 header per protocol and IP version (0 = none), used for first
// fragments and truncation checks.
constexpr uint8_t l4_min(uint8_t proto, bool ipv6) noexcept {
  switch (proto) {
    case kProtoTcp: return kTcpMinHeaderLen;
    case kProtoUdp: return kUdpHeaderLen;
    case kProtoSctp: return kSctpHeaderLen;
    case kProtoIcmp: return ipv6 ? 0 : kIcmpHeaderLen;
    case kProtoIcmpv6: return ipv6 ? kIcmpHeaderLen : 0;
    default: return 0;
  }
}

Verdict l4_stage(const uint8_t* d, const uint8_t* ip, uint32_t l4, uint32_t end, bool ipv6,
                 const Options& opt, Parsed* out) noexcept {
  const uint8_t proto = out->key.proto;
  const uint32_t rem = end - l4;
  const uint8_t* h = d + l4;
  const uint32_t need = l4_min(proto, ipv6);
  if (rem < need) return Verdict::kL4Truncated;
  const bool fragment = out->flags & kFlagFragment;
  uint32_t header_len = need;
  uint32_t covered = rem;
  if (proto == kProtoTcp) {
    header_len = (h[12] >> 4) << 2;
    if (header_len < kTcpMinHeaderLen || header_len > rem) return Verdict::kTcpBadDataOffset;
  } else if (proto == kProtoUdp) {
    covered = load_be16(h + 4);
    if (covered < kUdpHeaderLen || (!fragment && covered > rem)) return Verdict::kUdpBadLength;
  }
  if (opt.verify_l4_checksum && need != 0 && proto != kProtoSctp && !fragment &&
      !(out->flags & kFlagIpv6Routing)) {
    bool skip = false;
    if (proto == kProtoUdp && load_u16(h + 6) == 0) {
      if (ipv6) return Verdict::kL4BadChecksum;
      skip = true;
    }
    if (!skip) {
      const uint32_t pseudo = ipv6                  ? ipv6_pseudo_sum(ip, proto, covered)
                              : proto == kProtoIcmp ? 0
                                                    : ipv4_pseudo_sum(ip, proto, covered);
      if (checksum_fold(raw_sum(h, covered, pseudo)) != 0xffff) return Verdict::kL4BadChecksum;
      out->flags |= kFlagL4ChecksumChecked;
    }
  }
  if (!fragment && (proto == kProtoTcp || proto == kProtoUdp || proto == kProtoSctp)) {
    out->key.src_port = load_be16(h);
    out->key.dst_port = load_be16(h + 2);
  }
  out->l4_off = static_cast<uint16_t>(l4);
  out->payload_off = static_cast<uint16_t>(l4 + header_len);
  return Verdict::kOk;
}

Verdict ipv4_stage(const uint8_t* d, uint32_t len, const Options& opt, Parsed* out) noexcept {
  const uint32_t l2 = out->l2_len;
  const uint32_t avail = len - l2;
  if (avail < kIpv4MinHeaderLen) return Verdict::kRunt;
  const uint8_t* ip = d + l2;
  const uint8_t vihl = ip[0];
  if ((vihl & 0xf0) != 0x40) return Verdict::kIpv4BadVersion;
  const uint32_t ihl = (vihl & 0x0fu) << 2;
  if (ihl < kIpv4MinHeaderLen) return Verdict::kIpv4BadIhl;
  const uint32_t total = load_be16(ip + 2);
  if (total < ihl || total > avail) return Verdict::kIpv4BadTotalLength;
  if (opt.verify_ipv4_checksum && checksum_fold(raw_sum_scalar(ip, ihl, 0)) != 0xffff) {
    return Verdict::kIpv4BadChecksum;
  }
  if (ip[8] == 0 && opt.drop_ttl_zero) return Verdict::kIpv4TtlZero;

  const uint8_t proto = ip[9];
  out->l3_type = L3Type::kIpv4;
  out->l3_end = l2 + total;
  out->key.ip_version = 4;
  out->key.proto = proto;
  out->key.src[10] = out->key.src[11] = out->key.dst[10] = out->key.dst[11] = 0xff;
  std::memcpy(out->key.src + 12, ip + 12, 4);
  std::memcpy(out->key.dst + 12, ip + 16, 4);
  out->flags = ihl != kIpv4MinHeaderLen ? kFlagIpOptions : 0;

  const uint16_t frag = load_be16(ip + 6);
  const uint32_t l4 = l2 + ihl;
  if (frag & 0x3fff) {
    out->flags |= kFlagFragment;
    const uint32_t units = frag & 0x1fffu;
    const uint32_t data_len = total - ihl;
    if ((units == 1 && proto == kProtoTcp) || (units << 3) + data_len > 0xffff) {
      return Verdict::kIpv4FragBadOffset;
    }
    if (units) {
      out->flags |= kFlagLaterFragment;
      out->l4_off = out->payload_off = static_cast<uint16_t>(l4);
      return Verdict::kOk;
    }
    if (data_len < l4_min(proto, false)) return Verdict::kIpv4FragTooShort;
  }
  return l4_stage(d, ip, l4, l2 + total, false, opt, out);
}

Verdict ipv6_stage(const uint8_t* d, uint32_t len, const Options& opt, Parsed* out) noexcept {
  const uint32_t l2 = out->l2_len;
  if (len - l2 < kIpv6HeaderLen) return Verdict::kRunt;
  const uint8_t* ip = d + l2;
  if ((ip[0] & 0xf0) != 0x60) return Verdict::kIpv6BadVersion;
  const uint32_t payload = load_be16(ip + 4);
  uint8_t nh = ip[6];
  if ((payload == 0 && nh != kProtoNoNext) || payload > len - l2 - kIpv6HeaderLen) {
    return Verdict::kIpv6BadPayloadLength;
  }
  const uint32_t end = l2 + kIpv6HeaderLen + payload;
  out->l3_type = L3Type::kIpv6;
  out->l3_end = end;
  out->key.ip_version = 6;
  std::memcpy(&out->key, ip + 8, 32);  // source then destination

  uint32_t off = l2 + kIpv6HeaderLen;
  for (uint32_t n = 0; is_ipv6_ext(nh); ++n) {
    if (n == kMaxIpv6ExtHeaders) return Verdict::kIpv6ExtTooLong;
    if (end - off < 8) return Verdict::kIpv6ExtTruncated;
    out->flags |= kFlagIpOptions;
    const uint8_t* x = d + off;
    uint32_t size = 8;
    if (nh == kProtoFragment) {
      const uint16_t fo = load_be16(x + 2);
      if (fo & 0xfff9) {  // offset or M set; the two reserved bits do not count
        out->flags |= kFlagFragment;
        if (fo & 0xfff8) {
          out->flags |= kFlagLaterFragment;
          out->key.proto = x[0];
          out->l4_off = out->payload_off = static_cast<uint16_t>(off + 8);
          return Verdict::kOk;
        }
      }
    } else {
      size = nh == kProtoAh ? (x[1] + 2u) << 2 : (x[1] + 1u) << 3;
      if (size > end - off) return Verdict::kIpv6ExtTruncated;
      if (nh == kProtoRouting) out->flags |= kFlagIpv6Routing;
    }
    nh = x[0];
    off += size;
  }
  out->key.proto = nh;
  return l4_stage(d, ip, off, end, true, opt, out);
}

}  // namespace

Verdict validate_general(const uint8_t* d, uint32_t len, const Options& opt, Parsed* out) noexcept {
  std::memset(out, 0, sizeof *out);
  if (len < kEthHeaderLen) return Verdict::kRunt;
  uint32_t off = 12;
  uint16_t type = load_be16(d + off);
  uint32_t depth = 0;
  for (; is_vlan_tpid(type); ++depth) {
    if (depth == kMaxVlanDepth) return Verdict::kVlanTooDeep;
    if (off + 6 > len) return Verdict::kRunt;
    out->key.vlan[depth] = load_be16(d + off + 2) & 0x0fff;
    off += 4;
    type = load_be16(d + off);
  }
  out->vlan_depth = static_cast<uint8_t>(depth);
  out->l2_len = static_cast<uint16_t>(off + 2);
  out->ethertype = type;
  switch (type) {
    case kEtherTypeIpv4: return ipv4_stage(d, len, opt, out);
    case kEtherTypeIpv6: return ipv6_stage(d, len, opt, out);
    default:
      if (opt.drop_unknown_ethertype) return Verdict::kUnknownEthertype;
      out->l3_end = len;
      out->l4_off = out->payload_off = out->l2_len;
      return Verdict::kOk;
  }
}

// Scalar check of what the SIMD paths check with vector compares.
static inline bool clean_ipv4_header(const uint8_t* d, uint32_t len, const Options& opt,
                                     uint32_t* total) noexcept {
  const uint8_t* ip = d + kEthHeaderLen;
  if (ip[0] != 0x45) return false;
  const uint32_t t = load_be16(ip + 2);
  if (t < kIpv4MinHeaderLen || t > len - kEthHeaderLen) return false;
  if (load_u16(ip + 6) & __builtin_bswap16(0xbfff)) return false;  // any bit but DF
  if (opt.drop_ttl_zero && ip[8] == 0) return false;
  if (ip[9] != kProtoTcp && ip[9] != kProtoUdp) return false;
  if (opt.verify_ipv4_checksum) {
    const uint64_t s = uint64_t{load_u32(ip)} + load_u32(ip + 4) + load_u32(ip + 8) +
                       load_u32(ip + 12) + load_u32(ip + 16);
    if (checksum_fold(s) != 0xffff) return false;
  }
  *total = t;
  return true;
}

static inline Verdict validate_fast(const uint8_t* d, uint32_t len, const Options& opt,
                                    Parsed* out) noexcept {
  if (len >= kIpv4L4Off) [[likely]] {
    const uint16_t type = load_u16(d + 12);
    if (type == __builtin_bswap16(kEtherTypeIpv4)) {
      uint32_t total;
      if (clean_ipv4_header(d, len, opt, &total) &&
          finish_ipv4<raw_sum_scalar>(d, total, opt, out)) {
        return Verdict::kOk;
      }
    } else if (type == __builtin_bswap16(kEtherTypeIpv6) && len >= kIpv6L4Off) {
      const uint8_t* ip = d + kEthHeaderLen;
      const uint32_t payload = load_be16(ip + 4);
      if ((ip[0] & 0xf0) == 0x60 && (ip[6] == kProtoTcp || ip[6] == kProtoUdp) &&
          payload <= len - kIpv6L4Off && finish_ipv6<raw_sum_scalar>(d, payload, opt, out)) {
        return Verdict::kOk;
      }
    }
  }
  return validate_general(d, len, opt, out);
}

void validate_burst_scalar(const uint8_t* const* data, const uint32_t* len, uint16_t n,
                           const Options& opt, Verdict* out_verdicts, Parsed* out_parsed) noexcept {
  constexpr int kPrefetchAhead = 4;
  const int count = n;
  for (int i = 0; i < count && i < kPrefetchAhead; ++i)
    __builtin_prefetch(data[i]);
  Parsed scratch;  // verdict-only callers pass no Parsed array
  for (int i = 0; i < count; ++i) {
    if (i + kPrefetchAhead < count) __builtin_prefetch(data[i + kPrefetchAhead]);
    out_verdicts[i] = validate_fast(data[i], len[i], opt, out_parsed ? &out_parsed[i] : &scratch);
  }
}

}  // namespace detail

Verdict validate(const uint8_t* data, uint32_t len, const Options& opt, Parsed* out) noexcept {
  return detail::validate_fast(data, len, opt, out);
}

}  // namespace deltaplane::packet
