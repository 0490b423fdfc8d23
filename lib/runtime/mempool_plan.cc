#include "runtime/mempool_plan.hh"

#include <string>

namespace deltaplane::runtime {

MempoolPlan plan_mempools(const config::AppConfig& cfg, const std::vector<PortDemand>& ports,
                          unsigned lcores, uint64_t ring_slots, bool no_huge) {
  const uint32_t segs = (cfg.max_frame + cfg.mbuf_data_room - 1) / cfg.mbuf_data_room;
  std::map<int, PoolDemand> demand;
  for (const auto& p : ports) {
    auto& d = demand[p.socket];
    d.rx_descriptors += uint64_t{p.rx_queues} * cfg.rx_desc;
    d.tx_descriptors += uint64_t{p.tx_queues} * cfg.tx_desc;
    d.cache_size = cfg.mbuf_cache;
    d.burst = cfg.burst;
    d.segments_per_frame = segs;
    // A decoder turns one burst of tunnel packets into up to kMaxBurst frames.
    d.burst_expansion = config::has_trait(cfg.engine, config::kDecodes) ? config::kMaxBurst : 0;
  }
  for (auto& [sock, d] : demand) {
    (void)sock;
    d.lcores += lcores;
    d.rx_descriptors += ring_slots / demand.size();  // every ring may be full of mbufs
  }
  MempoolPlan plan;
  plan.memory.no_huge = no_huge;
  const uint64_t mbuf_bytes = uint64_t{cfg.mbuf_data_room} + 128 + 192;  // + headroom, header
  // Drivers' rings and lcores: in the socket's pool, or in a pool of their own
  // that must also cover every ring, cache and TX descriptor its frames pass.
  for (const auto& p : ports) {
    if (!p.own_pool) {
      demand[p.socket].rx_descriptors += p.driver_slots;
      demand[p.socket].lcores += p.driver_lcores;
    }
  }
  for (const auto& p : ports) {
    if (!p.own_pool) continue;
    PoolDemand own;
    own.rx_descriptors = p.driver_slots;
    for (const auto& [sock, d] : demand) {
      (void)sock;
      own.tx_descriptors += d.tx_descriptors;
      own.lcores += d.lcores;
      if (ring_slots) own.rx_descriptors += d.rx_descriptors;  // includes the stage rings
    }
    own.lcores += p.driver_lcores;
    own.cache_size = cfg.mbuf_cache;
    own.burst = cfg.burst;
    own.segments_per_frame = segs;
    own.burst_expansion = config::has_trait(cfg.engine, config::kDecodes) ? config::kMaxBurst : 0;
    plan.own[p.port] = {p.socket, mbufs_needed(own)};
  }
  for (auto& [sock, d] : demand) {
    const uint32_t need = mbufs_needed(d);
    const uint32_t n = cfg.mbufs ? cfg.mbufs : need;
    plan.per_socket[sock] = n;
    if (sock >= 0 && sock < 8) {
      plan.memory.bytes_per_socket[sock] = uint64_t{n} * mbuf_bytes;
      for (const auto& [port, sp] : plan.own)
        if (sp.first == sock)
          plan.memory.bytes_per_socket[sock] += uint64_t{sp.second} * mbuf_bytes;
    }
    if (cfg.mbufs && cfg.mbufs < need)
      plan.findings.push_back({Level::kWarning, "mempool",
                               "--mbufs " + std::to_string(cfg.mbufs) + " on socket " +
                                   std::to_string(sock) + " is below the " + std::to_string(need) +
                                   " that ports x queues x descriptors + caches need; RX will "
                                   "starve (rx_nombuf) under load",
                               "raise --mbufs or lower --rxd/--txd/--rxq"});
    else
      plan.findings.push_back({Level::kOk, "mempool",
                               "socket " + std::to_string(sock) + ": " + std::to_string(n) +
                                   " mbufs of " + std::to_string(cfg.mbuf_data_room) +
                                   " B (ports x queues x descriptors + caches need " +
                                   std::to_string(need) + ")",
                               ""});
  }
  return plan;
}

}  // namespace deltaplane::runtime
