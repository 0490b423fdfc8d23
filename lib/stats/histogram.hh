// Fixed-size log-linear histogram of latencies (in TSC cycles): 16 linear
// sub-buckets per power of two, so any value is placed within 1/16 (6.25%) of
// itself, over the whole 64-bit range, in 976 counters. Recording is a few
// integer instructions with no allocation and no lock; one lcore writes, the
// control lcore reads (relaxed atomics) and merges lcores into percentiles.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <vector>

namespace deltaplane::stats {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBits = 4;
  static constexpr unsigned kSub = 1u << kSubBits;
  static constexpr unsigned kBuckets = (64 - kSubBits + 1) * kSub;  // 976

  static constexpr unsigned bucket_of(uint64_t v) noexcept {
    if (v < kSub) return static_cast<unsigned>(v);
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));
    const unsigned sub = static_cast<unsigned>(v >> (msb - kSubBits)) & (kSub - 1);
    return (msb - kSubBits + 1) * kSub + sub;
  }
  // Smallest value that lands in bucket b.
  static constexpr uint64_t lower_bound(unsigned b) noexcept {
    if (b < kSub) return b;
    const unsigned msb = b / kSub + kSubBits - 1;
    return (uint64_t{kSub} + b % kSub) << (msb - kSubBits);
  }

  void record(uint64_t v) noexcept {
    auto& c = counts_[bucket_of(v)];
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (v > max_.load(std::memory_order_relaxed)) max_.store(v, std::memory_order_relaxed);
  }

  uint64_t count(unsigned b) const noexcept { return counts_[b].load(std::memory_order_relaxed); }
  uint64_t max() const noexcept { return max_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> max_{0};
};

// Percentiles of one or more merged histograms, in the histogram's unit.
struct LatencySummary {
  uint64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};

class HistogramMerge {
 public:
  void add(const LatencyHistogram& h) noexcept;
  LatencySummary summarize(double scale = 1.0) const;  // scale: unit conversion (e.g. ns/cycle)
  // Value at quantile q in [0, 1]: the midpoint of the bucket holding it.
  double quantile(double q) const noexcept;

 private:
  std::array<uint64_t, LatencyHistogram::kBuckets> counts_{};
  uint64_t total_ = 0, max_ = 0;
};

}  // namespace deltaplane::stats
