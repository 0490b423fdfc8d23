// Which lcore polls which RX queue and through which TX queue it sends. Pure
// logic over plain descriptions of ports and lcores, so every rule (NUMA
// affinity, pairing, explicit l3fwd-style maps) is unit-tested without DPDK.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/app_config.hh"

namespace deltaplane::runtime {

inline constexpr int kAnySocket = -1;

struct PortInfo {
  uint16_t id = 0;
  int socket = kAnySocket;  // kAnySocket: the device does not say (vdevs)
};

struct LcoreInfo {
  unsigned id = 0;
  int socket = 0;
};

// One polled RX queue and where its frames go.
struct StreamPlan {
  uint16_t rx_port = 0, rx_queue = 0, tx_port = 0, tx_queue = 0;
};

struct LcorePlan {
  unsigned lcore = 0;
  int socket = 0;
  std::vector<StreamPlan> streams;
};

struct PortQueues {
  uint16_t port = 0;
  uint16_t rx_queues = 0, tx_queues = 0;
};

struct Placement {
  std::vector<LcorePlan> lcores;   // one per worker lcore, possibly idle
  std::vector<PortQueues> queues;  // same order as the ports given
  std::vector<std::string> warnings;
};

// TX port for each RX port, in the order of `ports`, per the topology.
std::vector<uint16_t> tx_ports_for(const std::vector<uint16_t>& ports, config::PortTopology t);

// Throws Error when the request cannot be met (no worker lcores, a mapping to a
// non-worker lcore, a gap in a port's mapped queues, ...).
Placement place(const std::vector<PortInfo>& ports, const std::vector<LcoreInfo>& workers,
                const config::AppConfig& cfg);

}  // namespace deltaplane::runtime
