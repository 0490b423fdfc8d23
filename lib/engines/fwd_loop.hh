// The run-to-completion loop, one instantiation per engine so the engine's
// per-burst work is inlined: no virtual call per packet or per burst.
//
//   rx_burst -> admit (count, drop oversize, prefetch) -> engine -> tx_burst
//
// Nothing here allocates, locks, throws or makes a system call.
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "engines/lcore_context.hh"
#include "runtime/rx_timestamp.hh"

namespace deltaplane::engines {

// An engine works on a burst in place and returns how many frames remain to
// send (compacted to the front). It frees and counts what it drops.
template <class E>
concept Engine = requires(E e, rte_mbuf** pkts, uint16_t n, const Stream& s, LcoreContext& ctx) {
  { E::kName } -> std::convertible_to<const char*>;
  { E::kTouchesData } -> std::convertible_to<bool>;      // prefetch payloads while admitting
  { E::kPreservesLength } -> std::convertible_to<bool>;  // keeps every frame, lengths unchanged
  { e.process(pkts, n, s, ctx) }
  noexcept->std::same_as<uint16_t>;
};

// Engines that only drop frames (never change a length) may say so with
// `static constexpr bool kOnlyDrops = true`: when none was dropped, the RX
// byte count is the TX byte count and no second pass over the burst is needed.
template <class E>
constexpr bool only_drops() {
  if constexpr (requires { E::kOnlyDrops; })
    return E::kOnlyDrops;
  else
    return false;
}

namespace detail {

// Frees frames longer than max_frame (rare) and compacts the rest; subtracts
// the dropped frames' lengths from `bytes`.
[[gnu::cold, gnu::noinline]] uint16_t drop_oversize(rte_mbuf** pkts, uint16_t n, uint64_t& bytes,
                                                    LcoreContext& ctx) noexcept;

// Frees and counts a burst bound for a port whose link is down.
[[gnu::cold, gnu::noinline]] void drop_link_down(rte_mbuf** pkts, uint16_t n,
                                                 LcoreContext& ctx) noexcept;

// Retries what tx_burst did not take, then frees and counts the rest.
[[gnu::cold, gnu::noinline]] uint16_t finish_tx(const Stream& s, rte_mbuf** pkts, uint16_t n,
                                                uint16_t sent, uint64_t bytes,
                                                LcoreContext& ctx) noexcept;

// The operator's run state as seen by one forwarding lcore: pass() returns
// false once the lcore must stop; while forwarding is paused it spins inside
// (after telling the control plane, once, that this lcore finished its burst).
class RunGate {
 public:
  explicit RunGate(LcoreContext& ctx) noexcept : ctx_(ctx), state_(ctx.control->state) {}

  bool pass() noexcept {
    RunState st;
    while ((st = poll()) == RunState::kPaused)
      rte_pause();
    return st == RunState::kRunning;
  }

  // The state without waiting, the pause acknowledged (for loops that keep
  // doing other work while paused, like the pipeline's I/O lcore).
  RunState poll() noexcept {
    const RunState st = state_.load(std::memory_order_relaxed);
    if (st == RunState::kRunning) [[likely]] {
      if (acked_) [[unlikely]] {
        ctx_.paused_ack.store(false, std::memory_order_relaxed);
        acked_ = false;
      }
    } else if (st == RunState::kPaused && !acked_) {
      ctx_.paused_ack.store(true, std::memory_order_release);
      acked_ = true;
    }
    return st;
  }

