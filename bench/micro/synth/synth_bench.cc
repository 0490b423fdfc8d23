// The synthetic source's frame builder alone (no mbufs, no ethdev): ns per
// frame by payload model and size. The full source on a port (rx_burst,
// callback, free) is measured by bench/ndr.py ("source alone").
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "synth/frame_source.hh"

namespace ds = deltaplane::drivers::synth;

namespace {

// head_only: payload=fill into buffers that hold the pattern, writing only
// the header lines, as generator lcores do.
void BM_Build(benchmark::State& st, const char* payload, const char* size, bool head_only = false) {
  const auto spec = ds::parse_traffic_spec(std::string("flows=100000,ipv6=0.2,tcp=0.5,payload=") +
                                           payload + ",size=" + size);
  ds::FrameSource src(spec, 0, 1);
  // A ring of buffers larger than L1, as mbufs would be.
  constexpr size_t kBufs = 256;
  std::vector<uint8_t> bufs(kBufs * 2048);
  for (size_t i = 0; head_only && i < kBufs; ++i)
    src.fill_buffer(&bufs[i * 2048]);
  auto cur = src.cursor_at(0);
  uint64_t bytes = 0;
  size_t b = 0;
  for (auto _ : st) {
    bytes += src.build(cur, &bufs[b * 2048], nullptr, head_only);
    src.advance(cur);
    b = (b + 1) % kBufs;
  }
  benchmark::DoNotOptimize(bytes);
  st.SetItemsProcessed(st.iterations());
  st.SetBytesProcessed(static_cast<int64_t>(bytes));
}

}  // namespace

BENCHMARK_CAPTURE(BM_Build, records_64, "records", "64");
BENCHMARK_CAPTURE(BM_Build, records_imix, "records", "imix");
BENCHMARK_CAPTURE(BM_Build, records_1500, "records", "1500");
BENCHMARK_CAPTURE(BM_Build, binary_1500, "binary", "1500");
BENCHMARK_CAPTURE(BM_Build, random_64, "random", "64");
BENCHMARK_CAPTURE(BM_Build, random_imix, "random", "imix");
BENCHMARK_CAPTURE(BM_Build, random_1500, "random", "1500");
BENCHMARK_CAPTURE(BM_Build, repeat_1500, "repeat", "1500");
BENCHMARK_CAPTURE(BM_Build, fill_1500, "fill", "1500");
BENCHMARK_CAPTURE(BM_Build, fill_1500_head_only, "fill", "1500", true);
BENCHMARK_CAPTURE(BM_Build, fill_imix_head_only, "fill", "imix", true);

BENCHMARK_MAIN();
