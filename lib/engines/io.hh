// io: forward frames untouched (testpmd's iofwd).
#pragma once

#include "engines/fwd_loop.hh"

namespace deltaplane::engines {

struct IoEngine {
  static constexpr const char* kName = "io";
  static constexpr bool kPreservesLength = true;
  static constexpr bool kTouchesData = false;
  explicit IoEngine(LcoreContext&) noexcept {}
  uint16_t process(rte_mbuf**, uint16_t n, const Stream&, LcoreContext&) noexcept { return n; }
};

}  // namespace deltaplane::engines
