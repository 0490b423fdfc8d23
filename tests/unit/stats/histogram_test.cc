// The latency histogram against exact percentiles of the same values.
#include "stats/histogram.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace deltaplane::stats {
namespace {

double exact_quantile(std::vector<uint64_t> v, double q) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return static_cast<double>(v[std::max<size_t>(rank, 1) - 1]);
}

TEST(LatencyHistogram, BucketsAreMonotonicAndCoverEverything) {
  unsigned prev = 0;
  for (uint64_t v = 0; v < 100000; ++v) {
    unsigned b = LatencyHistogram::bucket_of(v);
    ASSERT_GE(b, prev);
    ASSERT_LE(LatencyHistogram::lower_bound(b), v);
    if (b + 1 < LatencyHistogram::kBuckets) {
      ASSERT_GT(LatencyHistogram::lower_bound(b + 1), v);
    }
    prev = b;
  }
  EXPECT_LT(LatencyHistogram::bucket_of(UINT64_MAX), LatencyHistogram::kBuckets);
}

TEST(LatencyHistogram, PercentilesWithinBucketPrecision) {
  for (int dist = 0; dist < 3; ++dist) {
    std::mt19937_64 rng(42 + dist);
    std::vector<uint64_t> values;
    LatencyHistogram h;
    for (int i = 0; i < 200000; ++i) {
      uint64_t v;
      if (dist == 0)
        v = 1000 + rng() % 500;  // uniform
      else if (dist == 1)
        v = static_cast<uint64_t>(std::exponential_distribution<>(1e-4)(rng));
      else
        v = (rng() % 100 == 0) ? 1'000'000 + rng() % 1000 : 200 + rng() % 50;  // bimodal tail
      values.push_back(v);
      h.record(v);
    }
    HistogramMerge m;
    m.add(h);
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
      double exact = exact_quantile(values, q);
      double est = m.quantile(q);
      EXPECT_NEAR(est, exact, exact / 16 + 1) << "distribution " << dist << " q " << q;
    }
    EXPECT_EQ(m.summarize().max,
              static_cast<double>(*std::max_element(values.begin(), values.end())));
    EXPECT_EQ(m.summarize().count, values.size());
  }
}

TEST(LatencyHistogram, MergesLcores) {
  LatencyHistogram a, b;
  for (int i = 0; i < 1000; ++i)
    a.record(100);
  for (int i = 0; i < 1000; ++i)
    b.record(10000);
  HistogramMerge m;
  m.add(a);
  m.add(b);
  EXPECT_NEAR(m.quantile(0.25), 100, 7);
  EXPECT_NEAR(m.quantile(0.75), 10000, 625);
  EXPECT_EQ(m.summarize(2.0).max, 20000);
}

}  // namespace
}  // namespace deltaplane::stats
