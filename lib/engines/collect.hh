// Reads every counter of the data plane into a Snapshot: the lcores' counters
// (summed by lib/stats) and the DPDK facts beside them: the ports' hardware
// counters, mempools in use, ring occupancy, latency percentiles. Safe while
// the lcores run (relaxed atomic reads; a consistent-enough picture).
#pragma once

#include <vector>

#include "engines/lcore_set.hh"
#include "stats/snapshot.hh"

namespace deltaplane::engines {

stats::Snapshot collect(const LcoreSet& set, const std::vector<PortDesc>& ports,
                        const std::vector<PoolDesc>& pools, double elapsed_s,
                        uint32_t flow_capacity);

}  // namespace deltaplane::engines
