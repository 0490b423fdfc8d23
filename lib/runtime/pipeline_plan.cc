#include "runtime/pipeline_plan.hh"

#include <algorithm>
#include <charconv>
#include <set>

#include "base/error.hh"

namespace deltaplane::runtime {

std::string_view stage_role_name(StageRole r) noexcept {
  switch (r) {
    case StageRole::kRx: return "rx";
    case StageRole::kWork: return "work";
    case StageRole::kTx: return "tx";
  }
  return "?";
}

namespace {

[[noreturn]] void fail(const std::string& msg) {
  throw Error("--stages: " + msg);
}

std::vector<unsigned> parse_lcore_list(std::string_view v) {
  std::vector<unsigned> out;
  size_t pos = 0;
  while (true) {
    size_t sep = v.find_first_of(";", pos);
    std::string_view item = v.substr(pos, sep == v.npos ? v.npos : sep - pos);
    size_t dash = item.find('-');
    auto num = [&](std::string_view t) {
      unsigned x = 0;
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), x);
      if (t.empty() || ec != std::errc() || p != t.data() + t.size() || x > 1023)
        fail("expected an lcore id or range, got '" + std::string(item) + "'");
      return x;
    };
    unsigned a = num(dash == item.npos ? item : item.substr(0, dash));
    unsigned b = dash == item.npos ? a : num(item.substr(dash + 1));
    if (b < a) fail("range '" + std::string(item) + "' is reversed");
    for (unsigned l = a; l <= b; ++l)
      out.push_back(l);
    if (sep == v.npos) break;
    pos = sep + 1;
  }
  return out;
}

}  // namespace

StageSpec parse_stages(std::string_view text) {
  StageSpec s;
  std::set<std::string_view> seen;
  size_t pos = 0;
  // Roles are separated by ',' and lcore lists inside a role use '-' ranges;
  // "rx:1,work:2-3,tx:4" or "rx:1,work:2;3;5,tx:4" for lists.
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view part = text.substr(pos, comma == text.npos ? text.npos : comma - pos);
    size_t colon = part.find(':');
    if (colon == part.npos) fail("expected role:lcores, got '" + std::string(part) + "'");
    std::string_view role = part.substr(0, colon);
    if (!seen.insert(role).second) fail("role '" + std::string(role) + "' given twice");
    auto lcores = parse_lcore_list(part.substr(colon + 1));
    if (role == "rx")
      s.rx = lcores;
    else if (role == "work")
      s.work = lcores;
    else if (role == "tx")
      s.tx = lcores;
    else
      fail("unknown role '" + std::string(role) + "' (expected rx, work, tx)");
    if (comma == text.npos) break;
    pos = comma + 1;
  }
  if (s.rx.empty() || s.work.empty() || s.tx.empty()) fail("needs rx, work and tx lcores");
  return s;
}

size_t PipelinePlan::tx_lcore_of_port(uint16_t port) const {
  for (size_t i = 0; i < tx.size(); ++i)
    if (std::find(tx[i].tx_ports.begin(), tx[i].tx_ports.end(), port) != tx[i].tx_ports.end())
      return i;
  throw Error("pipeline: no TX lcore owns port " + std::to_string(port));
}

