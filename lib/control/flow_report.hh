// The codec engines' flow tables for the operator: per table occupancy and
// evictions, and the busiest encoder flows with their 5-tuples in text. A
// best-effort snapshot: the owning lcores keep updating the tables while it
// is read.
#pragma once

#include <string>
#include <vector>

#include "engines/dataplane.hh"

namespace deltaplane::control {

struct FlowTableReport {
  unsigned lcore = 0;
  std::string kind;  // "encoder" or "decoder"
  uint64_t capacity = 0, occupancy = 0, insertions = 0, evictions = 0;
};
struct TopFlow {
  unsigned lcore = 0;
  uint32_t flow_id = 0;
  uint64_t packets = 0, bytes = 0;
  std::string key;  // "proto 6 10.1.0.3:443 > 10.2.0.4:5000 vlan 0"
};
struct FlowReport {
  std::vector<FlowTableReport> tables;
  std::vector<TopFlow> top;
};

FlowReport flow_report(const engines::Dataplane& dp, size_t top_n);

}  // namespace deltaplane::control
