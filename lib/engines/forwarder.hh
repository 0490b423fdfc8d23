// The control side of forwarding: builds one LcoreContext per worker lcore from
// the placement, launches the engine's loop on each, runs the control loop on
// the main lcore (periodic stats, stop conditions), stops the workers and takes
// the final snapshot.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/app_config.hh"
#include "engines/lcore_context.hh"
#include "runtime/placement.hh"
#include "stats/snapshot.hh"

namespace deltaplane::engines {

struct PortDesc {
  uint16_t id = 0;
  std::string name;
  int socket = -1;
};

class Forwarder {
 public:
  Forwarder(const config::AppConfig& cfg, const runtime::Placement& placement,
            std::vector<PortDesc> ports);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Launches the workers, controls until a stop condition, stops them and
  // returns the final snapshot. `print` receives the periodic stats text.
  stats::Snapshot run(const std::function<void(const std::string&)>& print);

  stats::Snapshot snapshot(double elapsed_s) const;

 private:
  struct ContextDeleter {
    void operator()(LcoreContext* c) const noexcept;
  };
  void launch();
  void stop_and_wait() noexcept;
  uint64_t rx_total() const noexcept;

  config::AppConfig cfg_;
  std::vector<PortDesc> ports_;
  std::vector<std::unique_ptr<LcoreContext, ContextDeleter>> contexts_;
  std::atomic<bool> stop_{false};
  bool launched_ = false;
};

// The lcore entry point of an engine's loop.
using LcoreMain = int (*)(void*);
LcoreMain lcore_main_for(config::Engine e);

}  // namespace deltaplane::engines
