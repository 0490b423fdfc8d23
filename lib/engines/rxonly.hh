// rxonly: receive and free (a sink, as testpmd's rxonly), counted as "consumed".
#pragma once

#include <rte_mbuf.h>

#include "engines/engine.hh"

namespace deltaplane::engines {

struct RxonlyEngine {
  static constexpr bool kTouchesData = false;
  static constexpr Lengths kLengths = Lengths::kDropsOnly;
  explicit RxonlyEngine(const EngineEnv& env) noexcept : env_(env) {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&) noexcept {
    rte_pktmbuf_free_bulk(pkts, n);
    env_.drop(stats::DropReason::kConsumed, n);
    return 0;
  }

 private:
  const EngineEnv& env_;
};

}  // namespace deltaplane::engines
