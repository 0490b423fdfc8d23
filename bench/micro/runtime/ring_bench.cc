// Ring hand-off cost per frame pointer: deltaplane's Ring wrapper vs the raw
// rte_ring calls (the wrapper must cost < 5% more; ElemRing too, for 16-byte
// descriptors), SP/SC vs MP/MC, bursts of
// 1/8/32, on one core and between two cores; and a std::mutex + std::deque
// queue for the claim that lock-free rings are several times faster.
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/ring.hh"

namespace {

using deltaplane::runtime::Ring;

rte_mbuf* fake(uintptr_t i) {
  return reinterpret_cast<rte_mbuf*>((i + 1) * 64);
}

int ring_counter = 0;
std::string ring_name() {
  return "bench_ring_" + std::to_string(ring_counter++);
}

// One core: enqueue a burst, dequeue it.
void BM_Raw_OneCore(benchmark::State& st) {
  const bool single = st.range(1);
  rte_ring* r = rte_ring_create(ring_name().c_str(), 1024, SOCKET_ID_ANY,
                                (single ? RING_F_SP_ENQ | RING_F_SC_DEQ : 0) | RING_F_EXACT_SZ);
  const unsigned burst = static_cast<unsigned>(st.range(0));
  void* objs[32];
  for (unsigned i = 0; i < 32; ++i)
    objs[i] = fake(i);
  for (auto _ : st) {
    unsigned n = rte_ring_enqueue_burst(r, objs, burst, nullptr);
    n = rte_ring_dequeue_burst(r, objs, n, nullptr);
    benchmark::DoNotOptimize(n);
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * burst));
  rte_ring_free(r);
}

void BM_Wrapper_OneCore(benchmark::State& st) {
  const bool single = st.range(1);
  Ring r(ring_name(), 1024, SOCKET_ID_ANY, single, single);
  const unsigned burst = static_cast<unsigned>(st.range(0));
  rte_mbuf* objs[32];
  for (unsigned i = 0; i < 32; ++i)
    objs[i] = fake(i);
  for (auto _ : st) {
    unsigned n = r.enqueue_burst(objs, burst, nullptr);
    n = r.dequeue_burst(objs, n);
    benchmark::DoNotOptimize(n);
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * burst));
}

// 16-byte records (the synthetic source's RX descriptors): ElemRing vs the
// raw _elem calls, SP/SC, one core.
struct Desc {
  void* m;
  uint32_t hash;
  uint16_t len, unused;
};

void BM_RawElem16_OneCore(benchmark::State& st) {
  rte_ring* r = rte_ring_create_elem(ring_name().c_str(), sizeof(Desc), 1024, SOCKET_ID_ANY,
                                     RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
  const unsigned burst = static_cast<unsigned>(st.range(0));
  Desc objs[32];
  for (unsigned i = 0; i < 32; ++i)
    objs[i] = Desc{fake(i), i, 64, 0};
  for (auto _ : st) {
    unsigned n = rte_ring_enqueue_burst_elem(r, objs, sizeof(Desc), burst, nullptr);
    n = rte_ring_dequeue_burst_elem(r, objs, sizeof(Desc), n, nullptr);
    benchmark::DoNotOptimize(n);
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * burst));
  rte_ring_free(r);
}

void BM_ElemRing16_OneCore(benchmark::State& st) {
  deltaplane::runtime::ElemRing<Desc> r(ring_name(), 1024, SOCKET_ID_ANY, true, true);
  const unsigned burst = static_cast<unsigned>(st.range(0));
  Desc objs[32];
  for (unsigned i = 0; i < 32; ++i)
    objs[i] = Desc{fake(i), i, 64, 0};
  for (auto _ : st) {
    unsigned n = r.enqueue_burst(objs, burst);
    n = r.dequeue_burst(objs, n);
    benchmark::DoNotOptimize(n);
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * burst));
}

