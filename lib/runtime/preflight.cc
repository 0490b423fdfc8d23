#include "runtime/preflight.hh"

#include "base/error.hh"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace deltaplane::runtime {

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t read_u64(const fs::path& p) {
  std::string s = read_file(p);
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  return s;
}

std::string mib(uint64_t bytes) {
  return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

}  // namespace

std::string_view level_name(Level l) noexcept {
  switch (l) {
    case Level::kOk: return "ok";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kFatal: return "fatal";
  }
  return "?";
}

std::vector<unsigned> parse_cpu_list(std::string_view text) {
  std::vector<unsigned> cpus;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == text.npos ? text.npos : comma - pos);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back())))
      item.remove_suffix(1);
    unsigned a = 0, b = 0;
    size_t dash = item.find('-');
    auto ra =
        std::from_chars(item.data(), item.data() + (dash == item.npos ? item.size() : dash), a);
    if (ra.ec == std::errc()) {
      b = a;
      if (dash != item.npos) std::from_chars(item.data() + dash + 1, item.data() + item.size(), b);
      for (unsigned c = a; c <= b && c < 4096; ++c)
        cpus.push_back(c);
    }
    if (comma == text.npos) break;
    pos = comma + 1;
  }
  return cpus;
}

SystemFacts read_system_facts(const std::string& root, const std::vector<unsigned>& cpus) {
  SystemFacts f;
  fs::path r(root);
  fs::path hp = r / "sys/kernel/mm/hugepages/hugepages-2048kB";
  f.hugepages_total = read_u64(hp / "nr_hugepages");
  f.hugepages_free = read_u64(hp / "free_hugepages");
  std::error_code ec;
  for (int n = 0; n < 64; ++n) {
    fs::path np = r / ("sys/devices/system/node/node" + std::to_string(n));
    if (!fs::exists(np, ec)) {
      if (n > 0) break;
      continue;
    }
    fs::path nh = np / "hugepages/hugepages-2048kB";
    f.nodes.push_back({n, read_u64(nh / "nr_hugepages"), read_u64(nh / "free_hugepages")});
  }
  std::string mounts = read_file(r / "proc/mounts");
  f.hugetlbfs_mounted = mounts.find(" hugetlbfs ") != std::string::npos;
  f.isolated_cpus = parse_cpu_list(trim(read_file(r / "sys/devices/system/cpu/isolated")));
  for (unsigned c : cpus) {
    std::string g = trim(read_file(
        r / ("sys/devices/system/cpu/cpu" + std::to_string(c) + "/cpufreq/scaling_governor")));
    if (!g.empty()) f.governors.emplace_back(c, g);
  }
  return f;
}

std::vector<Finding> check_hugepages(const SystemFacts& f, const MemoryPlan& plan) {
  std::vector<Finding> out;
  if (plan.no_huge) {
    out.push_back({Level::kInfo, "hugepages",
                   "running without hugepages (--no-huge): fine for tests, slower (4 KiB TLB "
                   "entries) and no multi-process tools",
                   ""});
    return out;
  }
  const std::string fix_reserve =
      "echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages (or run "
      "tools/setup.sh), or pass --no-huge";
  if (f.hugepages_total == 0) {
    out.push_back({Level::kFatal, "hugepages", "no 2 MiB hugepages are reserved", fix_reserve});
    return out;
  }
  if (f.hugepages_free == 0) {
    out.push_back({Level::kFatal, "hugepages",
                   "all " + std::to_string(f.hugepages_total) +
                       " reserved 2 MiB hugepages are in use (other DPDK processes, or files "
                       "left in /dev/hugepages by crashed ones)",
                   "stop those processes or remove their stale files, reserve more, or pass "
                   "--no-huge"});
    return out;
  }
  if (!f.hugetlbfs_mounted)
    out.push_back({Level::kFatal, "hugepages", "hugetlbfs is not mounted",
                   "mount -t hugetlbfs nodev /dev/hugepages"});
  uint64_t want = 0;
  for (uint64_t b : plan.bytes_per_socket)
    want += b;
  uint64_t have = f.hugepages_free * 2 * 1048576;
  if (have < want)
    out.push_back(
        {Level::kFatal, "hugepages",
         "mempools need about " + mib(want) + " but only " + mib(have) + " of hugepages are free",
         fix_reserve});
  else
    out.push_back({Level::kOk, "hugepages",
                   std::to_string(f.hugepages_free) + " of " + std::to_string(f.hugepages_total) +
                       " 2 MiB pages free; mempools need about " + mib(want),
                   ""});
  for (const auto& n : f.nodes) {
    if (n.node < 0 || n.node >= 8) continue;
    uint64_t need = plan.bytes_per_socket[n.node];
    uint64_t node_have = n.free * 2 * 1048576;
    if (need > 0 && node_have < need)
      out.push_back({Level::kWarning, "hugepages",
                     "NUMA node " + std::to_string(n.node) + " has " + mib(node_have) +
                         " of free hugepages but its mempool needs " + mib(need) +
                         "; DPDK will fail or place memory on another node",
                     "echo N > /sys/devices/system/node/node" + std::to_string(n.node) +
                         "/hugepages/hugepages-2048kB/nr_hugepages"});
  }
  return out;
}

