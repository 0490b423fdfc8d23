// The control side of forwarding: builds one LcoreContext per worker lcore from
// the placement, launches the engine's loop on each, runs the control loop on
// the main lcore (periodic stats, stop conditions), stops the workers and takes
// the final snapshot. Its query and control methods are safe to call from other
// control-plane threads (the telemetry thread); none of them touches a lock the
// data path could take.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/app_config.hh"
#include "engines/lcore_context.hh"
#include "engines/pipeline.hh"
#include "runtime/pipeline_plan.hh"
#include "runtime/placement.hh"
#include "runtime/ring.hh"
#include "stats/snapshot.hh"

struct rte_mempool;

namespace deltaplane::engines {

struct PortDesc {
  uint16_t id = 0;
  std::string name;
  int socket = -1;
  uint8_t tx_csum_offload = 0;   // kTxCsum* bits enabled on the port
  bool rx_csum_flags = false;    // RX mbufs carry checksum flags from the NIC
  bool arrival_stamped = false;  // RX frames carry their arrival TSC (synthetic source)
  // Adds a driver's own counters (e.g. the synthetic source's) to the port's.
  std::function<void(stats::PortSnapshot&)> extra_stats;
};

struct PoolDesc {
  std::string name;
  int socket = -1;
  rte_mempool* pool = nullptr;
  bool engines_allocate = true;  // false: a port's own RX pool (the synthetic generators')
};

// Flow tables of the codec engines, for telemetry: per table occupancy and
// evictions, and the busiest encoder flows (a best-effort snapshot: the owning
// lcores keep updating them while it is read).
struct FlowTableReport {
  unsigned lcore = 0;
  std::string kind;  // "encoder" or "decoder"
  uint64_t capacity = 0, occupancy = 0, insertions = 0, evictions = 0;
};
struct TopFlow {
  unsigned lcore = 0;
  uint32_t flow_id = 0;
  uint64_t packets = 0, bytes = 0;
  std::string key;  // "6 10.1.0.3:443 > 10.2.0.4:5000 vlan 0"
};
struct FlowReport {
  std::vector<FlowTableReport> tables;
  std::vector<TopFlow> top;
};

class Forwarder {
 public:
  // `pipeline` set: the pipeline model with that plan; null: run to completion.
  Forwarder(const config::AppConfig& cfg, const runtime::Placement& placement,
            std::vector<PortDesc> ports, std::vector<PoolDesc> pools,
            const runtime::PipelinePlan* pipeline = nullptr);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Launches the workers, controls until a stop condition, stops them and
  // returns the final snapshot (counters since start, whatever reset_counters
  // did). `print` receives the periodic stats text.
  stats::Snapshot run(const std::function<void(const std::string&)>& print);

  // Interactive control (the console): start/stop forwarding without leaving,
  // and change engine or burst while stopped. run() is the non-interactive path.
  void start();
  void stop() noexcept;
  bool running() const noexcept { return launched_; }
  void set_engine(config::Engine e);  // stopped only; throws Error otherwise
  void set_burst(uint16_t burst);     // stopped only
  // Told the engine at once and on every set_engine, before it forwards a frame.
  void on_engine_change(std::function<void(config::Engine)> listener);

  // Counters since start.
  stats::Snapshot snapshot() const;
  // Counters since the last reset_counters() (the operator's view).
  stats::Snapshot snapshot_since_reset() const;

  // Operator controls (telemetry, console). Each takes effect within one loop
  // iteration of the forwarding lcores.
  void pause() noexcept;
  void resume() noexcept;
  bool paused() const noexcept;
  void reset_counters();
  void set_stats_period(double seconds) noexcept;
  void set_keyframe_interval(uint32_t packets) noexcept;
  // Administrative link change (rte_eth_dev_set_link_up/down); "" or why not.
  std::string set_link(uint16_t port, bool up);
  // Reads every port's link status into the data path's link_down flags.
  void poll_links();
  uint32_t keyframe_interval() const noexcept;
  double stats_period() const noexcept;

  FlowReport flow_report(size_t top_n) const;

  const config::AppConfig& config() const noexcept { return cfg_; }
  const runtime::Placement& placement() const noexcept { return placement_; }
  const std::vector<PortDesc>& ports() const noexcept { return ports_; }
  std::string_view validator_name() const noexcept { return validator_name_; }
  bool is_wan_port(uint16_t port) const noexcept;

 private:
  struct ContextDeleter {
    void operator()(LcoreContext* c) const noexcept;
  };
  void launch();
  void stop_and_wait() noexcept;
  IoLcore* io_lcore_of(unsigned lcore) noexcept;  // null unless lcore does RX and TX
  uint64_t rx_total() const noexcept;
  double elapsed() const noexcept;

  config::AppConfig cfg_;
  runtime::Placement placement_;
  std::vector<PortDesc> ports_;
  std::vector<PoolDesc> pools_;
  std::function<void(config::Engine)> engine_listener_;
  std::string_view validator_name_;
  std::vector<std::unique_ptr<runtime::Ring>> rings_;  // pipeline only; outlive no context
  std::vector<std::unique_ptr<LcoreContext, ContextDeleter>> contexts_;
  std::vector<IoLcore> io_lcores_;  // pipeline lcores that do both RX and TX
  std::atomic<bool> rx_done_{false}, work_done_{false};
  ControlBlock control_;
  std::atomic<uint64_t> stats_period_us_;
  uint64_t start_tsc_ = 0;
  bool launched_ = false;
  mutable std::mutex baseline_mutex_;  // control plane only
  stats::Snapshot baseline_;
};

// Counters of `now` minus those of `base` (what a counter reset shows).
stats::Snapshot subtract(const stats::Snapshot& now, const stats::Snapshot& base);

// The lcore entry point of an engine's loop.
using LcoreMain = int (*)(void*);
LcoreMain lcore_main_for(config::Engine e, bool cycles = false);
LcoreMain work_main_for(config::Engine e);  // pipeline workers

}  // namespace deltaplane::engines
