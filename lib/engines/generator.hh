// txonly and flowgen: generators like testpmd's. Each lcore allocates bursts
// from its socket's mempool, writes valid Ethernet/IPv4/UDP frames of
// --txpkts bytes (flowgen: cycling over --flows source addresses and ports,
// checksums kept right) and sends them on its streams' TX queues, optionally
// paced to --tx-rate packets per second with a TSC token bucket. Generated
// frames are counted as received on the stream, so the accounting invariant
// (rx = tx + drops) holds for generators too.
#pragma once

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <cstring>

#include "engines/burst_io.hh"
#include "engines/engine.hh"

namespace deltaplane::engines {

// The frame of `len` bytes of flowgen's flow `flow` (txonly: flow 0).
void build_generated_frame(uint8_t* p, uint16_t len, uint32_t flow) noexcept;

struct TxonlyEngine {
  explicit TxonlyEngine(const GeneratorParams& g) noexcept : len_(g.pkt_len) {
    build_generated_frame(tmpl_, len_, 0);
  }
  void fill(rte_mbuf** pkts, uint16_t n) noexcept {
    for (uint16_t i = 0; i < n; ++i)
      std::memcpy(rte_pktmbuf_mtod(pkts[i], uint8_t*), tmpl_, len_);
  }

 private:
  uint16_t len_;
  alignas(64) uint8_t tmpl_[9600];
};

struct FlowgenEngine {
  explicit FlowgenEngine(const GeneratorParams& g) noexcept : len_(g.pkt_len), flows_(g.flows) {}
  void fill(rte_mbuf** pkts, uint16_t n) noexcept {
    for (uint16_t i = 0; i < n; ++i) {
      build_generated_frame(rte_pktmbuf_mtod(pkts[i], uint8_t*), len_, flow_);
      flow_ = flow_ + 1 == flows_ ? 0 : flow_ + 1;
    }
  }

 private:
  uint16_t len_;
  uint32_t flows_;
  uint32_t flow_ = 0;
};

// The generator loop: allocate, fill, count as received, send.
template <GeneratingEngine E>
int generator_main(void* arg) noexcept {
  RtcContext& ctx = *static_cast<RtcContext*>(arg);
  E engine(ctx.gen);
  rte_mbuf* pkts[kMaxBurst];
  const uint16_t burst = ctx.core.burst;
  const uint16_t len = ctx.gen.pkt_len;
  // Token bucket: `tokens` packets may leave now; refilled from the TSC.
  const double per_cycle =
      ctx.gen.rate ? static_cast<double>(ctx.gen.rate) / static_cast<double>(rte_get_tsc_hz()) : 0;
  double tokens = burst;
  uint64_t last = rte_rdtsc();

  RunGate gate(ctx.core);
  while (gate.pass()) {
    for (uint16_t si = 0; si < ctx.streams.nb; ++si) {
      const Stream& s = ctx.streams.streams[si];
      stats::StreamCounters& sc = ctx.streams.counters[si];
      uint16_t n = burst;
      if (per_cycle > 0) {
        const uint64_t now = rte_rdtsc();
        tokens += static_cast<double>(now - last) * per_cycle;
        last = now;
        if (tokens > 2.0 * burst) tokens = 2.0 * burst;  // no bursts after idling
        if (tokens < 1) continue;
        if (tokens < n) n = static_cast<uint16_t>(tokens);
        tokens -= n;
      }
      ctx.core.counters.polls.add(1);
      if (rte_pktmbuf_alloc_bulk(ctx.gen.pool, pkts, n) != 0) [[unlikely]] {
        ctx.core.counters.empty_polls.add(1);  // pool exhausted: try again
        continue;
      }
      engine.fill(pkts, n);
      for (uint16_t i = 0; i < n; ++i) {
        pkts[i]->data_len = len;
        pkts[i]->pkt_len = len;
        pkts[i]->port = s.tx_port;
      }
      const uint64_t bytes = uint64_t{n} * len;
      sc.rx_packets.add(n);  // generated
      sc.rx_bytes.add(bytes);
      tx_send(s, pkts, n, bytes, ctx.core, ctx.io, sc);
    }
  }
  return 0;
}

}  // namespace deltaplane::engines
