#include "engines/forwarder.hh"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <chrono>
#include <thread>

#include "base/error.hh"
#include "engines/io.hh"
#include "engines/macswap.hh"
#include "engines/rxonly.hh"
#include "runtime/signals.hh"

namespace deltaplane::engines {

LcoreMain lcore_main_for(config::Engine e) {
  switch (e) {
    case config::Engine::kIo:
      return fwd_lcore_main<IoEngine>;
    case config::Engine::kMacswap:
      return fwd_lcore_main<MacswapEngine>;
    case config::Engine::kRxonly:
      return fwd_lcore_main<RxonlyEngine>;
  }
  throw Error("engine not implemented");
}

void Forwarder::ContextDeleter::operator()(LcoreContext* c) const noexcept {
  c->~LcoreContext();
  rte_free(c);
}

Forwarder::Forwarder(const config::AppConfig& cfg, const runtime::Placement& placement,
                     std::vector<PortDesc> ports)
    : cfg_(cfg), ports_(std::move(ports)) {
  for (const auto& lp : placement.lcores) {
    if (lp.streams.size() > kMaxStreamsPerLcore)
      throw Error("lcore " + std::to_string(lp.lcore) + " would poll " +
                  std::to_string(lp.streams.size()) + " queues; at most " +
                  std::to_string(kMaxStreamsPerLcore) + " are supported");
    void* mem = rte_zmalloc_socket("deltaplane_lcore", sizeof(LcoreContext), 64, lp.socket);
    if (!mem) mem = rte_zmalloc("deltaplane_lcore", sizeof(LcoreContext), 64);
    if (!mem) throw Error("cannot allocate the context of lcore " + std::to_string(lp.lcore));
    auto* ctx = new (mem) LcoreContext();
    contexts_.emplace_back(ctx);
    ctx->lcore = lp.lcore;
    ctx->socket = lp.socket;
    ctx->burst = cfg.burst;
    ctx->max_frame = cfg.max_frame;
    ctx->tx_retries = cfg.tx_retries;
    ctx->tx_retry_delay_us = cfg.tx_retry_delay_us;
    ctx->stop = &stop_;
    ctx->nb_streams = static_cast<uint16_t>(lp.streams.size());
    for (size_t i = 0; i < lp.streams.size(); ++i) {
      const auto& s = lp.streams[i];
      ctx->streams[i] = {s.rx_port, s.rx_queue, s.tx_port, s.tx_queue};
    }
  }
}

Forwarder::~Forwarder() {
  stop_and_wait();
}

void Forwarder::launch() {
  LcoreMain fn = lcore_main_for(cfg_.engine);
  for (auto& c : contexts_) {
    if (c->nb_streams == 0) continue;
    if (int rc = rte_eal_remote_launch(fn, c.get(), c->lcore); rc != 0) {
      stop_and_wait();
      throw Error("cannot launch lcore " + std::to_string(c->lcore) + " (busy?)");
    }
    launched_ = true;
  }
}

void Forwarder::stop_and_wait() noexcept {
  stop_.store(true);
  if (launched_) {
    for (auto& c : contexts_)
      if (c->nb_streams) rte_eal_wait_lcore(c->lcore);
    launched_ = false;
  }
}

uint64_t Forwarder::rx_total() const noexcept {
  uint64_t t = 0;
  for (const auto& c : contexts_)
    for (uint16_t i = 0; i < c->nb_streams; ++i)
      t += c->stream_counters[i].rx_packets.load();
  return t;
}

stats::Snapshot Forwarder::snapshot(double elapsed_s) const {
  stats::Snapshot s;
  s.elapsed_s = elapsed_s;
  for (const auto& p : ports_) {
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
    s.ports.push_back(ps);
  }
  auto port_slot = [&](uint16_t id) -> stats::PortSnapshot* {
    for (auto& p : s.ports)
      if (p.port == id) return &p;
    return nullptr;
  };
  for (const auto& c : contexts_) {
    stats::LcoreSnapshot ls;
    ls.lcore = c->lcore;
    ls.socket = c->socket;
    ls.polls = c->counters.polls.load();
    ls.empty_polls = c->counters.empty_polls.load();
    for (uint16_t i = 0; i < c->nb_streams; ++i) {
      const auto& sc = c->stream_counters[i];
      const auto& st = c->streams[i];
      uint64_t rx = sc.rx_packets.load(), tx = sc.tx_packets.load();
      ls.rx_packets += rx;
      ls.tx_packets += tx;
      if (auto* p = port_slot(st.rx_port)) {
        p->rx_packets += rx;
        p->rx_bytes += sc.rx_bytes.load();
      }
      if (auto* p = port_slot(st.tx_port)) {
        p->tx_packets += tx;
        p->tx_bytes += sc.tx_bytes.load();
      }
    }
    for (size_t r = 0; r < stats::kDropReasonCount; ++r) {
      uint64_t d = c->counters.drops[r].load();
      s.drops[r] += d;
      ls.drops += d;
    }
    s.lcores.push_back(ls);
  }
  return s;
}

stats::Snapshot Forwarder::run(const std::function<void(const std::string&)>& print) {
  using Clock = std::chrono::steady_clock;
  launch();
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  stats::Snapshot prev = snapshot(0);
  double next_print = cfg_.stats_period_s;
  uint64_t last_rx = 0;
  double last_rx_change = 0;

  while (!runtime::stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const double t = elapsed();
    if (cfg_.duration_s > 0 && t >= cfg_.duration_s) break;
    const uint64_t rx = rx_total();
    if (cfg_.max_packets && rx >= cfg_.max_packets) break;
    if (rx != last_rx) {
      last_rx = rx;
      last_rx_change = t;
    } else if (cfg_.idle_timeout_s > 0 && t - last_rx_change >= cfg_.idle_timeout_s) {
      break;
    }
    if (!cfg_.quiet && cfg_.stats_period_s > 0 && t >= next_print) {
      stats::Snapshot now = snapshot(t);
      print(stats::format_periodic(now, prev));
      prev = std::move(now);
      while (next_print <= t)
        next_print += cfg_.stats_period_s;
    }
  }
  stop_and_wait();
  return snapshot(elapsed());
}

}  // namespace deltaplane::engines
