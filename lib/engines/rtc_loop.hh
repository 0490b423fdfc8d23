// The run-to-completion loop, one instantiation per engine so the engine's
// per-burst work is inlined:
//
//   rx_admit (count, drop oversize, prefetch) -> engine -> tx_send
//
// kCycles (--cycles) reads the TSC around each stage of a non-empty burst;
// the instantiation without it has no trace of the measurement.
#pragma once

#include "engines/burst_io.hh"
#include "engines/engine.hh"

namespace deltaplane::engines {

template <ForwardingEngine E, bool kCycles = false>
int rtc_main(void* arg) noexcept {
  RtcContext& ctx = *static_cast<RtcContext*>(arg);
  E engine(ctx.env);
  rte_mbuf* pkts[kMaxBurst];
  stats::LcoreCounters& counters = ctx.core.counters;
  uint64_t t0 = 0, t1 = 0;

  RunGate gate(ctx.core);
  while (gate.pass()) {
    for (uint16_t si = 0; si < ctx.streams.nb; ++si) {
      const Stream& s = ctx.streams.streams[si];
      stats::StreamCounters& sc = ctx.streams.counters[si];
      if constexpr (kCycles) t0 = rte_rdtsc();
      uint64_t bytes;
      uint16_t n =
          rx_admit<E::kTouchesData>(s, pkts, ctx.core, ctx.io, sc, bytes, max_rx_burst<E>(s.role));
      if (n == 0) [[unlikely]]
        continue;
      if constexpr (kCycles) {
        t1 = rte_rdtsc();
        counters.cycles_rx.add(t1 - t0);
        counters.cycles_packets.add(n);
      }
      const uint16_t admitted = n;
      n = engine.process(pkts, n, s);
      if constexpr (kCycles) {
        t0 = rte_rdtsc();
        counters.cycles_engine.add(t0 - t1);
      }
      if (n == 0) continue;
      if constexpr (E::kLengths == Lengths::kRewritten) {
        bytes = total_length(pkts, n);
      } else if constexpr (E::kLengths == Lengths::kDropsOnly) {
        if (n != admitted) bytes = total_length(pkts, n);
      }
      if (s.stamped) [[unlikely]]
        record_latency(pkts, n, ctx.io.tsc_offset, ctx.latency);
      tx_send(s, pkts, n, bytes, ctx.core, ctx.io, sc);
      if constexpr (kCycles) counters.cycles_tx.add(rte_rdtsc() - t0);
    }
  }
  return 0;
}

}  // namespace deltaplane::engines
