#include "runtime/placement.hh"

#include <algorithm>
#include <map>

#include "base/error.hh"

namespace deltaplane::runtime {

using config::PortTopology;

std::vector<uint16_t> tx_ports_for(const std::vector<uint16_t>& ports, PortTopology t) {
  const size_t n = ports.size();
  if (t == PortTopology::kAuto)
    t = n == 1 ? PortTopology::kLoop
               : (n % 2 == 0 ? PortTopology::kPaired : PortTopology::kChained);
  std::vector<uint16_t> tx(n);
  for (size_t i = 0; i < n; ++i) {
    switch (t) {
      case PortTopology::kLoop: tx[i] = ports[i]; break;
      case PortTopology::kChained: tx[i] = ports[(i + 1) % n]; break;
      case PortTopology::kPaired:
        if (n % 2)
          throw Error("--port-topology paired: needs an even number of ports, got " +
                      std::to_string(n) + " (use chained or loop)");
        tx[i] = ports[i ^ 1];
        break;
      case PortTopology::kAuto: break;
    }
  }
  return tx;
}

Placement place(const std::vector<PortInfo>& ports, const std::vector<LcoreInfo>& workers,
                const config::AppConfig& cfg) {
  if (workers.empty())
    throw Error(
        "no worker lcore: the main lcore only controls, so give at least two lcores (e.g. -l 0-1)");
  if (ports.empty())
    throw Error("no ports to forward on (add --no-pci --vdev ... or -a PCI_ADDRESS)");

  std::vector<uint16_t> ids;
  for (const auto& p : ports)
    ids.push_back(p.id);
  const std::vector<uint16_t> tx_of = tx_ports_for(ids, cfg.topology);
  auto port_index = [&](uint16_t id) -> size_t {
    auto it = std::find(ids.begin(), ids.end(), id);
    if (it == ids.end())
      throw Error("--config: port " + std::to_string(id) + " is not a port in use");
    return static_cast<size_t>(it - ids.begin());
  };

  Placement pl;
  for (const auto& w : workers)
    pl.lcores.push_back({w.id, w.socket, {}});
  for (const auto& p : ports)
    pl.queues.push_back({p.id, 0, 0});

  auto socket_ok = [](int port_socket, int lcore_socket) {
    return port_socket == kAnySocket || port_socket == lcore_socket;
  };

  if (!cfg.queue_map.empty()) {
    for (const auto& m : cfg.queue_map) {
      size_t pi = port_index(m.port);
      auto lc = std::find_if(pl.lcores.begin(), pl.lcores.end(),
                             [&](const LcorePlan& l) { return l.lcore == m.lcore; });
      if (lc == pl.lcores.end())
        throw Error("--config: lcore " + std::to_string(m.lcore) +
                    " is not a worker lcore (enable it with -l/--lcores; the main lcore "
                    "does not forward)");
      lc->streams.push_back({m.port, m.queue, tx_of[pi], 0});
      pl.queues[pi].rx_queues = std::max<uint16_t>(pl.queues[pi].rx_queues, m.queue + 1);
    }
    for (size_t pi = 0; pi < ports.size(); ++pi) {
      for (uint16_t q = 0; q < pl.queues[pi].rx_queues; ++q) {
        bool found = std::any_of(cfg.queue_map.begin(), cfg.queue_map.end(), [&](const auto& m) {
          return m.port == ports[pi].id && m.queue == q;
        });
        if (!found)
          throw Error("--config: port " + std::to_string(ports[pi].id) + " queue " +
                      std::to_string(q) + " is not mapped to any lcore (queues must be 0..N-1)");
      }
      if (pl.queues[pi].rx_queues == 0) {
        // A port nothing polls is allowed as a TX-only destination (a monitor
        // port, a peer that only listens); otherwise it is a mistake.
        const bool tx_target =
            std::any_of(cfg.queue_map.begin(), cfg.queue_map.end(),
                        [&](const auto& m) { return tx_of[port_index(m.port)] == ports[pi].id; });
        if (!tx_target)
          throw Error("--config: port " + std::to_string(ports[pi].id) +
                      " has no queue mapped (map it or leave it out with --ports)");
        pl.warnings.push_back("port " + std::to_string(ports[pi].id) +
                              " is TX-only: no lcore polls its RX queues (--config)");
      }
    }
  } else {
    // Automatic: each RX queue goes to the least-loaded worker on the port's
    // socket; only when that socket has no worker does it cross nodes.
    for (size_t pi = 0; pi < ports.size(); ++pi) {
      pl.queues[pi].rx_queues = cfg.rx_queues;
      for (uint16_t q = 0; q < cfg.rx_queues; ++q) {
        LcorePlan* best = nullptr;
        for (auto& l : pl.lcores) {
          if (!socket_ok(ports[pi].socket, l.socket)) continue;
          if (!best || l.streams.size() < best->streams.size()) best = &l;
        }
        if (!best) {
          for (auto& l : pl.lcores)
            if (!best || l.streams.size() < best->streams.size()) best = &l;
        }
        best->streams.push_back({ports[pi].id, q, tx_of[pi], 0});
      }
    }
  }

  // Each lcore gets its own TX queue on every port it sends to: no locks.
  std::map<uint16_t, uint16_t> next_txq;
  for (auto& l : pl.lcores) {
    std::map<uint16_t, uint16_t> mine;
    for (auto& s : l.streams) {
      auto it = mine.find(s.tx_port);
      if (it == mine.end()) it = mine.emplace(s.tx_port, next_txq[s.tx_port]++).first;
      s.tx_queue = it->second;
    }
  }
  for (size_t pi = 0; pi < ports.size(); ++pi)
    pl.queues[pi].tx_queues = std::max<uint16_t>(1, next_txq[ports[pi].id]);

  for (const auto& l : pl.lcores) {
    if (l.streams.empty())
      pl.warnings.push_back("lcore " + std::to_string(l.lcore) +
                            " has no RX queue to poll and stays idle (add --rxq or ports)");
    for (const auto& s : l.streams) {
      int ps = ports[port_index(s.rx_port)].socket;
      if (!socket_ok(ps, l.socket))
        pl.warnings.push_back("cross-NUMA: lcore " + std::to_string(l.lcore) + " (socket " +
                              std::to_string(l.socket) + ") polls port " +
                              std::to_string(s.rx_port) + " (socket " + std::to_string(ps) +
                              "); every frame crosses the interconnect — pick lcores on socket " +
                              std::to_string(ps));
    }
  }
  return pl;
}

}  // namespace deltaplane::runtime
