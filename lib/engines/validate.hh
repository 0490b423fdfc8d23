// validate: header validation of every frame (SIMD burst path chosen once with
// --simd); invalid frames are dropped and counted by reason, the rest forwarded.
#pragma once

#include "engines/fwd_loop.hh"
#include "stats/drop_reason.hh"

namespace deltaplane::engines {

// Validates the burst in place: frees and counts invalid frames, compacts the
// valid ones to the front and, if `parsed` is given, their Parsed alongside.
uint16_t validate_and_compact(rte_mbuf** pkts, uint16_t n, LcoreContext& ctx,
                              packet::Parsed* parsed) noexcept;

struct ValidateEngine {
  static constexpr const char* kName = "validate";
  static constexpr bool kPreservesLength = false;  // drops invalid frames
  static constexpr bool kTouchesData = false;      // the validator prefetches itself
  static constexpr bool kOnlyDrops = true;         // lengths of kept frames unchanged
  explicit ValidateEngine(LcoreContext&) noexcept {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&, LcoreContext& ctx) noexcept {
    return validate_and_compact(pkts, n, ctx, nullptr);
  }
};

}  // namespace deltaplane::engines
