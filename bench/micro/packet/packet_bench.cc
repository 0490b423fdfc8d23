// Micro-benchmarks of lib/packet: ns/packet (items processed) of the
// reference, the fast scalar single-frame path, the scalar / SSE4.2 / AVX2
// burst validators, and DPDK's rte_net_get_ptype on the same traffic mix;
// plus the checksum kernels against DPDK's. A custom main starts EAL
// (--no-pci --no-huge) for the DPDK baselines.
#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_ptype.h>
#include <rte_net.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "frame_builder.hh"
#include "packet/checksum.hh"
#include "packet/validate.hh"

namespace deltaplane::packet {
namespace {

using testing::Bytes;
using testing::L3;

constexpr size_t kFrames = 1024;  // distinct frames, each in its own mbuf-sized slot
constexpr size_t kSlot = 2304;    // a DPDK mbuf (128 + 128 headroom + 2048): not a power of two
constexpr uint16_t kBurst = 32;

// IMIX 7:4:1 of 60/576/1500-byte frames, IPv4:IPv6 3:1, TCP:UDP 4:1, 5%
// VLAN-tagged, ~5% invalid (one of several header defects), random order.
struct Mix {
  std::vector<uint8_t> storage;
  std::vector<const uint8_t*> data;
  std::vector<uint32_t> len;
  size_t invalid = 0;

  Mix() : storage(kFrames * kSlot) {
    std::mt19937 rng(42);
    for (size_t i = 0; i < kFrames; ++i) {
      const uint32_t r = rng() % 12;
      const uint32_t size = r < 7 ? 60 : r < 11 ? 576 : 1500;
      testing::FrameSpec s;
      s.l3 = rng() % 4 == 0 ? L3::kIpv6 : L3::kIpv4;
      s.proto = rng() % 5 == 0 ? kProtoUdp : kProtoTcp;
      if (rng() % 20 == 0) s.vlans = {{0x8100, static_cast<uint16_t>(rng() % 4000)}};
      s.seed = static_cast<uint32_t>(rng());
      const uint32_t l2 = 14 + 4 * static_cast<uint32_t>(s.vlans.size());
      const uint32_t headers = l2 + (s.l3 == L3::kIpv4 ? 20 : 40) + testing::l4_header_len(s);
      s.payload = size > headers ? size - headers : 0;
      Bytes f = testing::build_frame(s);
      if (rng() % 20 == 0) {  // ~5% invalid
        ++invalid;
        switch (rng() % 5) {
          case 0:
            f[l2 + 8] ^= 0x40;  // IPv4 checksum / IPv6 hop limit... both: header damage
            f[l2] = s.l3 == L3::kIpv4 ? 0x46 : 0x50;
            break;
          case 1:
            f[l2 + 2] = 0xff;  // length field past the frame
            f[l2 + 4] = 0xff;
            break;
          case 2:
            f.resize(l2 + 10);  // runt
            break;
          case 3:
            f[l2 + (s.l3 == L3::kIpv4 ? 20 : 40) + (s.proto == kProtoTcp ? 12 : 4)] = 0x10;
            break;
          default:
            f[l2 + 10] ^= 0x55;  // IPv4 header checksum (IPv6: address, stays valid)
            break;
        }
      }
      uint8_t* slot = storage.data() + i * kSlot;
      std::copy(f.begin(), f.end(), slot);
      data.push_back(slot);
      len.push_back(static_cast<uint32_t>(f.size()));
    }
  }
};

const Mix& mix() {
  static const Mix m;
  return m;
}

template <class F>
void per_frame(benchmark::State& state, F&& f) {
  const Mix& m = mix();
  size_t bad = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kFrames; ++i) {
      Parsed p;
      bad += f(m.data[i], m.len[i], &p) != Verdict::kOk;
      benchmark::DoNotOptimize(p);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kFrames));
  state.counters["drop_pct"] =
      100.0 * static_cast<double>(bad) / static_cast<double>(state.iterations() * kFrames);
}

