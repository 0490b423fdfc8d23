#include "engines/fwd_loop.hh"

#include <rte_cycles.h>

namespace deltaplane::engines::detail {

uint16_t drop_oversize(rte_mbuf** pkts, uint16_t n, uint64_t& bytes, LcoreContext& ctx) noexcept {
  uint16_t kept = 0;
  uint64_t dropped = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (pkts[i]->pkt_len > ctx.max_frame) {
      bytes -= pkts[i]->pkt_len;
      rte_pktmbuf_free(pkts[i]);
      ++dropped;
    } else {
      pkts[kept++] = pkts[i];
    }
  }
  ctx.counters.drop(stats::DropReason::kOversize, dropped);
  return kept;
}

void drop_link_down(rte_mbuf** pkts, uint16_t n, LcoreContext& ctx) noexcept {
  ctx.counters.drop(stats::DropReason::kLinkDown, n);
  rte_pktmbuf_free_bulk(pkts, n);
}

uint16_t finish_tx(const Stream& s, rte_mbuf** pkts, uint16_t n, uint16_t sent, uint64_t bytes,
                   LcoreContext& ctx) noexcept {
  for (uint32_t r = 0; r < ctx.tx_retries && sent < n; ++r) {
    if (ctx.tx_retry_delay_us) rte_delay_us_block(ctx.tx_retry_delay_us);
    sent += rte_eth_tx_burst(s.tx_port, s.tx_queue, pkts + sent, n - sent);
  }
  stats::StreamCounters& sc = ctx.stream_counters[&s - ctx.streams.data()];
  // Lengths of sent frames are gone (the driver may have freed them); the
  // caller's total minus the unsent frames' lengths gives the sent bytes.
  uint64_t unsent_bytes = 0;
  for (uint16_t i = sent; i < n; ++i)
    unsent_bytes += pkts[i]->pkt_len;
  sc.tx_packets.add(sent);
  sc.tx_bytes.add(bytes - unsent_bytes);
  ctx.counters.drop(stats::DropReason::kTxFull, n - sent);
  if (sent < n) rte_pktmbuf_free_bulk(pkts + sent, n - sent);
  return sent;
}

}  // namespace deltaplane::engines::detail
