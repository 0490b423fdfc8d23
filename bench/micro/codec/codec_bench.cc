// Micro-benchmarks of the codec kernels at typical frame sizes (64 B, 1 KiB,
// 1500 B, 9000 B), every ISA level next to the plain reference and to the
// outside yardsticks (memcpy, ISA-L xor_gen, igzip). All report bytes/s of
// input (frame) bytes; ns per KiB = 1024e9 / bytes_per_second.
#include <benchmark/benchmark.h>
#include <isa-l/raid.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "codec/checksum.hh"
#include "codec/deflate.hh"
#include "codec/detail/kernels.hh"
#include "codec/reference.hh"
#include "codec/zero_run.hh"

namespace deltaplane::codec {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kSizes[] = {64, 1024, 1500, 9000};

Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b)
    x = static_cast<std::uint8_t>(rng());
  return b;
}

// A keyframe and a frame of the same flow a little later: new IPv4 id and
// checksum, TCP sequence/ack/checksum, and a few payload bytes (a counter, a
// timestamp) — the "slowly changing" case the codec is built for.
struct Pair {
  Bytes key;
  Bytes frame;
  Bytes delta;
};

Pair realistic_pair(std::size_t n) {
  Pair p;
  p.key = random_bytes(n, 42);
  p.frame = p.key;
  for (std::size_t off : {18u, 19u, 24u, 25u, 41u, 44u, 45u, 49u, 50u, 51u}) {
    if (off < n) p.frame[off] ^= 0x5A;
  }
  for (std::size_t off = 200; off < n; off += 700)
    p.frame[off] ^= 0x21;
  p.delta.resize(n);
  ref::xor_delta(p.delta.data(), p.frame.data(), p.key.data(), n);
  return p;
}

Pair random_pair(std::size_t n) {
  Pair p;
  p.key = random_bytes(n, 1);
  p.frame = random_bytes(n, 2);
  p.delta.resize(n);
  ref::xor_delta(p.delta.data(), p.frame.data(), p.key.data(), n);
  return p;
}

void set_bytes(benchmark::State& state, std::size_t n) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// ---- XOR --------------------------------------------------------------------

void bm_xor(benchmark::State& state, const detail::Kernels* k) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Bytes a = random_bytes(n, 1);
  const Bytes b = random_bytes(n, 2);
  Bytes out(n);
  for (auto _ : state) {
    k->xor_delta(out.data(), a.data(), b.data(), n);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, n);
}

void bm_xor_ref(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Bytes a = random_bytes(n, 1);
  const Bytes b = random_bytes(n, 2);
  Bytes out(n);
  for (auto _ : state) {
    ref::xor_delta(out.data(), a.data(), b.data(), n);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, n);
}

void bm_isal_xor_gen(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Bytes a = random_bytes(n, 1);
  Bytes b = random_bytes(n, 2);
  Bytes out(n);
  void* vects[3] = {a.data(), b.data(), out.data()};  // two sources, then the destination
  for (auto _ : state) {
    xor_gen(3, static_cast<int>(n), vects);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, n);
}

void bm_memcpy(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Bytes a = random_bytes(n, 1);
  Bytes out(n);
  for (auto _ : state) {
    std::memcpy(out.data(), a.data(), n);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, n);
}

// ---- Zero-run ---------------------------------------------------------------

using PairFn = Pair (*)(std::size_t);

void bm_zr_encode(benchmark::State& state, const detail::Kernels* k, PairFn make) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Pair p = make(n);
  Bytes out(zero_run_bound(n));
  std::size_t len = 0;
  for (auto _ : state) {
    len = k != nullptr ? k->zero_run_encode(p.delta.data(), n, out.data(), out.size())
                       : ref::zero_run_encode(p.delta.data(), n, out.data(), out.size());
    benchmark::DoNotOptimize(len);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n);
  state.counters["body_bytes"] = static_cast<double>(len);
}

