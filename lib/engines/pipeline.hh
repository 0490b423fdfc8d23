// The pipeline model's stage loops (docs/architecture.md, "Pipeline model"):
//   RX lcores:  rx_admit -> stamp TSC -> ring of the flow's worker
//   workers:    ring -> engine (per RX port run) -> ring of the TX port's lcore
//   TX lcores:  ring -> tx_send per port
//   I/O lcores: an RX and a TX lcore in one (pipeline_io_main)
// Flows stay on one worker (flow hash), so per-flow order is kept end to end.
// A full ring is handled per --backpressure (wait, bounded retries, drop);
// what is dropped is counted ("ring_full"). Workers and TX lcores drain their
// rings before exiting, so every frame is accounted for.
#pragma once

#include <algorithm>

#include <rte_cycles.h>

#include "engines/burst_io.hh"
#include "engines/engine.hh"
#include "runtime/ring.hh"

namespace deltaplane::engines {

int pipeline_rx_main(void* arg) noexcept;
int pipeline_tx_main(void* arg) noexcept;

// An I/O lcore (as in DPDK's load_balancer example) does both ends: it polls
// its RX queues and sends what the workers hand back, so a pipeline fits two
// cores (I/O + worker). Its two contexts keep their roles and counters.
struct IoLcore {
  RxStageContext* rx = nullptr;
  TxStageContext* tx = nullptr;
};
int pipeline_io_main(void* arg) noexcept;

// Enqueues n frames into ring r of `out`, per the backpressure policy; frees
// and counts what does not fit. Returns how many were enqueued.
unsigned enqueue_or_drop(LcoreCore& core, RingOut& out, uint16_t r, rte_mbuf** pkts,
                         unsigned n) noexcept;

template <ForwardingEngine E>
int pipeline_worker_main(void* arg) noexcept {
  WorkerContext& ctx = *static_cast<WorkerContext*>(arg);
  E engine(ctx.env);
  rte_mbuf* in[kMaxBurst];
  rte_mbuf* run[kMaxBurst];  // one run of the burst, as the engine returns it
  rte_mbuf* out[kMaxStageRings][kMaxBurst];
  uint16_t out_n[kMaxStageRings];
  const uint16_t burst = ctx.core.burst;

  while (true) {
    const unsigned n = ctx.in->dequeue_burst(in, burst);
    if (n == 0) {
      // Exit only once RX has stopped for good and everything it sent is done.
      if (ctx.upstream_done->load(std::memory_order_acquire) && ctx.in->count() == 0) break;
      rte_pause();
      continue;
    }
    const uint64_t now = rte_rdtsc();
    for (unsigned i = 0; i < n; ++i)
      ctx.latency.record(now - runtime::rx_tsc(in[i], ctx.tsc_offset));
    for (uint16_t r = 0; r < ctx.out.nb; ++r)
      out_n[r] = 0;

    // The engine runs on runs of frames from the same RX port (the usual case
    // is one run per burst), so each sees its port's role and TX port.
    unsigned start = 0;
    while (start < n) {
      const uint16_t port = in[start]->port;
      const Stream& s = ctx.stream_of_rx_port[port < kMaxPorts ? port : 0];
      const unsigned cap = start + max_rx_burst<E>(s.role);  // a run's output must fit `run`
      unsigned end = start + 1;
      while (end < n && end < cap && in[end]->port == port)
        ++end;
      const uint16_t len = static_cast<uint16_t>(end - start);
      std::copy(in + start, in + end, run);  // the engine may return more than it took
      const uint16_t kept = engine.process(run, len, s);
      const uint16_t r = ctx.out_ring_of_tx_port[s.tx_port < kMaxPorts ? s.tx_port : 0];
      if (out_n[r] + kept > kMaxBurst) {
        enqueue_or_drop(ctx.core, ctx.out, r, out[r], out_n[r]);
        out_n[r] = 0;
      }
      for (uint16_t i = 0; i < kept; ++i) {
        rte_mbuf* m = run[i];
        m->port = s.tx_port;  // from here on, the port a frame leaves through
        out[r][out_n[r]++] = m;
      }
      start = end;
    }
    for (uint16_t r = 0; r < ctx.out.nb; ++r)
      if (out_n[r]) enqueue_or_drop(ctx.core, ctx.out, r, out[r], out_n[r]);
  }
  return 0;
}

}  // namespace deltaplane::engines
