// Owner of the DPDK Environment Abstraction Layer: rte_eal_init in the
// constructor, rte_eal_cleanup in the destructor, so every later owner (ports,
// mempools) is released first when the stack unwinds.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace deltaplane::runtime {

class Eal {
 public:
  // `argv` holds the program name followed by the EAL arguments (up to, not
  // including, `--`). Throws Error with DPDK's reason on failure.
  explicit Eal(std::span<char*> argv);
  ~Eal();
  Eal(const Eal&) = delete;
  Eal& operator=(const Eal&) = delete;
};

// What deltaplane needs to know about the EAL arguments before rte_eal_init:
// memory mode for the hugepage preflight and the pcap files net_pcap will read.
struct EalArgsInfo {
  bool no_huge = false;
  bool in_memory = false;
  bool no_pci = false;  // --no-pci: DPDK leaves PCI devices (the host NIC) alone
  bool has_allow_list = false;
  std::string file_prefix;
  std::vector<std::string> vdevs;     // --vdev values
  std::vector<std::string> rx_pcaps;  // rx_pcap= files named in net_pcap vdevs
};
EalArgsInfo inspect_eal_args(std::span<const std::string_view> eal_args);

}  // namespace deltaplane::runtime