void BM_ValidateReference(benchmark::State& state) {
  const Options opt;
  per_frame(state, [&](const uint8_t* d, uint32_t l, Parsed* p) {
    return validate_reference(d, l, opt, p);
  });
}
BENCHMARK(BM_ValidateReference);

void BM_ValidateScalarOne(benchmark::State& state) {
  const Options opt;
  per_frame(state, [&](const uint8_t* d, uint32_t l, Parsed* p) { return validate(d, l, opt, p); });
}
BENCHMARK(BM_ValidateScalarOne);

void BM_ValidateBurst(benchmark::State& state) {
  const auto level = static_cast<SimdLevel>(state.range(0));
  const BurstValidator& bv = burst_validator(level);
  if (bv.level != level) {
    state.SkipWithError("SIMD level not supported on this CPU");
    return;
  }
  state.SetLabel(std::string(bv.name));
  Options opt;
  opt.verify_l4_checksum = state.range(1) != 0;
  const Mix& m = mix();
  Verdict v[kBurst];
  Parsed parsed[kBurst];
  Parsed* p = state.range(2) ? parsed : nullptr;  // parsed:0 = verdicts only (validate engine)
  for (auto _ : state) {
    for (size_t i = 0; i < kFrames; i += kBurst) {
      bv.validate_burst(m.data.data() + i, m.len.data() + i, kBurst, opt, v, p);
      benchmark::DoNotOptimize(v);
      benchmark::DoNotOptimize(parsed);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kFrames));
}
BENCHMARK(BM_ValidateBurst)
    ->ArgNames({"level", "l4csum", "parsed"})
    ->Args({0, 0, 1})
    ->Args({1, 0, 1})
    ->Args({2, 0, 1})
    ->Args({0, 1, 1})
    ->Args({2, 1, 1})
    ->Args({0, 0, 0})
    ->Args({1, 0, 0})
    ->Args({2, 0, 0});

void BM_ValidateReferenceL4Checksum(benchmark::State& state) {
  Options opt;
  opt.verify_l4_checksum = true;
  per_frame(state, [&](const uint8_t* d, uint32_t l, Parsed* p) {
    return validate_reference(d, l, opt, p);
  });
}
BENCHMARK(BM_ValidateReferenceL4Checksum);

rte_mempool* g_pool = nullptr;

void BM_RteNetGetPtype(benchmark::State& state) {
  if (g_pool == nullptr) {
    state.SkipWithError("EAL not initialised");
    return;
  }
  const Mix& m = mix();
  std::vector<rte_mbuf*> mbufs(kFrames);
  for (size_t i = 0; i < kFrames; ++i) {
    mbufs[i] = rte_pktmbuf_alloc(g_pool);
    std::copy(
        m.data[i], m.data[i] + m.len[i],
        reinterpret_cast<uint8_t*>(rte_pktmbuf_append(mbufs[i], static_cast<uint16_t>(m.len[i]))));
  }
  for (auto _ : state) {
    for (size_t i = 0; i < kFrames; ++i) {
      rte_net_hdr_lens lens;
      mbufs[i]->packet_type = rte_net_get_ptype(
          mbufs[i], &lens, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);
      benchmark::DoNotOptimize(lens);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kFrames));
  for (rte_mbuf* mb : mbufs)
    rte_pktmbuf_free(mb);
}
BENCHMARK(BM_RteNetGetPtype);

