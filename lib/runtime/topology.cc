#include "runtime/topology.hh"

#include <hwloc.h>
#include <numa.h>
#include <rte_lcore.h>

#include <memory>

#include "base/error.hh"

namespace deltaplane::runtime {

namespace {

struct HwlocTopology {
  hwloc_topology_t t = nullptr;
  HwlocTopology() {
    if (hwloc_topology_init(&t) != 0) throw Error("hwloc: cannot initialise the topology");
    if (hwloc_topology_load(t) != 0) {
      hwloc_topology_destroy(t);
      throw Error("hwloc: cannot load the topology");
    }
  }
  ~HwlocTopology() { hwloc_topology_destroy(t); }
};

std::string cpu_ranges(const std::vector<unsigned>& cpus) {
  std::string s;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1)
      ++j;
    if (!s.empty()) s += ",";
    s += std::to_string(cpus[i]);
    if (j > i) s += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return s;
}

}  // namespace

Topology Topology::discover() {
  HwlocTopology h;
  Topology topo;
  topo.packages_ = static_cast<unsigned>(hwloc_get_nbobjs_by_type(h.t, HWLOC_OBJ_PACKAGE));
  topo.cores_ = static_cast<unsigned>(hwloc_get_nbobjs_by_type(h.t, HWLOC_OBJ_CORE));
  topo.pus_ = static_cast<unsigned>(hwloc_get_nbobjs_by_type(h.t, HWLOC_OBJ_PU));
  int nodes = hwloc_get_nbobjs_by_type(h.t, HWLOC_OBJ_NUMANODE);
  topo.node_cpus_.resize(static_cast<size_t>(std::max(nodes, 1)));
  for (unsigned i = 0; i < topo.pus_; ++i) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(h.t, HWLOC_OBJ_PU, i);
    unsigned cpu = pu->os_index;
    int node = 0;
    for (int n = 0; n < nodes; ++n) {
      hwloc_obj_t no = hwloc_get_obj_by_type(h.t, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(n));
      if (hwloc_bitmap_isset(no->cpuset, cpu)) {
        node = static_cast<int>(no->os_index);
        break;
      }
    }
    if (topo.cpu_node_.size() <= cpu) topo.cpu_node_.resize(cpu + 1, -1);
    topo.cpu_node_[cpu] = node;
    if (static_cast<size_t>(node) >= topo.node_cpus_.size())
      topo.node_cpus_.resize(static_cast<size_t>(node) + 1);
    topo.node_cpus_[static_cast<size_t>(node)].push_back(cpu);
  }
  return topo;
}

int Topology::numa_node_of_cpu(unsigned cpu) const noexcept {
  if (cpu < cpu_node_.size() && cpu_node_[cpu] >= 0) return cpu_node_[cpu];
  // libnuma as a second opinion when hwloc had nothing (e.g. offline CPU).
  if (numa_available() >= 0) return numa_node_of_cpu(static_cast<int>(cpu));
  return -1;
}

std::string Topology::describe() const {
  std::string s = "hwloc: " + std::to_string(packages_) + " package(s), " +
                  std::to_string(numa_nodes()) + " NUMA node(s), " + std::to_string(cores_) +
                  " core(s), " + std::to_string(pus_) + " CPU(s)\n";
  for (size_t n = 0; n < node_cpus_.size(); ++n)
    s += "  NUMA node " + std::to_string(n) + ": CPUs " + cpu_ranges(node_cpus_[n]) + "\n";
  return s;
}

unsigned first_cpu_of_lcore(unsigned lcore) {
  rte_cpuset_t set = rte_lcore_cpuset(lcore);
  for (unsigned c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) return c;
  return 0;
}

std::string describe_placement(const Placement& pl, const Topology& topo,
                               const std::vector<NamedPort>& ports) {
  std::string s = topo.describe();
  for (const auto& p : ports)
    s += "  port " + std::to_string(p.id) + " (" + p.name + "): socket " +
         (p.socket < 0 ? std::string("any") : std::to_string(p.socket)) + "\n";
  for (const auto& l : pl.lcores) {
    const unsigned cpu = first_cpu_of_lcore(l.lcore);
    s += "  lcore " + std::to_string(l.lcore) + " -> cpu " + std::to_string(cpu) + " (NUMA node " +
         std::to_string(topo.numa_node_of_cpu(cpu)) + ", EAL socket " + std::to_string(l.socket) +
         "):";
    if (l.streams.empty()) s += " idle";
    for (const auto& st : l.streams)
      s += " [rx " + std::to_string(st.rx_port) + "/" + std::to_string(st.rx_queue) + " -> tx " +
           std::to_string(st.tx_port) + "/" + std::to_string(st.tx_queue) + "]";
    s += "\n";
  }
  return s;
}

}  // namespace deltaplane::runtime
