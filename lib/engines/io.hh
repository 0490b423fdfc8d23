// io: forward frames untouched (testpmd's iofwd).
#pragma once

#include "engines/engine.hh"

namespace deltaplane::engines {

struct IoEngine {
  static constexpr bool kTouchesData = false;
  static constexpr Lengths kLengths = Lengths::kUnchanged;
  explicit IoEngine(const EngineEnv&) noexcept {}
  uint16_t process(rte_mbuf**, uint16_t n, const Stream&) noexcept { return n; }
};

}  // namespace deltaplane::engines
