// What the machine looks like, as hwloc sees it: packages, NUMA nodes, cores and
// the NUMA node of each CPU. Used for placement warnings and --print-topology.
#pragma once

#include <string>
#include <vector>

#include "runtime/placement.hh"

namespace deltaplane::runtime {

class Topology {
 public:
  static Topology discover();  // throws Error if hwloc cannot load the topology

  int numa_node_of_cpu(unsigned cpu) const noexcept;  // -1 if unknown
  unsigned packages() const noexcept { return packages_; }
  unsigned numa_nodes() const noexcept { return static_cast<unsigned>(node_cpus_.size()); }
  unsigned cores() const noexcept { return cores_; }
  unsigned cpus() const noexcept { return pus_; }
  std::string describe() const;

 private:
  unsigned packages_ = 0, cores_ = 0, pus_ = 0;
  std::vector<std::vector<unsigned>> node_cpus_;  // index: NUMA node
  std::vector<int> cpu_node_;                     // index: OS CPU number
};

// The first CPU an EAL lcore may run on.
unsigned first_cpu_of_lcore(unsigned lcore);

// --print-topology: the machine, every port's socket, and which CPU and NUMA
// node each lcore landed on with the queues it polls and sends through.
struct NamedPort {
  uint16_t id = 0;
  std::string name;
  int socket = -1;
};
std::string describe_placement(const Placement& pl, const Topology& topo,
                               const std::vector<NamedPort>& ports);

}  // namespace deltaplane::runtime
