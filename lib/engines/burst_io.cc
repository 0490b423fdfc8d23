#include "engines/burst_io.hh"

#include <rte_cycles.h>

namespace deltaplane::engines::detail {

uint16_t drop_oversize(rte_mbuf** pkts, uint16_t n, uint64_t& bytes, LcoreCore& core,
                       uint32_t max_frame) noexcept {
  uint16_t kept = 0;
  uint64_t dropped = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (pkts[i]->pkt_len > max_frame) {
      bytes -= pkts[i]->pkt_len;
      rte_pktmbuf_free(pkts[i]);
      ++dropped;
    } else {
      pkts[kept++] = pkts[i];
    }
  }
  core.counters.drop(stats::DropReason::kOversize, dropped);
  return kept;
}

void drop_link_down(rte_mbuf** pkts, uint16_t n, LcoreCore& core) noexcept {
  core.counters.drop(stats::DropReason::kLinkDown, n);
  rte_pktmbuf_free_bulk(pkts, n);
}

void finish_tx(const Stream& s, rte_mbuf** pkts, uint16_t n, uint16_t sent, uint64_t bytes,
               LcoreCore& core, const IoParams& io, stats::StreamCounters& sc) noexcept {
  for (uint32_t r = 0; r < io.tx_retries && sent < n; ++r) {
    if (io.tx_retry_delay_us) rte_delay_us_block(io.tx_retry_delay_us);
    sent += rte_eth_tx_burst(s.tx_port, s.tx_queue, pkts + sent, n - sent);
  }
  // Lengths of sent frames are gone (the driver may have freed them); the
  // caller's total minus the unsent frames' lengths gives the sent bytes.
  const uint64_t unsent_bytes = total_length(pkts + sent, static_cast<uint16_t>(n - sent));
  sc.tx_packets.add(sent);
  sc.tx_bytes.add(bytes - unsent_bytes);
  core.counters.drop(stats::DropReason::kTxFull, n - sent);
  if (sent < n) rte_pktmbuf_free_bulk(pkts + sent, n - sent);
}

}  // namespace deltaplane::engines::detail
