#include "engines/validate.hh"

#include <rte_mbuf.h>

#include "engines/burst_io.hh"

namespace deltaplane::engines {

namespace {

// Frames in more than one segment (longer than --mbuf-size, rare) are
// validated one by one from a linear copy after the burst.
[[gnu::cold, gnu::noinline]] void validate_chained(rte_mbuf* m, const packet::Options& opt,
                                                   packet::Verdict* verdict,
                                                   packet::Parsed* out) noexcept {
  alignas(64) static thread_local uint8_t scratch[65536];
  const auto* data = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, m->pkt_len, scratch));
  packet::Parsed parsed_scratch;
  *verdict = data ? packet::validate(data, m->pkt_len, opt, out ? out : &parsed_scratch)
                  : packet::Verdict::kRunt;
}

}  // namespace

uint16_t validate_and_compact(rte_mbuf** pkts, uint16_t n, const EngineEnv& env,
                              packet::Parsed* parsed) noexcept {
  packet::Verdict verdict[kMaxBurst];
  packet::Parsed* out = parsed;  // null: verdicts only
  const uint8_t* data[kMaxBurst];
  uint32_t len[kMaxBurst];
  bool chained = false;
  for (uint16_t i = 0; i < n; ++i) {
    const rte_mbuf* m = pkts[i];
    data[i] = rte_pktmbuf_mtod(m, const uint8_t*);
    len[i] = m->data_len;  // == pkt_len unless chained; chained ones are redone below
    chained |= m->nb_segs > 1;
  }
  packet::Options options = env.validate_options;
  // NIC hints: when the port checked every IPv4 header checksum of the burst
  // and found it good, the validator need not sum them again (the verdicts
  // are the same; any frame without the flag keeps the check). Ports without
  // RX checksum offload never set the flags, so their lcores skip the scan.
  if (env.rx_csum_flags) [[unlikely]] {
    uint64_t ip_good = RTE_MBUF_F_RX_IP_CKSUM_GOOD, l4_good = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    for (uint16_t i = 0; i < n; ++i) {
      ip_good &= pkts[i]->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
      l4_good &= pkts[i]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
    }
    if (ip_good == RTE_MBUF_F_RX_IP_CKSUM_GOOD) options.verify_ipv4_checksum = false;
    // The L4 sums are the expensive part; skipped only for verdict-only callers,
    // whose Parsed (with its "L4 checksum checked" flag) nobody reads.
    if (l4_good == RTE_MBUF_F_RX_L4_CKSUM_GOOD && !parsed) options.verify_l4_checksum = false;
  }
  // GCC cannot see that the loop above filled data[0, n) and len[0, n).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  env.validator->validate_burst(data, len, n, options, verdict, out);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  if (chained) [[unlikely]] {
    for (uint16_t i = 0; i < n; ++i)
      if (pkts[i]->nb_segs > 1)
        validate_chained(pkts[i], env.validate_options, &verdict[i], out ? &out[i] : nullptr);
  }
  // The usual burst is all valid (kOk is 0): one OR over the verdicts and done.
  uint8_t any_bad = 0;
  for (uint16_t i = 0; i < n; ++i)
    any_bad |= static_cast<uint8_t>(verdict[i]);
  if (any_bad == 0) [[likely]]
    return n;
  // Rare: drop the invalid ones (and move the Parsed of the kept ones along).
  stats::DropReason why[kMaxBurst];
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; ++i) {
    const bool ok = verdict[i] == packet::Verdict::kOk;
    why[i] = ok ? kKeep : stats::drop_reason_for(verdict[i]);
    if (ok && parsed && kept != i) parsed[kept] = parsed[i];
    kept += ok;
  }
  return compact(pkts, n, why, *env.counters);
}

}  // namespace deltaplane::engines
