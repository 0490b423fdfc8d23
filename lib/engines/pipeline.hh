// The pipeline model's three stage loops (docs/architecture.md, "Pipeline"):
//   RX lcores:  rx_burst -> admit -> stamp TSC -> ring of the flow's worker
//   workers:    ring -> engine (per RX port run) -> ring of the TX port's lcore
//   TX lcores:  ring -> tx_burst per port
//   I/O lcores: an RX and a TX lcore in one (pipeline_io_main)
// Flows stay on one worker (flow hash), so per-flow order is kept end to end.
// A full ring is retried up to a bound, then its frames are dropped and
// counted ("ring_full"): nothing blocks forever, nothing leaks. Workers and TX
// lcores drain their rings before exiting, so every frame is accounted for.
#pragma once

#include <rte_cycles.h>
#include <rte_mbuf_dyn.h>

#include "engines/fwd_loop.hh"
#include "runtime/ring.hh"

namespace deltaplane::engines {

int pipeline_rx_main(void* arg) noexcept;
int pipeline_tx_main(void* arg) noexcept;

// An I/O lcore (as in DPDK's load_balancer example) does both ends: it polls
// its RX queues and sends what the workers hand back, so a pipeline fits two
// cores (I/O + worker). Its two contexts keep their roles and counters.
struct IoLcore {
  LcoreContext* rx = nullptr;
  LcoreContext* tx = nullptr;
};
int pipeline_io_main(void* arg) noexcept;

namespace detail {

// Enqueues n frames, retrying per the backpressure policy; frees and counts
// what does not fit. Returns how many were enqueued.
unsigned enqueue_or_drop(LcoreContext& ctx, uint16_t ring, rte_mbuf** pkts, unsigned n) noexcept;

}  // namespace detail

template <Engine E>
int pipeline_work_main(void* arg) noexcept {
  LcoreContext& ctx = *static_cast<LcoreContext*>(arg);
  PipelineLinks& pl = ctx.pipe;
  E engine(ctx);
  rte_mbuf* in[kMaxBurst];
  rte_mbuf* out[kMaxStageRings][kMaxBurst];
  uint16_t out_n[kMaxStageRings];
  const uint16_t burst = ctx.burst;

  while (true) {
    const unsigned n = pl.in_ring->dequeue_burst(in, burst);
    if (n == 0) {
      // Exit only once RX has stopped for good and everything it sent is done.
      if (pl.upstream_done->load(std::memory_order_acquire) && pl.in_ring->count() == 0) break;
      rte_pause();
      continue;
    }
    const uint64_t now = rte_rdtsc();
    for (unsigned i = 0; i < n; ++i)
      ctx.latency.record(now - runtime::rx_tsc(in[i], pl.tsc_offset));
    for (uint16_t r = 0; r < pl.nb_out_rings; ++r)
      out_n[r] = 0;

    // The engine runs on runs of frames from the same RX port (the usual case
    // is one run per burst), so each sees its port's role and TX port.
    unsigned start = 0;
    while (start < n) {
      const uint16_t port = in[start]->port;
      unsigned end = start + 1;
      while (end < n && in[end]->port == port)
        ++end;
      const Stream& s = pl.stream_of_rx_port[port < kMaxPorts ? port : 0];
      const uint16_t kept = engine.process(in + start, static_cast<uint16_t>(end - start), s, ctx);
      const uint16_t r = pl.out_ring_of_tx_port[s.tx_port < kMaxPorts ? s.tx_port : 0];
      for (uint16_t i = 0; i < kept; ++i) {
        rte_mbuf* m = in[start + i];
        m->port = s.tx_port;  // from here on, the port a frame leaves through
        out[r][out_n[r]++] = m;
      }
      start = end;
    }
    for (uint16_t r = 0; r < pl.nb_out_rings; ++r)
      if (out_n[r]) detail::enqueue_or_drop(ctx, r, out[r], out_n[r]);
  }
  return 0;
}

}  // namespace deltaplane::engines
