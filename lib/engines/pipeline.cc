#include "engines/pipeline.hh"

#include <rte_hash_crc.h>

#include <cstring>

namespace deltaplane::engines {

namespace detail {

unsigned enqueue_or_drop(LcoreContext& ctx, uint16_t r, rte_mbuf** pkts, unsigned n) noexcept {
  PipelineLinks& pl = ctx.pipe;
  runtime::Ring& ring = *pl.out_rings[r];
  RingCounters& rc = pl.ring_counters[r];
  unsigned free_space = 0;
  unsigned done = ring.enqueue_burst(pkts, n, &free_space);
  if (done < n) [[unlikely]] {
    rc.full_events.add(1);
    if (pl.backpressure == config::Backpressure::kBlock) {
      // Wait for the consumer (which always drains: workers and TX lcores run
      // until their upstream is done). Meanwhile this RX lcore does not poll,
      // so the overload stays in the NIC's RX ring, counted as missed.
      while (done < n) {
        if (pl.while_blocked) pl.while_blocked(pl.while_blocked_arg);
        rte_pause();
        done += ring.enqueue_burst(pkts + done, n - done, &free_space);
      }
    }
    const bool retry = pl.backpressure == config::Backpressure::kRetry;
    for (uint32_t t = 0; retry && t < pl.ring_retries && done < n; ++t) {
      rte_pause();
      done += ring.enqueue_burst(pkts + done, n - done, &free_space);
    }
    if (done < n) {
      rte_pktmbuf_free_bulk(pkts + done, n - done);
      rc.dropped.add(n - done);
      ctx.counters.drop(stats::DropReason::kRingFull, n - done);
    }
  }
  rc.enqueued.add(done);
  const uint64_t used = ring.capacity() - free_space;
  if (used > rc.high_water.load()) rc.high_water.add(used - rc.high_water.load());
  return done;
}

}  // namespace detail

namespace {

// Flow hash for worker choice: the NIC's RSS hash when it gave one, else a CRC
// of the IPv4/IPv6 addresses and ports (untagged frames), else of the MACs.
inline uint32_t flow_hash_of(const rte_mbuf* m) noexcept {
  if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) return m->hash.rss;
  const auto* d = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t len = m->data_len;
  // rte_hash_crc loads 8 bytes at a time: hash an aligned copy, not the frame.
  alignas(8) uint8_t key[40];
  uint32_t n;
  if (len >= 38 && d[12] == 0x08 && d[13] == 0x00 && (d[14] & 0x0f) == 5) {
    n = 12;  // IPv4 source, destination, ports
    std::memcpy(key, d + 26, n);
  } else if (len >= 58 && d[12] == 0x86 && d[13] == 0xdd) {
    n = 36;  // IPv6 source, destination, ports
    std::memcpy(key, d + 22, n);
  } else {
    n = len >= 12 ? 12 : len;  // the MAC addresses
    std::memcpy(key, d, n);
  }
  return rte_hash_crc(key, n, 0);
}

// Stack scratch of the RX and TX steps.
struct RxScratch {
  rte_mbuf* pkts[kMaxBurst];
  rte_mbuf* out[kMaxStageRings][kMaxBurst];
  uint16_t out_n[kMaxStageRings];
};
struct TxScratch {
  rte_mbuf* in[kMaxBurst];
  rte_mbuf* by_stream[kMaxTxPortsPerLcore][kMaxBurst];
  uint16_t cnt[kMaxTxPortsPerLcore];
};

// One pass over an RX lcore's queues: admit, stamp, dispatch to workers.
inline void rx_step(LcoreContext& ctx, RxScratch& x) noexcept {
  PipelineLinks& pl = ctx.pipe;
  const uint16_t burst = ctx.burst;
  const uint16_t workers = pl.nb_out_rings;
  for (uint16_t si = 0; si < ctx.nb_streams; ++si) {
    const Stream& s = ctx.streams[si];
    stats::StreamCounters& sc = ctx.stream_counters[si];
    uint16_t n = rte_eth_rx_burst(s.rx_port, s.rx_queue, x.pkts, burst);
    ctx.counters.polls.add(1);
    if (n == 0) [[unlikely]] {
      ctx.counters.empty_polls.add(1);
      continue;
    }
    uint64_t bytes;
    n = detail::admit<false>(x.pkts, n, sc, ctx, bytes);
    if (n == 0) [[unlikely]]
      continue;
    const uint64_t now = rte_rdtsc();
    for (uint16_t w = 0; w < workers; ++w)
      x.out_n[w] = 0;
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = x.pkts[i];
      if (!s.stamped) runtime::rx_tsc(m, pl.tsc_offset) = now;  // else: arrival time
      m->port = s.rx_port;
      const uint16_t w = static_cast<uint16_t>(flow_hash_of(m) % workers);
      x.out[w][x.out_n[w]++] = m;
    }
    for (uint16_t w = 0; w < workers; ++w)
      if (x.out_n[w]) detail::enqueue_or_drop(ctx, w, x.out[w], x.out_n[w]);
  }
}

