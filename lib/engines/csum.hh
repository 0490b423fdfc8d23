// csum: verify and recompute checksums (testpmd's csum mode): the IPv4 header
// checksum and the TCP/UDP checksum over IPv4 and IPv6, in software, or by the
// NIC when the TX port offers checksum offload (--csum-offload auto): then the
// mbuf is flagged and the L4 field holds the pseudo-header sum, as DPDK asks.
// Wrong or missing checksums are fixed and counted; frames that fail
// validation are dropped by reason like in `validate`.
#pragma once

#include "engines/engine.hh"

namespace deltaplane::engines {

uint16_t csum_burst(rte_mbuf** pkts, uint16_t n, const Stream& s, const EngineEnv& env) noexcept;

struct CsumEngine {
  static constexpr bool kTouchesData = true;
  static constexpr Lengths kLengths = Lengths::kDropsOnly;  // fixes checksums in place
  explicit CsumEngine(const EngineEnv& env) noexcept : env_(env) {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream& s) noexcept {
    return csum_burst(pkts, n, s, env_);
  }

 private:
  const EngineEnv& env_;
};

}  // namespace deltaplane::engines
