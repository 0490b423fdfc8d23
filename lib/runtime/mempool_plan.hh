// How many mbufs each pool needs: one pool per NUMA socket in use, sized so
// that every RX/TX descriptor, pipeline ring slot, lcore cache and burst in
// flight can hold an mbuf at once; plus, where a driver asks for it, a pool
// of its own (the synthetic generators with payload=fill). Pure arithmetic.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "config/app_config.hh"
#include "runtime/mempool.hh"
#include "runtime/preflight.hh"

namespace deltaplane::runtime {

// One port's share: its queues, and what its driver adds.
struct PortDemand {
  uint16_t port = 0;
  int socket = 0;  // resolved: never "any"
  uint16_t rx_queues = 0, tx_queues = 0;
  uint64_t driver_slots = 0;   // frames the driver's own rings may hold (generator rings)
  unsigned driver_lcores = 0;  // lcores the driver adds (generator lcores)
  bool own_pool = false;       // the driver's RX takes mbufs from a pool of its own
};

struct MempoolPlan {
  std::map<int, uint32_t> per_socket;                // socket -> mbufs
  std::map<uint16_t, std::pair<int, uint32_t>> own;  // port -> socket, mbufs
  MemoryPlan memory;                                 // bytes per socket, for the hugepage check
  std::vector<Finding> findings;                     // one per socket: sized, or --mbufs too small
};

// `lcores`: forwarding lcores that allocate or free (each may use every pool);
// `ring_slots`: pipeline ring slots, spread over the sockets.
MempoolPlan plan_mempools(const config::AppConfig& cfg, const std::vector<PortDemand>& ports,
                          unsigned lcores, uint64_t ring_slots, bool no_huge);

}  // namespace deltaplane::runtime
