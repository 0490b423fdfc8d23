// The engines' prefetch habit (lib/engines/burst_io.hh, kPrefetchAhead):
// frames of a burst are cold (scattered over a pool larger than the cache,
// as mbufs handed out by a mempool are), the engine touches each one's first
// cache line (swaps its MACs, reads its EtherType and IPv4 TTL). Variants:
// no prefetch, a fixed lookahead of 2/4/8/16 frames, and the whole burst
// prefetched before any work (what admit did before the engine refactor).
// Bursts of 32 and 512 frames. No EAL: plain buffers stand for mbufs.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace {

constexpr size_t kFrameRoom = 2048;              // an mbuf's data room
constexpr size_t kPoolFrames = size_t{1} << 16;  // 128 MiB: far beyond the LLC
constexpr size_t kSequence = size_t{1} << 20;    // frame order, drawn once

struct Pool {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(kPoolFrames * kFrameRoom, 0x5a);
  std::vector<uint8_t*> order;
  Pool() {
    std::mt19937_64 rng(7);
    order.resize(kSequence);
    for (auto& p : order)
      p = bytes.data() + (rng() % kPoolFrames) * kFrameRoom + 128;  // after a headroom
  }
};

Pool& pool() {
  static Pool p;
  return p;
}

inline uint32_t touch(uint8_t* f) noexcept {
  uint8_t mac[6];
  std::memcpy(mac, f, 6);
  std::memmove(f, f + 6, 6);
  std::memcpy(f + 6, mac, 6);
  return static_cast<uint32_t>(f[12] << 8 | f[13]) + f[22];
}

// kAhead: frames of lookahead; -1: the whole burst first; 0: none.
template <int kAhead>
void BM_Burst(benchmark::State& st) {
  const size_t burst = static_cast<size_t>(st.range(0));
  Pool& p = pool();
  size_t at = 0;
  uint32_t sink = 0;
  for (auto _ : st) {
    uint8_t** pkts = p.order.data() + at;
    at = at + burst < kSequence - burst ? at + burst : 0;
    if constexpr (kAhead < 0) {
      for (size_t i = 0; i < burst; ++i)
        __builtin_prefetch(pkts[i]);
      for (size_t i = 0; i < burst; ++i)
        sink += touch(pkts[i]);
    } else {
      for (size_t i = 0; i < burst && i < static_cast<size_t>(kAhead); ++i)
        __builtin_prefetch(pkts[i]);
      for (size_t i = 0; i < burst; ++i) {
        if (kAhead > 0 && i + kAhead < burst) __builtin_prefetch(pkts[i + kAhead]);
        sink += touch(pkts[i]);
      }
    }
  }
  benchmark::DoNotOptimize(sink);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * burst));
}

BENCHMARK(BM_Burst<0>)->Name("none")->Arg(32)->Arg(512);
BENCHMARK(BM_Burst<2>)->Name("ahead_2")->Arg(32)->Arg(512);
BENCHMARK(BM_Burst<4>)->Name("ahead_4")->Arg(32)->Arg(512);
BENCHMARK(BM_Burst<8>)->Name("ahead_8")->Arg(32)->Arg(512);
BENCHMARK(BM_Burst<16>)->Name("ahead_16")->Arg(32)->Arg(512);
BENCHMARK(BM_Burst<-1>)->Name("whole_burst_first")->Arg(32)->Arg(512);

}  // namespace

BENCHMARK_MAIN();
