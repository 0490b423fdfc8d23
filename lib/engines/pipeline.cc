#include "engines/pipeline.hh"

#include <rte_hash_crc.h>

#include <cstring>

namespace deltaplane::engines {

unsigned enqueue_or_drop(LcoreCore& core, RingOut& out, uint16_t r, rte_mbuf** pkts,
                         unsigned n) noexcept {
  runtime::Ring& ring = *out.rings[r];
  RingCounters& rc = out.counters[r];
  unsigned free_space = 0;
  unsigned done = ring.enqueue_burst(pkts, n, &free_space);
  if (done < n) [[unlikely]] {
    rc.full_events.add(1);
    if (out.backpressure == config::Backpressure::kBlock) {
      // Wait for the consumer (which always drains: workers and TX lcores run
      // until their upstream is done). Meanwhile this RX lcore does not poll,
      // so the overload stays in the NIC's RX ring, counted as missed.
      while (done < n) {
        if (out.while_blocked) out.while_blocked(out.while_blocked_arg);
        rte_pause();
        done += ring.enqueue_burst(pkts + done, n - done, &free_space);
      }
    }
    const bool retry = out.backpressure == config::Backpressure::kRetry;
    for (uint32_t t = 0; retry && t < out.retries && done < n; ++t) {
      rte_pause();
      done += ring.enqueue_burst(pkts + done, n - done, &free_space);
    }
    if (done < n) {
      rte_pktmbuf_free_bulk(pkts + done, n - done);
      rc.dropped.add(n - done);
      core.counters.drop(stats::DropReason::kRingFull, n - done);
    }
  }
  rc.enqueued.add(done);
  const uint64_t used = ring.capacity() - free_space;
  if (used > rc.high_water.load()) rc.high_water.add(used - rc.high_water.load());
  return done;
}

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
inline void rx_step(RxStageContext& ctx, RxScratch& x) noexcept {
  const uint16_t workers = ctx.out.nb;
  for (uint16_t si = 0; si < ctx.streams.nb; ++si) {
    const Stream& s = ctx.streams.streams[si];
    uint64_t bytes;
    const uint16_t n =
        rx_admit<false>(s, x.pkts, ctx.core, ctx.io, ctx.streams.counters[si], bytes);
    if (n == 0) [[unlikely]]
      continue;
    const uint64_t now = rte_rdtsc();
    for (uint16_t w = 0; w < workers; ++w)
      x.out_n[w] = 0;
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = x.pkts[i];
      if (!s.stamped) runtime::rx_tsc(m, ctx.io.tsc_offset) = now;  // else: arrival time
      m->port = s.rx_port;
      const uint16_t w = static_cast<uint16_t>(flow_hash_of(m) % workers);
      x.out[w][x.out_n[w]++] = m;
    }
    for (uint16_t w = 0; w < workers; ++w)
      if (x.out_n[w]) enqueue_or_drop(ctx.core, ctx.out, w, x.out[w], x.out_n[w]);
  }
}

// One dequeue from a TX lcore's ring, sent per port; returns frames dequeued.
inline unsigned tx_step(TxStageContext& ctx, TxScratch& x) noexcept {
  const unsigned n = ctx.in->dequeue_burst(x.in, ctx.core.burst);
  if (n == 0) return 0;
  const uint64_t now = rte_rdtsc();
  for (uint16_t si = 0; si < ctx.streams.nb; ++si)
    x.cnt[si] = 0;
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = x.in[i];
    ctx.latency.record(now - runtime::rx_tsc(m, ctx.io.tsc_offset));
    // Streams of a TX lcore are its ports (usually one or two): find it.
    uint16_t si = 0;
    while (si + 1 < ctx.streams.nb && ctx.streams.streams[si].tx_port != m->port)
      ++si;
    x.by_stream[si][x.cnt[si]++] = m;
  }
  for (uint16_t si = 0; si < ctx.streams.nb; ++si)
    if (x.cnt[si])
      tx_send(ctx.streams.streams[si], x.by_stream[si], x.cnt[si],
              total_length(x.by_stream[si], x.cnt[si]), ctx.core, ctx.io, ctx.streams.counters[si]);
  return n;
}

// A TX lcore is done once its upstream stage is and its ring is empty.
inline bool tx_drained(const TxStageContext& ctx) noexcept {
  return ctx.upstream_done->load(std::memory_order_acquire) && ctx.in->count() == 0;
}

}  // namespace

int pipeline_rx_main(void* arg) noexcept {
  RxStageContext& ctx = *static_cast<RxStageContext*>(arg);
  RxScratch x;
  RunGate gate(ctx.core);
  while (gate.pass())
    rx_step(ctx, x);
  ctx.core.stage_done.store(true, std::memory_order_release);
  return 0;
}

int pipeline_tx_main(void* arg) noexcept {
  TxStageContext& ctx = *static_cast<TxStageContext*>(arg);
  TxScratch x;
  while (true) {
    count_loop(ctx.core);
    if (tx_step(ctx, x) == 0) {
      if (tx_drained(ctx)) break;
      rte_pause();
    }
  }
  ctx.core.stage_done.store(true, std::memory_order_release);
  return 0;
}

int pipeline_io_main(void* arg) noexcept {
  IoLcore& io = *static_cast<IoLcore*>(arg);
  RxStageContext& rx = *io.rx;
  TxStageContext& tx = *io.tx;
  RxScratch rx_x;
  TxScratch tx_x;
  // Blocked on a full worker ring, the I/O lcore keeps sending: the workers
  // may themselves wait for room in the ring this lcore drains.
  struct TxSide {
    TxStageContext* ctx;
    TxScratch* x;
  } tx_side{&tx, &tx_x};
  rx.out.while_blocked = [](void* a) noexcept {
    auto* t = static_cast<TxSide*>(a);
    tx_step(*t->ctx, *t->x);
  };
  rx.out.while_blocked_arg = &tx_side;
  RunGate gate(rx.core);
  bool rx_on = true;
  while (true) {
    count_loop(tx.core);
    if (rx_on) {
      // Not gate.pass(): a paused I/O lcore still drains what the workers send.
      const RunState st = gate.poll();
      if (st == RunState::kRunning) [[likely]] {
        rx_step(rx, rx_x);
      } else if (st == RunState::kStopping) {
        rx_on = false;
        rx.core.stage_done.store(true, std::memory_order_release);
      }
    }
    if (tx_step(tx, tx_x) == 0 && !rx_on) {
      if (tx_drained(tx)) break;
      rte_pause();
    }
  }
  rx.out.while_blocked = nullptr;  // tx_side lives on this stack
  tx.core.stage_done.store(true, std::memory_order_release);
  return 0;
}

}  // namespace deltaplane::engines