std::vector<Finding> check_cpus(const SystemFacts& f, const std::vector<unsigned>& worker_cpus) {
  std::vector<Finding> out;
  std::string not_perf;
  bool any_known = false;
  for (const auto& [cpu, gov] : f.governors) {
    if (std::find(worker_cpus.begin(), worker_cpus.end(), cpu) == worker_cpus.end()) continue;
    any_known = true;
    if (gov != "performance") not_perf += " cpu" + std::to_string(cpu) + "=" + gov;
  }
  if (!any_known)
    out.push_back(
        {Level::kInfo, "cpufreq", "CPU frequency governor not readable (VM or no cpufreq)", ""});
  else if (!not_perf.empty())
    out.push_back({Level::kWarning, "cpufreq",
                   "forwarding CPUs not on the performance governor:" + not_perf,
                   "cpupower frequency-set -g performance"});
  else
    out.push_back({Level::kOk, "cpufreq", "forwarding CPUs use the performance governor", ""});

  std::string shared;
  std::vector<unsigned> cpus = worker_cpus;  // lcores may share a CPU: name each once
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  for (unsigned c : cpus)
    if (std::find(f.isolated_cpus.begin(), f.isolated_cpus.end(), c) == f.isolated_cpus.end())
      shared += " " + std::to_string(c);
  if (shared.empty())
    out.push_back({Level::kOk, "isolation", "forwarding CPUs are isolated from the scheduler", ""});
  else
    out.push_back(
        {Level::kWarning, "isolation",
         "forwarding CPUs not isolated (the kernel may schedule other work there):" + shared,
         "boot with isolcpus=/nohz_full= for those CPUs"});
  return out;
}

bool Preflight::fatal() const noexcept {
  return std::any_of(findings_.begin(), findings_.end(),
                     [](const Finding& f) { return f.level == Level::kFatal; });
}

std::string Preflight::format() const {
  std::string o;
  for (const auto& f : findings_) {
    std::string lvl(level_name(f.level));
    o += "preflight: [" + lvl + "]" + std::string(8 - std::min<size_t>(lvl.size(), 7), ' ') +
         f.topic + ": " + f.message;
    if (!f.fix.empty()) o += " — fix: " + f.fix;
    o += "\n";
  }
  return o;
}

std::string Preflight::json() const {
  JsonWriter w;
  w.begin_object();
  write_json(w);
  w.end_object();
  return w.str();
}

void Preflight::throw_if_fatal() const {
  for (const auto& f : findings_)
    if (f.level == Level::kFatal)
      throw Error("preflight: " + f.topic + ": " + f.message +
                  (f.fix.empty() ? "" : " — fix: " + f.fix));
}

std::vector<Finding> check_numa(const Placement& placement, const std::vector<PortInfo>& ports) {
  for (const auto& l : placement.lcores)
    for (const auto& st : l.streams)
      for (const auto& p : ports)
        if (p.id == st.rx_port && p.socket >= 0 && p.socket != l.socket) return {};
  return {
      {Level::kOk, "numa", "every forwarding lcore is on the NUMA node of the ports it polls", ""}};
}

void Preflight::write_json(JsonWriter& w) const {
  w.value("ok", !fatal());
  w.begin_array("findings");
  for (const auto& f : findings_) {
    w.begin_object()
        .value("level", level_name(f.level))
        .value("topic", f.topic)
        .value("message", f.message)
        .value("fix", f.fix)
        .end_object();
  }
  w.end_array();
}

}  // namespace deltaplane::runtime
