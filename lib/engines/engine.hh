// What an engine is (docs/architecture.md, "Adding an engine"). A forwarding
// engine is built once per lcore from its EngineEnv; process() works on a
// burst in place, frees and counts what it drops, and returns how many frames
// remain to send, compacted at the front. A generating engine writes frames
// into fresh mbufs. The loops (rtc_loop.hh, pipeline.hh, generator.hh) are
// templates over the engine type, so its code is inlined: no virtual call per
// packet or per burst.
#pragma once

#include <concepts>
#include <cstdint>

#include "engines/lcore_context.hh"

struct rte_mbuf;

namespace deltaplane::engines {

// What an engine does to the frames it keeps, so the loop knows whether it
// must sum the lengths again before TX.
enum class Lengths : uint8_t {
  kUnchanged,  // keeps every frame as long as it came
  kDropsOnly,  // may drop frames; the ones it keeps are as long as they came
  kRewritten,  // may change lengths (or the number of frames)
};

template <class E>
concept ForwardingEngine = std::constructible_from<E, const EngineEnv&> &&
    requires(E e, rte_mbuf** pkts, uint16_t n, const Stream& s) {
  { E::kTouchesData } -> std::convertible_to<bool>;  // the loop prefetches payloads for it
  { E::kLengths } -> std::convertible_to<Lengths>;
  { e.process(pkts, n, s) }
  noexcept->std::same_as<uint16_t>;
};

// The largest burst an engine takes from a stream of a role: kMaxBurst, or
// less where its output may outnumber its input (E::max_rx_burst(role): a
// decoder restores several frames from one tunnel packet) so that what it
// returns fits a burst array.
template <class E>
constexpr uint16_t max_rx_burst(StreamRole role) noexcept {
  if constexpr (requires { E::max_rx_burst(role); })
    return E::max_rx_burst(role);
  else
    return kMaxBurst;
}

template <class E>
concept GeneratingEngine = std::constructible_from<E, const GeneratorParams&> &&
    requires(E e, rte_mbuf** pkts, uint16_t n) {
  { e.fill(pkts, n) }
  noexcept;  // n frames into fresh mbufs
};

}  // namespace deltaplane::engines
