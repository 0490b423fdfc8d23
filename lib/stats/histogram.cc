#include "stats/histogram.hh"

#include <algorithm>
#include <cmath>

namespace deltaplane::stats {

void HistogramMerge::add(const LatencyHistogram& h) noexcept {
  for (unsigned b = 0; b < LatencyHistogram::kBuckets; ++b) {
    const uint64_t c = h.count(b);
    counts_[b] += c;
    total_ += c;
  }
  max_ = std::max(max_, h.max());
}

double HistogramMerge::quantile(double q) const noexcept {
  if (total_ == 0) return 0;
  const uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_)));
  uint64_t seen = 0;
  for (unsigned b = 0; b < LatencyHistogram::kBuckets; ++b) {
    seen += counts_[b];
    if (seen >= std::max<uint64_t>(rank, 1)) {
      const double lo = static_cast<double>(LatencyHistogram::lower_bound(b));
      const double hi = b + 1 < LatencyHistogram::kBuckets
                            ? static_cast<double>(LatencyHistogram::lower_bound(b + 1))
                            : lo;
      // Never report more than the exact maximum seen.
      return std::min((lo + hi) / 2, static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

LatencySummary HistogramMerge::summarize(double scale) const {
  LatencySummary s;
  s.count = total_;
  s.p50 = quantile(0.50) * scale;
  s.p90 = quantile(0.90) * scale;
  s.p99 = quantile(0.99) * scale;
  s.p999 = quantile(0.999) * scale;
  s.max = static_cast<double>(max_) * scale;
  return s;
}

}  // namespace deltaplane::stats
