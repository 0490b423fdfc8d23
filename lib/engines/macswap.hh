// macswap: swap source and destination MAC addresses, then forward. The 12
// address bytes are swapped with one 16-byte load, shuffle and store (SSSE3;
// DPDK's build flags guarantee SSE4.2), as testpmd's macswap does.
#pragma once

#include <rte_ether.h>
#include <tmmintrin.h>

#include "engines/fwd_loop.hh"

namespace deltaplane::engines {

struct MacswapEngine {
  static constexpr const char* kName = "macswap";
  static constexpr bool kPreservesLength = false;  // may drop runts
  static constexpr bool kTouchesData = true;
  explicit MacswapEngine(LcoreContext&) noexcept {}

  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&, LcoreContext& ctx) noexcept {
    const __m128i swap = _mm_setr_epi8(6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 12, 13, 14, 15);
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; ++i) {
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
        // Too short to hold two addresses: nothing sensible to swap.
        rte_pktmbuf_free(m);
        ctx.counters.drop(stats::DropReason::kRunt, 1);
        continue;
      }
      pkts[kept++] = m;
    }
    return kept;
  }
};

}  // namespace deltaplane::engines
