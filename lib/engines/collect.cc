#include "engines/collect.hh"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <algorithm>

#include "engines/codec_state.hh"
#include "runtime/ring.hh"

namespace deltaplane::engines {

namespace {

stats::RingSnapshot ring_snapshot(const runtime::Ring& r, const LcoreSet& set) {
  stats::RingSnapshot rs;
  rs.name = r.name();
  rs.sync = r.single_producer() ? "SP/SC" : "MP/SC";
  rs.capacity = r.capacity();
  rs.count = r.count();
  for (const auto& s : set.slots())  // its producers' counters
    if (s.out)
      for (uint16_t i = 0; i < s.out->nb; ++i)
        if (s.out->rings[i] == &r) {
          const RingCounters& rc = s.out->counters[i];
          rs.high_water = std::max(rs.high_water, rc.high_water.load());
          rs.enqueued += rc.enqueued.load();
          rs.full_events += rc.full_events.load();
          rs.dropped += rc.dropped.load();
        }
  return rs;
}

}  // namespace

stats::Snapshot collect(const LcoreSet& set, const std::vector<PortDesc>& ports,
                        const std::vector<PoolDesc>& pools, double elapsed_s,
                        uint32_t flow_capacity) {
  stats::Snapshot s;
  s.elapsed_s = elapsed_s;
  const double ns_per_cycle = 1e9 / static_cast<double>(rte_get_tsc_hz());
  for (const auto& r : set.rings()) {
    s.rings.push_back(ring_snapshot(*r, set));
    s.held += s.rings.back().count;
  }
  if (set.pipeline()) {
    stats::HistogramMerge to_worker, to_tx;
    for (const auto& sl : set.slots()) {
      if (sl.role == LcoreRole::kWork) to_worker.add(*sl.latency);
      if (sl.role == LcoreRole::kTx) to_tx.add(*sl.latency);
    }
    s.latency.push_back({"rx_to_worker", to_worker.summarize(ns_per_cycle)});
    s.latency.push_back({"rx_to_tx", to_tx.summarize(ns_per_cycle)});
  } else if (std::any_of(ports.begin(), ports.end(),
                         [](const PortDesc& p) { return p.arrival_stamped; })) {
    stats::HistogramMerge to_tx;
    for (const auto& sl : set.slots())
      to_tx.add(*sl.latency);
    s.latency.push_back({"arrival_to_tx", to_tx.summarize(ns_per_cycle)});
  }
  for (const auto& pd : pools)
    s.pools.push_back({pd.name, pd.socket, pd.pool->size, rte_mempool_in_use_count(pd.pool)});
  for (const auto& p : ports) {
    stats::PortSnapshot ps;
    ps.port = p.id;
    ps.name = p.name;
    ps.socket = p.socket;
    rte_eth_stats hw{};
    if (rte_eth_stats_get(p.id, &hw) == 0) {
      ps.hw_ipackets = hw.ipackets;
      ps.hw_opackets = hw.opackets;
      ps.hw_imissed = hw.imissed;
      ps.hw_ierrors = hw.ierrors;
      ps.hw_oerrors = hw.oerrors;
      ps.hw_rx_nombuf = hw.rx_nombuf;
    }
    if (p.extra_stats) p.extra_stats(ps);
    s.ports.push_back(ps);
  }
  for (const auto& sl : set.slots()) {
    stats::StreamView views[kMaxStreamsPerLcore];
    size_t nb = 0;
    if (sl.streams)
      for (uint16_t i = 0; i < sl.streams->nb; ++i, ++nb)
        views[nb] = {sl.streams->streams[i].rx_port, sl.streams->streams[i].tx_port,
                     &sl.streams->counters[i]};
    stats::add_lcore(s, sl.core->lcore, sl.core->socket, sl.core->counters, views, nb);
    if (sl.env && sl.env->codec) {
      const CodecLcoreState& c = *sl.env->codec;
      s.codec.active = true;
      s.codec.add(c.counters);
      s.codec.flow_capacity = flow_capacity;
      s.codec.version = c.version;
      if (c.enc_table) s.codec.enc_flows += c.enc_table->occupancy();
      if (c.dec_table) s.codec.dec_flows += c.dec_table->occupancy();
    }
  }
  return s;
}

}  // namespace deltaplane::engines
