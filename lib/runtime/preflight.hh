// Start-up checks for the mistakes DPDK users hit most: hugepages, NUMA
// placement of ports, lcores and memory, mempool sizing, CPU frequency governor
// and isolation. Each finding is one line: ok / warning / fatal, with the fix.
// Facts are read from a sysfs root that tests can point at a fake tree.
#pragma once

#include "runtime/placement.hh"

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.hh"

namespace deltaplane::runtime {

enum class Level : uint8_t { kOk, kInfo, kWarning, kFatal };
std::string_view level_name(Level l) noexcept;

struct Finding {
  Level level = Level::kOk;
  std::string topic;
  std::string message;
  std::string fix;  // empty when nothing is to be done
};

struct HugepageNode {
  int node = 0;
  uint64_t total = 0, free = 0;  // 2 MiB pages
};

struct SystemFacts {
  uint64_t hugepage_size_kb = 2048;
  uint64_t hugepages_total = 0, hugepages_free = 0;
  bool hugetlbfs_mounted = false;
  std::vector<HugepageNode> nodes;
  std::vector<unsigned> isolated_cpus;
  std::vector<std::pair<unsigned, std::string>> governors;  // cpu -> governor (if readable)
};

// Reads /sys and /proc/mounts below `root` ("/" in production).
SystemFacts read_system_facts(const std::string& root, const std::vector<unsigned>& cpus);
std::vector<unsigned> parse_cpu_list(std::string_view text);

struct MemoryPlan {
  bool no_huge = false;
  uint64_t bytes_per_socket[8] = {};  // mempool bytes wanted per socket
};

std::vector<Finding> check_hugepages(const SystemFacts& f, const MemoryPlan& plan);
std::vector<Finding> check_cpus(const SystemFacts& f, const std::vector<unsigned>& worker_cpus);

// Whether every forwarding lcore is on the NUMA node of the ports it polls
// (cross-node placements are warned about by placement itself).
std::vector<Finding> check_numa(const Placement& placement, const std::vector<PortInfo>& ports);

class Preflight {
 public:
  void add(Finding f) { findings_.push_back(std::move(f)); }
  void add(const std::vector<Finding>& fs) {
    findings_.insert(findings_.end(), fs.begin(), fs.end());
  }
  bool fatal() const noexcept;
  const std::vector<Finding>& findings() const noexcept { return findings_; }
  std::string format() const;
  void write_json(JsonWriter& w) const;
  std::string json() const;  // {"ok": ..., "findings": [...]}
  // Throws Error with the first fatal finding and its fix.
  void throw_if_fatal() const;

 private:
  std::vector<Finding> findings_;
};

}  // namespace deltaplane::runtime
