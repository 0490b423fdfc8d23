// rxonly: receive and free (a sink, as testpmd's rxonly), counted as "consumed".
#pragma once

#include "engines/fwd_loop.hh"

namespace deltaplane::engines {

struct RxonlyEngine {
  static constexpr const char* kName = "rxonly";
  static constexpr bool kPreservesLength = true;
  static constexpr bool kTouchesData = false;
  explicit RxonlyEngine(LcoreContext&) noexcept {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&, LcoreContext& ctx) noexcept {
    rte_pktmbuf_free_bulk(pkts, n);
    ctx.counters.drop(stats::DropReason::kConsumed, n);
    return 0;
  }
};

}  // namespace deltaplane::engines
