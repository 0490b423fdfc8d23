// macswap: swap source and destination MAC addresses, then forward. The 12
// address bytes are swapped with one 16-byte load, shuffle and store (SSSE3;
// DPDK's build flags guarantee SSE4.2), as testpmd's macswap does.
#pragma once

#include <rte_ether.h>
#include <tmmintrin.h>

#include "engines/burst_io.hh"
#include "engines/engine.hh"

namespace deltaplane::engines {

struct MacswapEngine {
  static constexpr bool kTouchesData = true;
  static constexpr Lengths kLengths = Lengths::kDropsOnly;  // runts
  explicit MacswapEngine(const EngineEnv& env) noexcept : env_(env) {}

  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&) noexcept {
    const __m128i swap = _mm_setr_epi8(6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 12, 13, 14, 15);
    bool runts = false;
    for (uint16_t i = 0; i < n; ++i) {
      if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
      rte_mbuf* m = pkts[i];
      auto* p = rte_pktmbuf_mtod(m, uint8_t*);
      if (m->data_len >= 16) [[likely]] {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_shuffle_epi8(v, swap));
      } else if (m->data_len >= RTE_ETHER_HDR_LEN) {
        auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
        rte_ether_addr tmp = eth->dst_addr;
        eth->dst_addr = eth->src_addr;
        eth->src_addr = tmp;
      } else {
        runts = true;  // too short to hold two addresses: dropped below
      }
    }
    return runts ? drop_runts(pkts, n) : n;
  }

 private:
  [[gnu::cold, gnu::noinline]] uint16_t drop_runts(rte_mbuf** pkts, uint16_t n) noexcept {
    stats::DropReason why[kMaxBurst];
    for (uint16_t i = 0; i < n; ++i)
      why[i] = pkts[i]->data_len < RTE_ETHER_HDR_LEN ? stats::DropReason::kRunt : kKeep;
    return compact(pkts, n, why, *env_.counters);
  }
  const EngineEnv& env_;
};

}  // namespace deltaplane::engines