void bm_zr_decode(benchmark::State& state, const detail::Kernels* k, PairFn make) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Pair p = make(n);
  Bytes body(zero_run_bound(n));
  body.resize(ref::zero_run_encode(p.delta.data(), n, body.data(), body.size()));
  Bytes out(n);
  for (auto _ : state) {
    const auto s = k != nullptr ? k->zero_run_decode(body.data(), body.size(), out.data(), n)
                                : ref::zero_run_decode(body.data(), body.size(), out.data(), n);
    benchmark::DoNotOptimize(s);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n);
}

// Encoder side, frame + keyframe -> body: fused, and XOR into a temporary then encode.
void bm_delta_encode(benchmark::State& state, const detail::Kernels* k, PairFn make, bool fused) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Pair p = make(n);
  Bytes tmp(n);
  Bytes out(zero_run_bound(n));
  for (auto _ : state) {
    std::size_t len;
    if (fused) {
      len = k->xor_zero_run_encode(p.frame.data(), n, p.key.data(), n, out.data(), out.size());
    } else {
      k->xor_delta(tmp.data(), p.frame.data(), p.key.data(), n);
      len = k->zero_run_encode(tmp.data(), n, out.data(), out.size());
    }
    benchmark::DoNotOptimize(len);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n);
}

// Decoder side, body + keyframe -> frame: fused, and decode then XOR in place.
void bm_delta_decode(benchmark::State& state, const detail::Kernels* k, PairFn make, bool fused) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Pair p = make(n);
  Bytes body(zero_run_bound(n));
  body.resize(ref::zero_run_encode(p.delta.data(), n, body.data(), body.size()));
  Bytes out(n);
  for (auto _ : state) {
    ZeroRunStatus s;
    if (fused) {
      s = k->zero_run_decode_xor(body.data(), body.size(), p.key.data(), n, out.data(), n);
    } else {
      s = k->zero_run_decode(body.data(), body.size(), out.data(), n);
      k->xor_delta(out.data(), out.data(), p.key.data(), n);
    }
    benchmark::DoNotOptimize(s);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n);
}

// ---- Checksums ----------------------------------------------------------------

template <std::uint64_t (*kFn)(const void*, std::size_t)>
void bm_hash(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Bytes a = random_bytes(n, 3);
  for (auto _ : state)
    benchmark::DoNotOptimize(kFn(a.data(), n));
  set_bytes(state, n);
}

std::uint64_t crc32c_fn(const void* p, std::size_t n) {
  return crc32c(p, n);
}
std::uint64_t crc32_fn(const void* p, std::size_t n) {
  return crc32(p, n);
}
std::uint64_t adler32_fn(const void* p, std::size_t n) {
  return adler32(p, n);
}
std::uint64_t xxhash64_fn(const void* p, std::size_t n) {
  return xxhash64(p, n);
}
std::uint64_t ref_crc32c_fn(const void* p, std::size_t n) {
  return ref::crc32c(p, n);
}

// ---- igzip --------------------------------------------------------------------

// Compresses the frame itself (what DEFLATE alone achieves) or the XOR delta.
void bm_igzip_compress(benchmark::State& state, int level, bool delta) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Pair p = realistic_pair(n);
  const Bytes& in = delta ? p.delta : p.frame;
  DeflateContext ctx(level);
  Bytes out(n + 1024);
  std::size_t len = 0;
  for (auto _ : state) {
    len = ctx.compress(in.data(), n, out.data(), out.size());
    benchmark::DoNotOptimize(len);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n);
  state.counters["body_bytes"] = static_cast<double>(len);
}

void bm_igzip_decompress(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Pair p = realistic_pair(n);
  DeflateContext ctx(1);
  Bytes body(n + 1024);
  body.resize(ctx.compress(p.delta.data(), n, body.data(), body.size()));
  Bytes out(n);
  for (auto _ : state) {
    const bool ok = ctx.decompress(body.data(), body.size(), out.data(), n);
    benchmark::DoNotOptimize(ok);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n);
}

