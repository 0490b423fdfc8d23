#include "engines/csum.hh"

#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>

#include "engines/validate.hh"
#include "packet/checksum.hh"

namespace deltaplane::engines {

namespace {

// Stores `c` at p if it differs; returns whether it did.
inline bool fix16(uint8_t* p, uint16_t c) noexcept {
  uint16_t old;
  std::memcpy(&old, p, 2);
  if (old == c) return false;
  std::memcpy(p, &c, 2);
  return true;
}

struct Fixed {
  uint64_t ip_checked = 0, ip_fixed = 0, l4_checked = 0, l4_fixed = 0, offloaded = 0;
};

// Computes over `d` (the whole frame, linear) and rewrites the fields at `w`
// (where the frame's first bytes can be written: the same buffer, or the
// first segment of a chain).
inline void fix_frame(const uint8_t* d, uint8_t* w, const packet::Parsed& p, Fixed& f) noexcept {
  const uint8_t* ip = d + p.l2_len;
  if (p.l3_type == packet::L3Type::kIpv4) {
    ++f.ip_checked;
    f.ip_fixed += fix16(w + p.l2_len + 10, packet::ipv4_header_checksum(ip));
  }
  const uint8_t proto = p.l4_proto();
  if ((proto != 6 && proto != 17) || (p.flags & packet::kFlagFragment)) return;
  const uint8_t* l4 = d + p.l4_off;
  const uint32_t l4_len = p.l3_end - p.l4_off;
  const uint16_t c = p.l3_type == packet::L3Type::kIpv4
                         ? packet::ipv4_l4_checksum(ip, l4, l4_len, proto)
                         : packet::ipv6_l4_checksum(ip, l4, l4_len, proto);
  ++f.l4_checked;
  f.l4_fixed += fix16(w + p.l4_off + packet::l4_checksum_offset(proto), c);
}

// Frames longer than one segment: computed over a linear copy, written back
// into the first segment (where the headers are).
[[gnu::cold, gnu::noinline]] void fix_chained(rte_mbuf* m, const packet::Parsed& p,
                                              Fixed& f) noexcept {
  alignas(64) static thread_local uint8_t scratch[65536];
  const auto* d = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, m->pkt_len, scratch));
  if (!d || p.l4_off + 18u > m->data_len) return;  // headers not all in the first segment
  fix_frame(d, rte_pktmbuf_mtod(m, uint8_t*), p, f);
}

}  // namespace

// Leaves the checksums to the NIC: header lengths and flags on the mbuf, the
// IPv4 checksum field zeroed, the L4 field seeded with the pseudo-header sum.
// Returns false if the frame needs software (a protocol the port cannot do).
static bool offload(rte_mbuf* m, uint8_t* d, const packet::Parsed& p, uint8_t bits) noexcept {
  const uint8_t proto = p.l4_proto();
  const bool l4 = (proto == 6 || proto == 17) && !(p.flags & packet::kFlagFragment);
  const uint8_t need = static_cast<uint8_t>((p.l3_type == packet::L3Type::kIpv4 ? kTxCsumIpv4 : 0) |
                                            (l4 ? (proto == 6 ? kTxCsumTcp : kTxCsumUdp) : 0));
  if ((bits & need) != need) return false;
  m->l2_len = p.l2_len;
  m->l3_len = static_cast<uint16_t>(p.l4_off - p.l2_len);
  uint8_t* ip = d + p.l2_len;
  if (p.l3_type == packet::L3Type::kIpv4) {
    m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
    ip[10] = ip[11] = 0;
  } else {
    m->ol_flags |= RTE_MBUF_F_TX_IPV6;
  }
  if (l4) {
    m->ol_flags |= proto == 6 ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
    const uint16_t phdr =
        p.l3_type == packet::L3Type::kIpv4
            ? rte_ipv4_phdr_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip), m->ol_flags)
            : rte_ipv6_phdr_cksum(reinterpret_cast<const rte_ipv6_hdr*>(ip), m->ol_flags);
    std::memcpy(d + p.l4_off + packet::l4_checksum_offset(proto), &phdr, 2);
  }
  return true;
}

uint16_t csum_burst(rte_mbuf** pkts, uint16_t n, const Stream& s, const EngineEnv& env) noexcept {
  packet::Parsed parsed[kMaxBurst];
  n = validate_and_compact(pkts, n, env, parsed);
  Fixed f;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const packet::Parsed& p = parsed[i];
    if (p.l3_type == packet::L3Type::kNone) continue;  // not IP: nothing to check
    if (m->nb_segs != 1) [[unlikely]] {
      fix_chained(m, p, f);
      continue;
    }
    uint8_t* d = rte_pktmbuf_mtod(m, uint8_t*);
    if (s.tx_csum_offload && offload(m, d, p, s.tx_csum_offload)) {
      ++f.offloaded;
      continue;
    }
    fix_frame(d, d, p, f);
  }
  stats::LcoreCounters& c = *env.counters;
  c.csum_ipv4_checked.add(f.ip_checked);
  c.csum_ipv4_fixed.add(f.ip_fixed);
  c.csum_l4_checked.add(f.l4_checked);
  c.csum_l4_fixed.add(f.l4_fixed);
  if (f.offloaded) c.csum_offloaded.add(f.offloaded);
  return n;
}

}  // namespace deltaplane::engines