// rte_net_get_ptype plus the IPv4 header checksum check it does not do, for
// a like-for-like comparison with the validator's default options.
void BM_RteNetGetPtypePlusIpv4Cksum(benchmark::State& state) {
  if (g_pool == nullptr) {
    state.SkipWithError("EAL not initialised");
    return;
  }
  const Mix& m = mix();
  std::vector<rte_mbuf*> mbufs(kFrames);
  for (size_t i = 0; i < kFrames; ++i) {
    mbufs[i] = rte_pktmbuf_alloc(g_pool);
    std::copy(
        m.data[i], m.data[i] + m.len[i],
        reinterpret_cast<uint8_t*>(rte_pktmbuf_append(mbufs[i], static_cast<uint16_t>(m.len[i]))));
  }
  size_t bad = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kFrames; ++i) {
      rte_net_hdr_lens lens;
      const uint32_t t = rte_net_get_ptype(
          mbufs[i], &lens, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);
      if (RTE_ETH_IS_IPV4_HDR(t)) {
        const auto* ip = rte_pktmbuf_mtod_offset(mbufs[i], const rte_ipv4_hdr*, lens.l2_len);
        bad += rte_raw_cksum(ip, lens.l3_len) != 0xffff;
      }
      benchmark::DoNotOptimize(lens);
    }
  }
  benchmark::DoNotOptimize(bad);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kFrames));
  for (rte_mbuf* mb : mbufs)
    rte_pktmbuf_free(mb);
}
BENCHMARK(BM_RteNetGetPtypePlusIpv4Cksum);

// Checksum kernels over a 1500-byte buffer.
std::vector<uint8_t> random_buffer(size_t n) {
  std::vector<uint8_t> b(n);
  std::mt19937 rng(3);
  for (auto& x : b)
    x = static_cast<uint8_t>(rng());
  return b;
}

