// txonly and flowgen: generators like testpmd's. Each lcore allocates bursts
// from its socket's mempool, writes valid Ethernet/IPv4/UDP frames of
// --txpkts bytes (flowgen: cycling over --flows source addresses and ports,
// checksums kept right) and sends them on its streams' TX queues, optionally
// paced to --tx-rate packets per second with a TSC token bucket. Generated
// frames are counted as received on the stream, so the accounting invariant
// (rx = tx + drops) holds for generators too.
#pragma once

#include "engines/fwd_loop.hh"

namespace deltaplane::engines {

template <bool kFlowgen>
int generator_lcore_main(void* arg) noexcept;

extern template int generator_lcore_main<false>(void*) noexcept;
extern template int generator_lcore_main<true>(void*) noexcept;

// The template frame (for tests): `len` bytes, flow `flow` of flowgen.
void build_generated_frame(uint8_t* p, uint16_t len, uint32_t flow) noexcept;

}  // namespace deltaplane::engines
