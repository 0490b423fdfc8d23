#include "control/control_loop.hh"

#include <chrono>
#include <thread>

#include "runtime/signals.hh"

namespace deltaplane::control {

stats::Snapshot run_until_stop(engines::Dataplane& dp,
                               const std::function<void(const std::string&)>& print) {
  const config::AppConfig& cfg = dp.config();
  dp.start();
  stats::Snapshot prev = dp.snapshot();
  double last_print = 0, last_rx_change = 0, last_link_poll = 0;
  uint64_t last_rx = 0;
  while (!runtime::stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const double t = dp.elapsed();
    if (t - last_link_poll >= 0.1) {  // a cable pull shows within 100 ms
      dp.poll_links();
      last_link_poll = t;
    }
    if (cfg.duration_s > 0 && t >= cfg.duration_s) break;
    const uint64_t rx = dp.rx_total();
    if (cfg.max_packets && rx >= cfg.max_packets) break;
    if (dp.paused()) last_rx_change = t;  // a stopped appliance is not idle
    if (rx != last_rx) {
      last_rx = rx;
      last_rx_change = t;
    } else if (cfg.idle_timeout_s > 0 && t - last_rx_change >= cfg.idle_timeout_s) {
      break;
    }
    const double period = dp.stats_period();
    if (!cfg.quiet && period > 0 && t - last_print >= period) {
      stats::Snapshot now = dp.snapshot_since_reset();
      if (now.elapsed_s < prev.elapsed_s) prev = {};  // counters were reset
      print(stats::format_periodic(now, prev));
      prev = std::move(now);
      last_print = t;
    }
  }
  dp.stop();
  return dp.snapshot();
}

}  // namespace deltaplane::control
