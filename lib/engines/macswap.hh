// macswap: swap source and destination MAC addresses, then forward.
#pragma once

#include <rte_ether.h>

#include "engines/fwd_loop.hh"

namespace deltaplane::engines {

struct MacswapEngine {
  static constexpr const char* kName = "macswap";
  static constexpr bool kPreservesLength = false;  // may drop runts
  static constexpr bool kTouchesData = true;
  explicit MacswapEngine(LcoreContext&) noexcept {}

  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&, LcoreContext& ctx) noexcept {
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      if (m->data_len < RTE_ETHER_HDR_LEN) [[unlikely]] {
        // Too short to hold two addresses: nothing sensible to swap.
        rte_pktmbuf_free(m);
        ctx.counters.drop(stats::DropReason::kRunt, 1);
        continue;
      }
      auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
      rte_ether_addr tmp = eth->dst_addr;
      eth->dst_addr = eth->src_addr;
      eth->src_addr = tmp;
      pkts[kept++] = m;
    }
    return kept;
  }
};

}  // namespace deltaplane::engines
