#include "engines/dataplane.hh"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <cstdio>

#include "base/error.hh"
#include "engines/collect.hh"

namespace deltaplane::engines {

std::vector<bool> wan_ports(const config::AppConfig& cfg, const std::vector<uint16_t>& ports) {
  std::vector<bool> wan(ports.size(), false);
  if (cfg.engine != config::Engine::kGateway) return wan;
  for (size_t i = 0; i < ports.size(); ++i)
    wan[i] = cfg.wan_ports.empty() ? i % 2 == 1
                                   : std::find(cfg.wan_ports.begin(), cfg.wan_ports.end(),
                                               ports[i]) != cfg.wan_ports.end();
  return wan;
}

Dataplane::Dataplane(const config::AppConfig& cfg, const runtime::Placement& placement,
                     std::vector<PortDesc> ports, std::vector<PoolDesc> pools,
                     const runtime::PipelinePlan* pipeline)
    : cfg_(cfg),
      placement_(placement),
      ports_(std::move(ports)),
      pools_(std::move(pools)),
      set_(cfg_, placement_, ports_, pools_, control_, pipeline),
      runner_(set_, control_),
      stats_period_us_(static_cast<uint64_t>(cfg.stats_period_s * 1e6)) {
  control_.keyframe_interval.store(cfg.keyframe_interval);
}

Dataplane::~Dataplane() {
  runner_.stop_and_wait();
}

void Dataplane::start() {
  if (runner_.launched()) return;
  if (!start_tsc_) start_tsc_ = rte_get_tsc_cycles();
  {
    std::lock_guard hold(codec_state_mutex_);    // telemetry may be reading it
    set_.ensure_codec_state(cfg_, cfg_.engine);  // the console may have chosen a codec engine
  }
  runner_.launch(cfg_.engine, cfg_.cycles);
}

void Dataplane::stop() noexcept {
  runner_.stop_and_wait();
}

void Dataplane::set_engine(config::Engine e) {
  if (runner_.launched()) throw Error("stop forwarding first");
  if (set_.pipeline() && config::engine_generates(e))
    throw Error(std::string(config::engine_name(e)) + ": generators run in the rtc model only");
  cfg_.engine = e;
  if (engine_listener_) engine_listener_(e);
}

void Dataplane::on_engine_change(std::function<void(config::Engine)> listener) {
  engine_listener_ = std::move(listener);
  if (engine_listener_) engine_listener_(cfg_.engine);
}

void Dataplane::set_burst(uint16_t burst) {
  if (runner_.launched()) throw Error("stop forwarding first");
  if (burst == 0 || burst > kMaxBurst) throw Error("burst must be 1.." + std::to_string(kMaxBurst));
  cfg_.burst = burst;
  set_.set_burst(burst);
}

stats::Snapshot Dataplane::snapshot() const {
  std::lock_guard hold(codec_state_mutex_);
  return collect(set_, ports_, pools_, elapsed(), cfg_.flow_capacity);
}

stats::Snapshot Dataplane::snapshot_since_reset() const {
  stats::Snapshot now = snapshot();
  std::lock_guard lock(baseline_mutex_);
  return stats::subtract(now, baseline_);
}

void Dataplane::reset_counters() {
  stats::Snapshot now = snapshot();
  std::lock_guard lock(baseline_mutex_);
  baseline_ = std::move(now);
}

uint64_t Dataplane::rx_total() const noexcept {
  uint64_t t = 0;
  for (const auto& s : set_.slots())
    if (s.streams)
      for (uint16_t i = 0; i < s.streams->nb; ++i)
        t += s.streams->counters[i].rx_packets.load();
  return t;
}

double Dataplane::elapsed() const noexcept {
  if (!start_tsc_) return 0;
  return static_cast<double>(rte_get_tsc_cycles() - start_tsc_) /
         static_cast<double>(rte_get_tsc_hz());
}

void Dataplane::set_stats_period(double seconds) noexcept {
  stats_period_us_.store(static_cast<uint64_t>(seconds * 1e6));
}
double Dataplane::stats_period() const noexcept {
  return static_cast<double>(stats_period_us_.load()) / 1e6;
}
void Dataplane::set_keyframe_interval(uint32_t packets) noexcept {
  control_.keyframe_interval.store(packets, std::memory_order_relaxed);
}
uint32_t Dataplane::keyframe_interval() const noexcept {
  return control_.keyframe_interval.load(std::memory_order_relaxed);
}

std::string_view Dataplane::validator_name() const noexcept {
  for (const auto& s : set_.slots())
    if (s.env) return s.env->validator->name;
  return simd_level_name(cfg_.simd.value_or(best_simd_level()));
}

std::string Dataplane::set_link(uint16_t port, bool up) {
  if (std::none_of(ports_.begin(), ports_.end(), [&](const PortDesc& p) { return p.id == port; }))
    return "port " + std::to_string(port) + " is not in use";
  const int rc = up ? rte_eth_dev_set_link_up(port) : rte_eth_dev_set_link_down(port);
  if (rc != 0)
    return "port " + std::to_string(port) + ": the driver cannot set its link " +
           (up ? "up" : "down") + " (" + rte_strerror(-rc) + ")";
  poll_links();
  return {};
}

void Dataplane::poll_links() {
  for (const auto& p : ports_) {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(p.id, &link) != 0) continue;
    const uint8_t down = link.link_status == RTE_ETH_LINK_DOWN;
    if (control_.link_down[p.id].exchange(down, std::memory_order_relaxed) != down)
      std::fprintf(stderr, "deltaplane: port %u (%s) link %s\n", p.id, p.name.c_str(),
                   down ? "down: its TX frames are dropped as link_down" : "up");
  }
}

}  // namespace deltaplane::engines
