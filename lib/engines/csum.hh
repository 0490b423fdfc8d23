// csum: verify and recompute checksums (testpmd's csum mode): the IPv4 header
// checksum and the TCP/UDP checksum over IPv4 and IPv6, in software, or by the
// NIC when the TX port offers checksum offload (--csum-offload auto): then the
// mbuf is flagged and the L4 field holds the pseudo-header sum, as DPDK asks.
// Wrong or missing checksums are fixed and counted; frames that fail
// validation are dropped by reason like in `validate`.
#pragma once

#include "engines/fwd_loop.hh"

namespace deltaplane::engines {

uint16_t csum_burst(rte_mbuf** pkts, uint16_t n, const Stream& s, LcoreContext& ctx) noexcept;

struct CsumEngine {
  static constexpr const char* kName = "csum";
  static constexpr bool kPreservesLength = false;  // drops invalid frames
  static constexpr bool kOnlyDrops = true;         // fixes checksums in place, lengths kept
  static constexpr bool kTouchesData = true;
  explicit CsumEngine(LcoreContext&) noexcept {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream& s, LcoreContext& ctx) noexcept {
    return csum_burst(pkts, n, s, ctx);
  }
};

}  // namespace deltaplane::engines