// One dequeue from a TX lcore's ring, sent per port; returns frames dequeued.
inline unsigned tx_step(LcoreContext& ctx, TxScratch& x) noexcept {
  PipelineLinks& pl = ctx.pipe;
  const unsigned n = pl.in_ring->dequeue_burst(x.in, ctx.burst);
  if (n == 0) return 0;
  const uint64_t now = rte_rdtsc();
  for (uint16_t si = 0; si < ctx.nb_streams; ++si)
    x.cnt[si] = 0;
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = x.in[i];
    ctx.latency.record(now - runtime::rx_tsc(m, pl.tsc_offset));
    // Streams of a TX lcore are its ports (usually one or two): find it.
    uint16_t si = 0;
    while (si + 1 < ctx.nb_streams && ctx.streams[si].tx_port != m->port)
      ++si;
    x.by_stream[si][x.cnt[si]++] = m;
  }
  for (uint16_t si = 0; si < ctx.nb_streams; ++si) {
    if (!x.cnt[si]) continue;
    const Stream& s = ctx.streams[si];
    rte_mbuf** pkts = x.by_stream[si];
    if (ctx.control->link_down[s.tx_port].load(std::memory_order_relaxed)) [[unlikely]] {
      detail::drop_link_down(pkts, x.cnt[si], ctx);
      continue;
    }
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < x.cnt[si]; ++i)
      bytes += pkts[i]->pkt_len;
    const uint16_t sent = rte_eth_tx_burst(s.tx_port, s.tx_queue, pkts, x.cnt[si]);
    if (sent == x.cnt[si]) [[likely]] {
      ctx.stream_counters[si].tx_packets.add(sent);
      ctx.stream_counters[si].tx_bytes.add(bytes);
    } else {
      detail::finish_tx(s, pkts, x.cnt[si], sent, bytes, ctx);
    }
  }
  return n;
}

// A TX lcore is done once its upstream stage is and its ring is empty.
inline bool tx_drained(const LcoreContext& ctx) noexcept {
  return ctx.pipe.upstream_done->load(std::memory_order_acquire) && ctx.pipe.in_ring->count() == 0;
}

}  // namespace

int pipeline_rx_main(void* arg) noexcept {
  LcoreContext& ctx = *static_cast<LcoreContext*>(arg);
  RxScratch x;
  detail::RunGate gate(ctx);
  while (gate.pass())
    rx_step(ctx, x);
  ctx.stage_done.store(true, std::memory_order_release);
  return 0;
}

int pipeline_tx_main(void* arg) noexcept {
  LcoreContext& ctx = *static_cast<LcoreContext*>(arg);
  TxScratch x;
  while (true) {
    if (tx_step(ctx, x) == 0) {
      if (tx_drained(ctx)) break;
      rte_pause();
    }
  }
  ctx.stage_done.store(true, std::memory_order_release);
  return 0;
}

int pipeline_io_main(void* arg) noexcept {
  IoLcore& io = *static_cast<IoLcore*>(arg);
  LcoreContext& rx = *io.rx;
  LcoreContext& tx = *io.tx;
  RxScratch rx_x;
  TxScratch tx_x;
  // Blocked on a full worker ring, the I/O lcore keeps sending: the workers
  // may themselves wait for room in the ring this lcore drains.
  struct TxSide {
    LcoreContext* ctx;
    TxScratch* x;
  } tx_side{&tx, &tx_x};
  rx.pipe.while_blocked = [](void* a) noexcept {
    auto* t = static_cast<TxSide*>(a);
    tx_step(*t->ctx, *t->x);
  };
  rx.pipe.while_blocked_arg = &tx_side;
  detail::RunGate gate(rx);
  bool rx_on = true;
  while (true) {
    if (rx_on) {
      // Not gate.pass(): a paused I/O lcore still drains what the workers send.
      const RunState st = gate.poll();
      if (st == RunState::kRunning) [[likely]] {
        rx_step(rx, rx_x);
      } else if (st == RunState::kStopping) {
        rx_on = false;
        rx.stage_done.store(true, std::memory_order_release);
      }
    }
    if (tx_step(tx, tx_x) == 0 && !rx_on) {
      if (tx_drained(tx)) break;
      rte_pause();
    }
  }
  tx.stage_done.store(true, std::memory_order_release);
  return 0;
}

}  // namespace deltaplane::engines