void BM_RawSumReference(benchmark::State& state) {
  const auto b = random_buffer(static_cast<size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(raw_sum_reference(b.data(), b.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_RawSumReference)->Arg(64)->Arg(1500);

void BM_RawSum(benchmark::State& state) {
  const auto b = random_buffer(static_cast<size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(raw_sum(b.data(), b.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_RawSum)->Arg(64)->Arg(1500);

void BM_RteRawCksum(benchmark::State& state) {
  const auto b = random_buffer(static_cast<size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(rte_raw_cksum(b.data(), b.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_RteRawCksum)->Arg(64)->Arg(1500);

void BM_Ipv4HeaderChecksum(benchmark::State& state) {
  const Bytes f = testing::build_frame({});
  for (auto _ : state)
    benchmark::DoNotOptimize(ipv4_header_checksum(f.data() + 14));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Ipv4HeaderChecksum);

void BM_RteIpv4Cksum(benchmark::State& state) {
  const Bytes f = testing::build_frame({});
  for (auto _ : state) {
    benchmark::DoNotOptimize(rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(f.data() + 14)));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_RteIpv4Cksum);

// The system benchmark's common case: minimum-size untagged frames (60 bytes
// without FCS; IPv6 ones are 62/74 bytes), TCP and UDP 1:1 in random order, all
// valid. Here the validator's per-frame overhead is what counts, not misses.
struct SmallMix {
  std::vector<uint8_t> storage;
  std::vector<const uint8_t*> data;
  std::vector<uint32_t> len;

  explicit SmallMix(L3 l3) : storage(kFrames * kSlot) {
    std::mt19937 rng(7);
    for (size_t i = 0; i < kFrames; ++i) {
      testing::FrameSpec s;
      s.l3 = l3;
      s.proto = rng() % 2 == 0 ? kProtoUdp : kProtoTcp;
      s.seed = static_cast<uint32_t>(rng());
      const uint32_t headers = 14 + (l3 == L3::kIpv4 ? 20 : 40) + testing::l4_header_len(s);
      s.payload = headers < 60 ? 60 - headers : 0;
      const Bytes f = testing::build_frame(s);
      uint8_t* slot = storage.data() + i * kSlot;
      std::copy(f.begin(), f.end(), slot);
      data.push_back(slot);
      len.push_back(static_cast<uint32_t>(f.size()));
    }
  }
};

const SmallMix& small_mix(L3 l3) {
  static const SmallMix v4(L3::kIpv4), v6(L3::kIpv6);
  return l3 == L3::kIpv4 ? v4 : v6;
}

void BM_ValidateBurstSmall(benchmark::State& state) {
  const auto level = static_cast<SimdLevel>(state.range(0));
  const BurstValidator& bv = burst_validator(level);
  if (bv.level != level) {
    state.SkipWithError("SIMD level not supported on this CPU");
    return;
  }
  const L3 l3 = state.range(1) == 6 ? L3::kIpv6 : L3::kIpv4;
  state.SetLabel(std::string(bv.name) + (l3 == L3::kIpv4 ? " ipv4" : " ipv6"));
  const Options opt;
  const SmallMix& m = small_mix(l3);
  Verdict v[kBurst];
  Parsed p[kBurst];
  size_t bad = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kFrames; i += kBurst) {
      bv.validate_burst(m.data.data() + i, m.len.data() + i, kBurst, opt, v, p);
      benchmark::DoNotOptimize(v);
      benchmark::DoNotOptimize(p);
      bad += v[0] != Verdict::kOk;
    }
  }
  if (bad) state.SkipWithError("small mix must be all valid");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kFrames));
}
BENCHMARK(BM_ValidateBurstSmall)
    ->ArgNames({"level", "ip"})
    ->Args({0, 4})
    ->Args({1, 4})
    ->Args({2, 4})
    ->Args({0, 6})
    ->Args({1, 6})
    ->Args({2, 6});

// What the csum engine does per burst on the small mix: validate, then the
// IPv4 header checksum and the L4 checksum of every frame (results discarded).
void BM_CsumEngineSmall(benchmark::State& state) {
  const L3 l3 = state.range(0) == 6 ? L3::kIpv6 : L3::kIpv4;
  state.SetLabel(l3 == L3::kIpv4 ? "ipv4" : "ipv6");
  const BurstValidator& bv = burst_validator(best_simd_level());
  const Options opt;
  const SmallMix& m = small_mix(l3);
  Verdict v[kBurst];
  Parsed p[kBurst];
  for (auto _ : state) {
    for (size_t i = 0; i < kFrames; i += kBurst) {
      bv.validate_burst(m.data.data() + i, m.len.data() + i, kBurst, opt, v, p);
      uint32_t acc = 0;
      for (uint16_t k = 0; k < kBurst; ++k) {
        const uint8_t* d = m.data[i + k];
        const Parsed& q = p[k];
        const uint8_t* ip = d + q.l2_len;
        const uint32_t l4_len = q.l3_end - q.l4_off;
        if (q.l3_type == L3Type::kIpv4) {
          acc += ipv4_header_checksum(ip);
          acc += ipv4_l4_checksum(ip, d + q.l4_off, l4_len, q.l4_proto());
        } else {
          acc += ipv6_l4_checksum(ip, d + q.l4_off, l4_len, q.l4_proto());
        }
      }
      benchmark::DoNotOptimize(acc);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kFrames));
}
BENCHMARK(BM_CsumEngineSmall)->ArgName("ip")->Arg(4)->Arg(6);

// L4 checksum of one TCP segment of range(0) bytes (header included) over
// IPv4 and IPv6, against DPDK's rte_ipv4_udptcp_cksum / rte_ipv6_udptcp_cksum.
// 64 distinct segments, so the loads are not all from one line.
struct Segments {
  std::vector<Bytes> frames;
  uint32_t l3 = 14, l4 = 0, l4_len = 0;
};

Segments segments(L3 l3, uint32_t l4_len) {
  Segments s;
  for (uint32_t i = 0; i < 64; ++i) {
    testing::FrameSpec f;
    f.l3 = l3;
    f.proto = l4_len <= 30 ? kProtoUdp : kProtoTcp;
    f.seed = i + 1;
    f.payload = l4_len - testing::l4_header_len(f);
    s.frames.push_back(testing::build_frame(f));
  }
  s.l4 = s.l3 + (l3 == L3::kIpv4 ? 20 : 40);
  s.l4_len = l4_len;
  return s;
}

template <class F>
void l4_checksum_loop(benchmark::State& state, L3 l3, F&& f) {
  const Segments s = segments(l3, static_cast<uint32_t>(state.range(0)));
  const uint8_t proto = s.l4_len <= 30 ? kProtoUdp : kProtoTcp;
  for (auto _ : state) {
    uint32_t acc = 0;
    for (const Bytes& b : s.frames)
      acc += f(b.data() + s.l3, b.data() + s.l4, s.l4_len, proto);
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * s.frames.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.frames.size() * s.l4_len));
}

void BM_Ipv4L4Checksum(benchmark::State& state) {
  l4_checksum_loop(state, L3::kIpv4,
                   [](const uint8_t* ip, const uint8_t* l4, uint32_t n, uint8_t proto) {
                     return ipv4_l4_checksum(ip, l4, n, proto);
                   });
}
BENCHMARK(BM_Ipv4L4Checksum)->Arg(30)->Arg(64)->Arg(512)->Arg(1500);

void BM_Ipv6L4Checksum(benchmark::State& state) {
  l4_checksum_loop(state, L3::kIpv6,
                   [](const uint8_t* ip, const uint8_t* l4, uint32_t n, uint8_t proto) {
                     return ipv6_l4_checksum(ip, l4, n, proto);
                   });
}
BENCHMARK(BM_Ipv6L4Checksum)->Arg(30)->Arg(64)->Arg(512)->Arg(1500);

void BM_RteIpv4UdptcpCksum(benchmark::State& state) {
  l4_checksum_loop(state, L3::kIpv4, [](const uint8_t* ip, const uint8_t* l4, uint32_t, uint8_t) {
    return rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip), l4);
  });
}
BENCHMARK(BM_RteIpv4UdptcpCksum)->Arg(30)->Arg(64)->Arg(512)->Arg(1500);

void BM_RteIpv6UdptcpCksum(benchmark::State& state) {
  l4_checksum_loop(state, L3::kIpv6, [](const uint8_t* ip, const uint8_t* l4, uint32_t, uint8_t) {
    return rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr*>(ip), l4);
  });
}
BENCHMARK(BM_RteIpv6UdptcpCksum)->Arg(30)->Arg(64)->Arg(512)->Arg(1500);

void BM_FlowHash(benchmark::State& state) {
  const Mix& m = mix();
  std::vector<FlowKey> keys;
  for (size_t i = 0; i < kFrames; ++i) {
    Parsed p;
    if (validate(m.data[i], m.len[i], {}, &p) == Verdict::kOk) keys.push_back(p.key);
  }
  for (auto _ : state) {
    uint64_t h = 0;
    for (const FlowKey& k : keys)
      h ^= flow_hash(k);
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * keys.size()));
}
BENCHMARK(BM_FlowHash);

}  // namespace
}  // namespace deltaplane::packet

int main(int argc, char** argv) {
  const std::string prefix = "--file-prefix=dp-packet-bench-" + std::to_string(getpid());
  const char* eal_args[] = {"packet_bench", "--no-pci",    "--no-huge",    "-m",
                            "256",          "--no-shconf", prefix.c_str(), "--log-level=error"};
  std::vector<char*> eal_argv;
  for (const char* a : eal_args)
    eal_argv.push_back(const_cast<char*>(a));
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "packet_bench: rte_eal_init failed; DPDK baselines skipped\n");
  } else {
    deltaplane::packet::g_pool =
        rte_pktmbuf_pool_create("pkt_bench", 2 * deltaplane::packet::kFrames, 0, 0,
                                RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  }
  std::printf("mix: %zu frames, %zu invalid; SIMD level %s\n", deltaplane::packet::kFrames,
              deltaplane::packet::mix().invalid,
              std::string(deltaplane::simd_level_name(deltaplane::best_simd_level())).c_str());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (deltaplane::packet::g_pool) rte_mempool_free(deltaplane::packet::g_pool);
  rte_eal_cleanup();
  return 0;
}
