// Who does what in the pipeline model: RX lcores poll the RX queues and hand
// frames to worker lcores by flow hash; workers run the engine and hand frames
// to the TX lcore that owns the frame's TX port. One input ring per worker and
// per TX lcore; each ring's producer count decides its sync mode (single or
// multi producer; always single consumer). Pure logic, unit-tested.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/app_config.hh"
#include "runtime/placement.hh"

namespace deltaplane::runtime {

enum class StageRole : uint8_t { kRx, kWork, kTx };
std::string_view stage_role_name(StageRole r) noexcept;

struct StageLcore {
  unsigned lcore = 0;
  int socket = 0;
  StageRole role = StageRole::kRx;
  std::vector<StreamPlan> rx_streams;  // kRx: queues polled (tx_port = where frames go)
  std::vector<uint16_t> tx_ports;      // kTx: ports this lcore sends on (queue 0)
};

struct RingPlan {
  std::string name;
  StageRole consumer_role = StageRole::kWork;
  unsigned consumer_lcore = 0;
  unsigned producers = 1;
  int socket = 0;
  bool single_producer() const noexcept { return producers == 1; }
};

struct PipelinePlan {
  std::vector<StageLcore> rx, work, tx;
  std::vector<RingPlan> work_rings;  // index: worker
  std::vector<RingPlan> tx_rings;    // index: TX lcore
  std::vector<PortQueues> queues;    // per port, same order as given
  std::vector<uint16_t> tx_port_of;  // per port index: TX port of its frames
  std::vector<std::string> warnings;

  // Index of the TX lcore that owns `port`.
  size_t tx_lcore_of_port(uint16_t port) const;
};

struct StageSpec {
  std::vector<unsigned> rx, work, tx;
};
// Parses "rx:1,work:2-3,tx:4" (each role once, lcore lists with ranges).
StageSpec parse_stages(std::string_view text);

PipelinePlan plan_pipeline(const std::vector<PortInfo>& ports,
                           const std::vector<LcoreInfo>& workers, const config::AppConfig& cfg);

// The plan as a placement: every stage lcore once (an I/O lcore once), with
// the RX queues it polls; the ports' queue counts; the plan's warnings.
Placement placement_of(const PipelinePlan& plan);

// Roles, rings and TX ports in a few lines (--print-topology).
std::string describe(const PipelinePlan& plan);

}  // namespace deltaplane::runtime
