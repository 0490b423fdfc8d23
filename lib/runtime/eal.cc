#include "runtime/eal.hh"

#include <rte_eal.h>
#include <rte_errno.h>

#include "base/error.hh"

namespace deltaplane::runtime {

Eal::Eal(std::span<char*> argv) {
  int rc = rte_eal_init(static_cast<int>(argv.size()), argv.data());
  if (rc < 0)
    throw Error(std::string("EAL initialisation failed: ") + rte_strerror(rte_errno) +
                " (check the EAL arguments before '--'; see the EAL lines above)");
}

Eal::~Eal() {
  rte_eal_cleanup();
}

EalArgsInfo inspect_eal_args(std::span<const std::string_view> args) {
  EalArgsInfo info;
  auto value_of = [&](size_t& i, std::string_view a, std::string_view opt) -> std::string_view {
    if (a.size() > opt.size() && a[opt.size()] == '=') return a.substr(opt.size() + 1);
    if (i + 1 < args.size()) return args[++i];
    return {};
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--no-huge") info.no_huge = true;
    if (a == "--in-memory") info.in_memory = true;
    if (a == "--no-pci") info.no_pci = true;
    if (a == "-a" || a.starts_with("--allow")) info.has_allow_list = true;
    if (a.starts_with("--file-prefix")) info.file_prefix = value_of(i, a, "--file-prefix");
    if (a.starts_with("--vdev")) {
      std::string_view v = value_of(i, a, "--vdev");
      info.vdevs.emplace_back(v);
      size_t pos = 0;
      while (pos < v.size()) {
        size_t comma = v.find(',', pos);
        std::string_view kv = v.substr(pos, comma == v.npos ? v.npos : comma - pos);
        if (kv.starts_with("rx_pcap=")) info.rx_pcaps.emplace_back(kv.substr(8));
        if (comma == v.npos) break;
        pos = comma + 1;
      }
    }
  }
  return info;
}

}  // namespace deltaplane::runtime