void pin(unsigned cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu % std::thread::hardware_concurrency(), &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// Two cores: a producer thread on CPU 1 streams pointers in bursts; the
// benchmark thread (CPU 0) consumes. Time per element moved across.
template <class Enq, class Deq>
void two_core(benchmark::State& st, unsigned burst, Enq enq, Deq deq) {
  constexpr uint64_t kBatch = 1 << 16;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> produced{0};
  std::thread prod([&] {
    pin(1);
    rte_mbuf* objs[32];
    for (unsigned i = 0; i < 32; ++i)
      objs[i] = fake(i);
    // A full ring is retried after a pause, as ring_perf_autotest and the
    // pipeline's stages do: spinning flat out on the other side's index line
    // slows that side's every update.
    uint64_t sent = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const unsigned k = enq(objs, burst);
      sent += k;
      if (k == 0) rte_pause();
    }
    produced.store(sent, std::memory_order_relaxed);
  });
  pin(0);
  rte_mbuf* out[32];
  uint64_t got = 0;
  for (auto _ : st) {
    uint64_t n = 0;
    while (n < kBatch) {
      const unsigned k = deq(out, burst);
      n += k;
      if (k == 0) rte_pause();
    }
    got += n;
  }
  stop = true;
  prod.join();
  while (deq(out, 32)) {
  }
  st.SetItemsProcessed(static_cast<int64_t>(got));
}

void BM_Raw_TwoCores(benchmark::State& st) {
  const bool single = st.range(1);
  rte_ring* r = rte_ring_create(ring_name().c_str(), 4096, SOCKET_ID_ANY,
                                (single ? RING_F_SP_ENQ | RING_F_SC_DEQ : 0) | RING_F_EXACT_SZ);
  two_core(
      st, static_cast<unsigned>(st.range(0)),
      [&](rte_mbuf** o, unsigned n) {
        return rte_ring_enqueue_burst(r, reinterpret_cast<void* const*>(o), n, nullptr);
      },
      [&](rte_mbuf** o, unsigned n) {
        return rte_ring_dequeue_burst(r, reinterpret_cast<void**>(o), n, nullptr);
      });
  rte_ring_free(r);
}

void BM_Wrapper_TwoCores(benchmark::State& st) {
  const bool single = st.range(1);
  Ring r(ring_name(), 4096, SOCKET_ID_ANY, single, single);
  two_core(
      st, static_cast<unsigned>(st.range(0)),
      [&](rte_mbuf** o, unsigned n) { return r.enqueue_burst(o, n, nullptr); },
      [&](rte_mbuf** o, unsigned n) { return r.dequeue_burst(o, n); });
}

// The baseline everyone writes first: a mutex around a deque.
struct MutexQueue {
  std::mutex m;
  std::deque<rte_mbuf*> q;
  unsigned push(rte_mbuf** o, unsigned n) {
    std::lock_guard l(m);
    if (q.size() >= 4096) return 0;
    for (unsigned i = 0; i < n; ++i)
      q.push_back(o[i]);
    return n;
  }
  unsigned pop(rte_mbuf** o, unsigned n) {
    std::lock_guard l(m);
    unsigned k = 0;
    while (k < n && !q.empty()) {
      o[k++] = q.front();
      q.pop_front();
    }
    return k;
  }
};

void BM_MutexDeque_TwoCores(benchmark::State& st) {
  MutexQueue mq;
  two_core(
      st, static_cast<unsigned>(st.range(0)),
      [&](rte_mbuf** o, unsigned n) { return mq.push(o, n); },
      [&](rte_mbuf** o, unsigned n) { return mq.pop(o, n); });
}

void bursts_and_modes(benchmark::internal::Benchmark* b) {
  for (int single : {1, 0})
    for (int burst : {1, 8, 32})
      b->Args({burst, single});
  b->ArgNames({"burst", "sp_sc"});
}

BENCHMARK(BM_Raw_OneCore)->Apply(bursts_and_modes);
BENCHMARK(BM_Wrapper_OneCore)->Apply(bursts_and_modes);
BENCHMARK(BM_RawElem16_OneCore)->Arg(1)->Arg(8)->Arg(32)->ArgName("burst");
BENCHMARK(BM_ElemRing16_OneCore)->Arg(1)->Arg(8)->Arg(32)->ArgName("burst");
BENCHMARK(BM_Raw_TwoCores)->Apply(bursts_and_modes)->UseRealTime();
BENCHMARK(BM_Wrapper_TwoCores)->Apply(bursts_and_modes)->UseRealTime();
BENCHMARK(BM_MutexDeque_TwoCores)->Arg(1)->Arg(8)->Arg(32)->ArgName("burst")->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  std::string prefix = "--file-prefix=dp-ring-bench-" + std::to_string(getpid());
  const char* eal[] = {"ring_bench",   "--no-pci",    "--no-huge",         "-m", "128",
                       prefix.c_str(), "--no-shconf", "--log-level=error", "-l", "0"};
  if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) return 1;
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  rte_eal_cleanup();
  return 0;
}
