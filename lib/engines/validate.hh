// validate: header validation of every frame (SIMD burst path chosen once with
// --simd); invalid frames are dropped and counted by reason, the rest forwarded.
#pragma once

#include "engines/engine.hh"

namespace deltaplane::engines {

// Validates the burst in place: frees and counts invalid frames, compacts the
// valid ones to the front and, if `parsed` is given, their Parsed alongside.
uint16_t validate_and_compact(rte_mbuf** pkts, uint16_t n, const EngineEnv& env,
                              packet::Parsed* parsed) noexcept;

struct ValidateEngine {
  static constexpr bool kTouchesData = false;  // the validator prefetches itself
  static constexpr Lengths kLengths = Lengths::kDropsOnly;
  explicit ValidateEngine(const EngineEnv& env) noexcept : env_(env) {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&) noexcept {
    return validate_and_compact(pkts, n, env_, nullptr);
  }

 private:
  const EngineEnv& env_;
};

}  // namespace deltaplane::engines
