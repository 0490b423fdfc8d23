// Per-lcore counters: written by exactly one lcore, read by the control lcore.
// Relaxed atomic load+store (not fetch_add: there is a single writer) makes the
// reads tear-free and race-free at the cost of a plain add.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "stats/drop_reason.hh"

namespace deltaplane::stats {

class Counter {
 public:
  void add(uint64_t n) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t load() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "Counters rely on lock-free 64-bit atomics so the data path never blocks.");

// Counters of one (RX port/queue -> TX port/queue) stream, on its own cache line.
struct alignas(64) StreamCounters {
  Counter rx_packets;
  Counter rx_bytes;
  Counter tx_packets;
  Counter tx_bytes;
};

// Per-lcore drop counters by reason plus loop health figures.
struct alignas(64) LcoreCounters {
  std::array<Counter, kDropReasonCount> drops;
  Counter polls;        // rx_burst calls
  Counter empty_polls;  // rx_burst calls that returned nothing

  void drop(DropReason r, uint64_t n) noexcept { drops[static_cast<size_t>(r)].add(n); }
};

}  // namespace deltaplane::stats
