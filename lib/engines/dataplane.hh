// The data plane as the control plane sees it: the lcores' contexts
// (lcore_set.hh) and their runner (lcore_runner.hh), and the operator's
// controls over them: start/stop, engine and burst while stopped, pause,
// counter resets, keyframe interval, stats period, link up/down. Every method
// is safe to call from control-plane threads (telemetry, console); none takes
// a lock the data path could take.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/app_config.hh"
#include "engines/lcore_runner.hh"
#include "engines/lcore_set.hh"
#include "runtime/pipeline_plan.hh"
#include "runtime/placement.hh"
#include "stats/snapshot.hh"

namespace deltaplane::engines {

class Dataplane {
 public:
  // `pipeline` set: the pipeline model with that plan; null: run to completion.
  Dataplane(const config::AppConfig& cfg, const runtime::Placement& placement,
            std::vector<PortDesc> ports, std::vector<PoolDesc> pools,
            const runtime::PipelinePlan* pipeline = nullptr);
  ~Dataplane();
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  void start();  // throws Error if an lcore cannot be launched
  void stop() noexcept;
  bool running() const noexcept { return runner_.launched(); }
  void set_engine(config::Engine e);  // stopped only; throws Error otherwise
  void set_burst(uint16_t burst);     // stopped only
  // Told the engine at once and on every set_engine, before it forwards a frame.
  void on_engine_change(std::function<void(config::Engine)> listener);

  stats::Snapshot snapshot() const;              // counters since start
  stats::Snapshot snapshot_since_reset() const;  // since the last reset_counters()
  void reset_counters();
  uint64_t rx_total() const noexcept;  // frames received so far (stop conditions)
  double elapsed() const noexcept;     // seconds since the first start

  // Each takes effect within one loop iteration of the forwarding lcores.
  void pause() noexcept { runner_.pause(); }
  void resume() noexcept { runner_.resume(); }
  bool paused() const noexcept { return runner_.paused(); }
  // Waits until no lcore can still be inside an ethdev callback removed
  // before the call (LcoreRunner::quiesce).
  void quiesce() const noexcept { runner_.quiesce(); }
  void set_stats_period(double seconds) noexcept;
  double stats_period() const noexcept;
  void set_keyframe_interval(uint32_t packets) noexcept;
  uint32_t keyframe_interval() const noexcept;
  // Administrative link change (rte_eth_dev_set_link_up/down); "" or why not.
  std::string set_link(uint16_t port, bool up);
  // Reads every port's link status into the data path's link_down flags.
  void poll_links();

  const config::AppConfig& config() const noexcept { return cfg_; }
  const runtime::Placement& placement() const noexcept { return placement_; }
  const std::vector<PortDesc>& ports() const noexcept { return ports_; }
  std::string_view validator_name() const noexcept;
  const LcoreSet& lcores() const noexcept { return set_; }
  // Held while reading the lcores' codec state from another thread (start()
  // replaces it when the console switched to an engine that needs more).
  std::unique_lock<std::mutex> hold_codec_state() const {
    return std::unique_lock(codec_state_mutex_);
  }

 private:
  config::AppConfig cfg_;
  runtime::Placement placement_;
  std::vector<PortDesc> ports_;
  std::vector<PoolDesc> pools_;
  ControlBlock control_;
  LcoreSet set_;
  LcoreRunner runner_;
  std::function<void(config::Engine)> engine_listener_;
  std::atomic<uint64_t> stats_period_us_;
  uint64_t start_tsc_ = 0;
  mutable std::mutex baseline_mutex_;     // control plane only
  mutable std::mutex codec_state_mutex_;  // control plane only (see hold_codec_state)
  stats::Snapshot baseline_;
};

// Which ports are WAN ports: --wan-ports, else (gateway) the second port of
// each pair of ports in use. Empty unless the engine is the gateway.
std::vector<bool> wan_ports(const config::AppConfig& cfg, const std::vector<uint16_t>& ports);

}  // namespace deltaplane::engines