template <class F>
void add(const std::string& name, F fn) {
  auto* b = benchmark::RegisterBenchmark(name.c_str(), fn);
  for (std::size_t s : kSizes)
    b->Arg(static_cast<std::int64_t>(s));
}

void register_all() {
  add("xor/ref", bm_xor_ref);
  add("xor/isal_xor_gen", bm_isal_xor_gen);
  add("memcpy", bm_memcpy);
  const PairFn realistic = realistic_pair;
  const PairFn rnd = random_pair;
  add("zr_encode/ref/sparse", [=](benchmark::State& s) { bm_zr_encode(s, nullptr, realistic); });
  add("zr_encode/ref/random", [=](benchmark::State& s) { bm_zr_encode(s, nullptr, rnd); });
  add("zr_decode/ref/sparse", [=](benchmark::State& s) { bm_zr_decode(s, nullptr, realistic); });
  add("zr_decode/ref/random", [=](benchmark::State& s) { bm_zr_decode(s, nullptr, rnd); });
  for (SimdLevel l : kAllSimdLevels) {
    const detail::Kernels* k = detail::kernels_for(l);
    if (k == nullptr) continue;
    const std::string lv(simd_level_name(l));
    add("xor/" + lv, [=](benchmark::State& s) { bm_xor(s, k); });
    add("zr_encode/" + lv + "/sparse", [=](benchmark::State& s) { bm_zr_encode(s, k, realistic); });
    add("zr_encode/" + lv + "/random", [=](benchmark::State& s) { bm_zr_encode(s, k, rnd); });
    add("zr_decode/" + lv + "/sparse", [=](benchmark::State& s) { bm_zr_decode(s, k, realistic); });
    add("zr_decode/" + lv + "/random", [=](benchmark::State& s) { bm_zr_decode(s, k, rnd); });
    add("delta_encode/" + lv + "/fused/sparse",
        [=](benchmark::State& s) { bm_delta_encode(s, k, realistic, true); });
    add("delta_encode/" + lv + "/two_pass/sparse",
        [=](benchmark::State& s) { bm_delta_encode(s, k, realistic, false); });
    add("delta_encode/" + lv + "/fused/random",
        [=](benchmark::State& s) { bm_delta_encode(s, k, rnd, true); });
    add("delta_encode/" + lv + "/two_pass/random",
        [=](benchmark::State& s) { bm_delta_encode(s, k, rnd, false); });
    add("delta_decode/" + lv + "/fused/sparse",
        [=](benchmark::State& s) { bm_delta_decode(s, k, realistic, true); });
    add("delta_decode/" + lv + "/two_pass/sparse",
        [=](benchmark::State& s) { bm_delta_decode(s, k, realistic, false); });
    add("delta_decode/" + lv + "/fused/random",
        [=](benchmark::State& s) { bm_delta_decode(s, k, rnd, true); });
    add("delta_decode/" + lv + "/two_pass/random",
        [=](benchmark::State& s) { bm_delta_decode(s, k, rnd, false); });
  }
  add("crc32c/isal", bm_hash<crc32c_fn>);
  add("crc32c/ref_bitwise", bm_hash<ref_crc32c_fn>);
  add("crc32/isal", bm_hash<crc32_fn>);
  add("adler32/isal", bm_hash<adler32_fn>);
  add("xxhash64/xxh3", bm_hash<xxhash64_fn>);
  for (int level : {0, 1}) {
    const std::string lv = std::to_string(level);
    add("igzip_compress/l" + lv + "/frame",
        [=](benchmark::State& s) { bm_igzip_compress(s, level, false); });
    add("igzip_compress/l" + lv + "/delta",
        [=](benchmark::State& s) { bm_igzip_compress(s, level, true); });
  }
  add("igzip_decompress/l1/delta", bm_igzip_decompress);
}

}  // namespace
}  // namespace deltaplane::codec

int main(int argc, char** argv) {
  deltaplane::codec::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