PipelinePlan plan_pipeline(const std::vector<PortInfo>& ports,
                           const std::vector<LcoreInfo>& workers, const config::AppConfig& cfg) {
  if (ports.empty())
    throw Error("no ports to forward on (add --no-pci --vdev ... or -a PCI_ADDRESS)");
  StageSpec spec;
  if (cfg.stages.empty()) {
    if (workers.size() < 2)
      throw Error(
          "--model pipeline: needs at least 2 worker lcores (an I/O lcore doing RX and TX, and "
          "a worker), e.g. -l 0-2; or give --stages");
    if (workers.size() == 2) {  // I/O lcore + worker, as DPDK's load_balancer example
      spec.rx = spec.tx = {workers.front().id};
      spec.work = {workers.back().id};
    } else {
      spec.rx = {workers.front().id};
      spec.tx = {workers.back().id};
      for (size_t i = 1; i + 1 < workers.size(); ++i)
        spec.work.push_back(workers[i].id);
    }
  } else {
    spec = parse_stages(cfg.stages);
  }
  // An lcore may be both RX and TX (an I/O lcore); otherwise one role each.
  std::set<unsigned> used;
  for (const auto* role : {&spec.rx, &spec.work, &spec.tx}) {
    std::set<unsigned> mine;
    for (unsigned l : *role) {
      if (!mine.insert(l).second) fail("lcore " + std::to_string(l) + " is listed twice");
      const bool io =
          role == &spec.tx && std::find(spec.rx.begin(), spec.rx.end(), l) != spec.rx.end();
      if (!used.insert(l).second && !io)
        fail("lcore " + std::to_string(l) + " has two roles (only rx and tx may share one)");
    }
  }
  auto socket_of = [&](unsigned l) {
    auto it =
        std::find_if(workers.begin(), workers.end(), [&](const LcoreInfo& w) { return w.id == l; });
    if (it == workers.end())
      fail("lcore " + std::to_string(l) +
           " is not a worker lcore (enable it with -l/--lcores; the main lcore only controls)");
    return it->socket;
  };
  PipelinePlan p;
  for (unsigned l : spec.rx)
    p.rx.push_back({l, socket_of(l), StageRole::kRx, {}, {}});
  for (unsigned l : spec.work)
    p.work.push_back({l, socket_of(l), StageRole::kWork, {}, {}});
  for (unsigned l : spec.tx)
    p.tx.push_back({l, socket_of(l), StageRole::kTx, {}, {}});
  for (const auto& w : workers)
    if (!used.count(w.id))
      p.warnings.push_back("lcore " + std::to_string(w.id) +
                           " has no pipeline role and stays idle");

  std::vector<uint16_t> ids;
  for (const auto& port : ports)
    ids.push_back(port.id);
  p.tx_port_of = tx_ports_for(ids, cfg.topology);
  size_t next_rx = 0;
  for (size_t pi = 0; pi < ports.size(); ++pi) {
    p.queues.push_back({ports[pi].id, cfg.rx_queues, 1});
    for (uint16_t q = 0; q < cfg.rx_queues; ++q)
      p.rx[next_rx++ % p.rx.size()].rx_streams.push_back({ports[pi].id, q, p.tx_port_of[pi], 0});
    // Each port is sent on by exactly one TX lcore, through queue 0.
    p.tx[pi % p.tx.size()].tx_ports.push_back(ports[pi].id);
  }
  for (const auto& t : p.tx)
    if (t.tx_ports.empty())
      p.warnings.push_back("TX lcore " + std::to_string(t.lcore) + " owns no port and stays idle");

  for (const auto& w : p.work)
    p.work_rings.push_back({"dp_work_" + std::to_string(w.lcore), StageRole::kWork, w.lcore,
                            static_cast<unsigned>(p.rx.size()), w.socket});
  for (const auto& t : p.tx)
    p.tx_rings.push_back({"dp_tx_" + std::to_string(t.lcore), StageRole::kTx, t.lcore,
                          static_cast<unsigned>(p.work.size()), t.socket});
  for (const auto& r : p.rx)
    for (const auto& s : r.rx_streams) {
      int ps =
          ports[static_cast<size_t>(std::find(ids.begin(), ids.end(), s.rx_port) - ids.begin())]
              .socket;
      if (ps != kAnySocket && ps != r.socket)
        p.warnings.push_back("cross-NUMA: RX lcore " + std::to_string(r.lcore) + " polls port " +
                             std::to_string(s.rx_port) + " on socket " + std::to_string(ps));
    }
  return p;
}

Placement placement_of(const PipelinePlan& plan) {
  Placement placement;
  placement.queues = plan.queues;
  placement.warnings = plan.warnings;
  for (const auto* stage : {&plan.rx, &plan.work, &plan.tx})
    for (const auto& l : *stage)
      if (std::none_of(placement.lcores.begin(), placement.lcores.end(),
                       [&](const auto& x) { return x.lcore == l.lcore; }))  // I/O lcores once
        placement.lcores.push_back({l.lcore, l.socket, l.rx_streams});
  return placement;
}

std::string describe(const PipelinePlan& p) {
  std::string s = "  pipeline:";
  for (const auto* stage : {&p.rx, &p.work, &p.tx})
    for (const auto& l : *stage)
      s += " " + std::string(stage_role_name(l.role)) + ":" + std::to_string(l.lcore);
  s += "\n";
  for (const auto* rings : {&p.work_rings, &p.tx_rings})
    for (const auto& r : *rings)
      s += "  ring " + r.name + ": " + std::to_string(r.producers) + " producer(s) -> " +
           std::string(stage_role_name(r.consumer_role)) + " lcore " +
           std::to_string(r.consumer_lcore) + ", " + (r.single_producer() ? "SP/SC" : "MP/SC") +
           ", socket " + std::to_string(r.socket) + "\n";
  for (const auto& t : p.tx) {
    s += "  TX lcore " + std::to_string(t.lcore) + " sends on ports";
    for (auto port : t.tx_ports)
      s += " " + std::to_string(port) + "/0";
    s += "\n";
  }
  return s;
}

}  // namespace deltaplane::runtime
