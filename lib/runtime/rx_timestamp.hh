// The mbuf dynamic field that carries a frame's receive (or arrival) time in
// TSC cycles. Registered once; the pipeline stamps it at RX, the synthetic
// source stamps it with the frame's modelled arrival time, and latency
// histograms read it.
#pragma once

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include <cstdint>

namespace deltaplane::runtime {

// Offset of the field in every mbuf (registers it on first use; throws Error).
int rx_tsc_field_offset();

inline uint64_t& rx_tsc(rte_mbuf* m, int offset) noexcept {
  return *RTE_MBUF_DYNFIELD(m, offset, uint64_t*);
}

}  // namespace deltaplane::runtime