 private:
  LcoreContext& ctx_;
  const std::atomic<RunState>& state_;
  bool acked_ = false;
};

// Admit a received burst: one pass over the mbuf headers (already hot from the
// driver) counts packets and bytes, spots oversize frames (dropped, rare) and,
// for engines that read payloads, prefetches them. Returns the frames kept;
// `bytes` is their total length.
template <bool kPrefetch>
inline uint16_t admit(rte_mbuf** pkts, uint16_t n, stats::StreamCounters& sc, LcoreContext& ctx,
                      uint64_t& bytes) noexcept {
  bytes = 0;
  bool oversize = false;
  const uint32_t max_frame = ctx.max_frame;
  for (uint16_t i = 0; i < n; ++i) {
    const uint32_t len = pkts[i]->pkt_len;
    bytes += len;
    oversize |= len > max_frame;
    if constexpr (kPrefetch) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  }
  sc.rx_packets.add(n);
  sc.rx_bytes.add(bytes);
  if (oversize) [[unlikely]]
    n = drop_oversize(pkts, n, bytes, ctx);
  return n;
}

// Streams from a port that stamps arrival times (the synthetic source): the
// time each frame waited, in the modelled RX ring and here, up to its TX.
[[gnu::noinline]] inline void record_arrival_latency(rte_mbuf** pkts, uint16_t n,
                                                     LcoreContext& ctx) noexcept {
  const uint64_t now = rte_rdtsc();
  for (uint16_t i = 0; i < n; ++i)
    ctx.latency.record(now - runtime::rx_tsc(pkts[i], ctx.pipe.tsc_offset));
}

}  // namespace detail

// kCycles (--cycles) reads the TSC around each stage of a non-empty burst and
// adds the cycles to per-lcore counters; the instantiation without it has no
// trace of the measurement.
template <Engine E, bool kCycles = false>
int fwd_lcore_main(void* arg) noexcept {
  LcoreContext& ctx = *static_cast<LcoreContext*>(arg);
  E engine(ctx);
  rte_mbuf* pkts[kMaxBurst];
  const uint16_t burst = ctx.burst;
  uint64_t t0 = 0, t1 = 0;

  detail::RunGate gate(ctx);
  while (gate.pass()) {
    for (uint16_t si = 0; si < ctx.nb_streams; ++si) {
      const Stream& s = ctx.streams[si];
      stats::StreamCounters& sc = ctx.stream_counters[si];
      if constexpr (kCycles) t0 = rte_rdtsc();
      uint16_t n = rte_eth_rx_burst(s.rx_port, s.rx_queue, pkts, burst);
      ctx.counters.polls.add(1);
      if (n == 0) [[unlikely]] {
        ctx.counters.empty_polls.add(1);
        continue;
      }

      uint64_t bytes;
      n = detail::admit<E::kTouchesData>(pkts, n, sc, ctx, bytes);
      if constexpr (kCycles) {
        t1 = rte_rdtsc();
        ctx.counters.cycles_rx.add(t1 - t0);
        ctx.counters.cycles_packets.add(n);
      }
      if (n == 0) [[unlikely]]
        continue;

      const uint16_t admitted = n;
      n = engine.process(pkts, n, s, ctx);
      if constexpr (kCycles) {
        t0 = rte_rdtsc();
        ctx.counters.cycles_engine.add(t0 - t1);
      }
      if (n == 0) continue;

      uint64_t tx_bytes = bytes;
      if constexpr (!E::kPreservesLength) {
        if (!only_drops<E>() || n != admitted) {
          tx_bytes = 0;
          for (uint16_t i = 0; i < n; ++i)
            tx_bytes += pkts[i]->pkt_len;
        }
      }
      if (s.stamped) [[unlikely]]
        detail::record_arrival_latency(pkts, n, ctx);
      if (ctx.control->link_down[s.tx_port].load(std::memory_order_relaxed)) [[unlikely]] {
        detail::drop_link_down(pkts, n, ctx);
        continue;
      }
      const uint16_t sent = rte_eth_tx_burst(s.tx_port, s.tx_queue, pkts, n);
      if (sent == n) [[likely]] {
        sc.tx_packets.add(n);
        sc.tx_bytes.add(tx_bytes);
      } else {
        detail::finish_tx(s, pkts, n, sent, tx_bytes, ctx);
      }
      if constexpr (kCycles) ctx.counters.cycles_tx.add(rte_rdtsc() - t0);
    }
  }
  return 0;
}

}  // namespace deltaplane::engines
