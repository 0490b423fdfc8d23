// deltaplane's commands on the DPDK telemetry socket (/deltaplane/...), for
// dpdk-telemetry.py, tools/deltaplane-ctl and the Prometheus exporter. Queries
// read counters the way the control lcore does; control commands validate their
// parameter strictly and change nothing when it is bad. Callbacks run on DPDK's
// telemetry thread and never let an exception escape.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hh"

namespace deltaplane::engines {
class Dataplane;
}

namespace deltaplane::control {

// Registers the commands (once per process; DPDK cannot unregister them).
// Call it before rte_eal_init: DPDK 22.11 has a fixed table of 64 telemetry
// callbacks and the driver plugins loaded during EAL init fill it. Throws Error
// if a command could not be registered.
void register_telemetry_commands();

// Points the commands at a running forwarder; while none is attached they
// answer {"error": "not forwarding"}. Detach before the forwarder dies.
class TelemetryAttachment {
 public:
  explicit TelemetryAttachment(engines::Dataplane& fwd);
  ~TelemetryAttachment();
  TelemetryAttachment(const TelemetryAttachment&) = delete;
  TelemetryAttachment& operator=(const TelemetryAttachment&) = delete;
};

// Names of the registered commands (for docs and tests).
std::vector<std::string_view> telemetry_command_names();

}  // namespace deltaplane::control
