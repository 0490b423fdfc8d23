// The two ends every forwarding loop shares, written once: take a burst from
// an RX queue (count it, drop what is too long, prefetch the first frames)
// and send one (link-down check, tx_burst, bounded retries, count, free what
// did not go). The run-to-completion loop, the pipeline's RX and TX stages and
// the generators use these; engines sit between them. Also here: the run
// gate (the operator's pause and stop) and compaction after drops.
//
// Nothing here allocates, locks, throws or makes a system call; rare paths
// are cold functions in burst_io.cc.
#pragma once

#include <algorithm>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "engines/lcore_context.hh"
#include "runtime/rx_timestamp.hh"
#include "stats/drop_reason.hh"

namespace deltaplane::engines {

// How many frames ahead of the one being worked on a loop prefetches
// (l3fwd's PREFETCH_OFFSET, VPP's quad loop): far enough to hide a miss, near
// enough that the lines are still there when used (docs/performance.md).
inline constexpr uint16_t kPrefetchAhead = 4;

namespace detail {

[[gnu::cold, gnu::noinline]] uint16_t drop_oversize(rte_mbuf** pkts, uint16_t n, uint64_t& bytes,
                                                    LcoreCore& core, uint32_t max_frame) noexcept;
[[gnu::cold, gnu::noinline]] void drop_link_down(rte_mbuf** pkts, uint16_t n,
                                                 LcoreCore& core) noexcept;
// Retries what tx_burst did not take, then frees and counts the rest.
[[gnu::cold, gnu::noinline]] void finish_tx(const Stream& s, rte_mbuf** pkts, uint16_t n,
                                            uint16_t sent, uint64_t bytes, LcoreCore& core,
                                            const IoParams& io, stats::StreamCounters& sc) noexcept;

}  // namespace detail

// The operator's run state as one lcore sees it: pass() returns false once the
// lcore must stop; while forwarding is paused it spins inside (after telling
// the control plane, once, that this lcore finished its burst).
class RunGate {
 public:
  explicit RunGate(LcoreCore& core) noexcept : core_(core), state_(core.control->state) {}

  bool pass() noexcept {
    RunState st;
    while ((st = poll()) == RunState::kPaused)
      rte_pause();
    return st == RunState::kRunning;
  }

  // The state without waiting, the pause acknowledged (for loops that keep
  // doing other work while paused, like the pipeline's I/O lcore).
  RunState poll() noexcept {
    count_loop(core_);
    const RunState st = state_.load(std::memory_order_relaxed);
    if (st == RunState::kRunning) [[likely]] {
      if (acked_) [[unlikely]] {
        core_.paused_ack.store(false, std::memory_order_relaxed);
        acked_ = false;
      }
    } else if (st == RunState::kPaused && !acked_) {
      core_.paused_ack.store(true, std::memory_order_release);
      acked_ = true;
    }
    return st;
  }

 private:
  LcoreCore& core_;
  const std::atomic<RunState>& state_;
  bool acked_ = false;
};

// Polls one RX queue and admits the burst: one pass over the mbuf headers
// (hot from the driver) counts frames and bytes and spots oversize ones
// (dropped, rare); with kPrefetch the first frames' data is prefetched, the
// engine prefetches the rest kPrefetchAhead frames ahead. Returns the frames
// kept; `bytes` is their total length.
template <bool kPrefetch>
inline uint16_t rx_admit(const Stream& s, rte_mbuf** pkts, LcoreCore& core, const IoParams& io,
                         stats::StreamCounters& sc, uint64_t& bytes,
                         uint16_t max_rx = kMaxBurst) noexcept {
  uint16_t n = rte_eth_rx_burst(s.rx_port, s.rx_queue, pkts, std::min(core.burst, max_rx));
  core.counters.polls.add(1);
  if (n == 0) [[unlikely]] {
    core.counters.empty_polls.add(1);
    return 0;
  }
  if constexpr (kPrefetch)
    for (uint16_t i = 0; i < n && i < kPrefetchAhead; ++i)
      rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  bytes = 0;
  bool oversize = false;
  for (uint16_t i = 0; i < n; ++i) {
    const uint32_t len = pkts[i]->pkt_len;
    bytes += len;
    oversize |= len > io.max_frame;
  }
  sc.rx_packets.add(n);
  sc.rx_bytes.add(bytes);
  if (oversize) [[unlikely]]
    n = detail::drop_oversize(pkts, n, bytes, core, io.max_frame);
  return n;
}

// Sends n frames of `bytes` total length on the stream's TX queue.
inline void tx_send(const Stream& s, rte_mbuf** pkts, uint16_t n, uint64_t bytes, LcoreCore& core,
                    const IoParams& io, stats::StreamCounters& sc) noexcept {
  if (core.control->link_down[s.tx_port].load(std::memory_order_relaxed)) [[unlikely]] {
    detail::drop_link_down(pkts, n, core);
    return;
  }
  const uint16_t sent = rte_eth_tx_burst(s.tx_port, s.tx_queue, pkts, n);
  if (sent == n) [[likely]] {
    sc.tx_packets.add(n);
    sc.tx_bytes.add(bytes);
  } else {
    detail::finish_tx(s, pkts, n, sent, bytes, core, io, sc);
  }
}

inline uint64_t total_length(rte_mbuf* const* pkts, uint16_t n) noexcept {
  uint64_t b = 0;
  for (uint16_t i = 0; i < n; ++i)
    b += pkts[i]->pkt_len;
  return b;
}

// "Decide, then move": an engine records a verdict per frame (kKeep or why it
// was dropped); this frees the dropped ones, counts each by reason and moves
// the kept ones to the front in order. Returns how many were kept.
inline constexpr stats::DropReason kKeep = stats::DropReason::kCount;

inline uint16_t compact(rte_mbuf** pkts, uint16_t n, const stats::DropReason* why,
                        stats::LcoreCounters& counters) noexcept {
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (why[i] == kKeep) [[likely]] {
      pkts[kept++] = pkts[i];
    } else {
      rte_pktmbuf_free(pkts[i]);
      counters.drop(why[i], 1);
    }
  }
  return kept;
}

// Streams from a port that stamps arrival times (the synthetic source): the
// time each frame waited, in the modelled RX ring and here, up to its TX.
[[gnu::noinline]] inline void record_latency(rte_mbuf* const* pkts, uint16_t n, int tsc_offset,
                                             stats::LatencyHistogram& h) noexcept {
  const uint64_t now = rte_rdtsc();
  for (uint16_t i = 0; i < n; ++i)
    h.record(now - runtime::rx_tsc(pkts[i], tsc_offset));
}

}  // namespace deltaplane::engines
