// The non-interactive control loop on the main lcore: starts forwarding, then
// every 5 ms checks the stop conditions (signal, --duration, --max-packets,
// --idle-timeout), polls the links every 100 ms (as the console's link thread
// does) and prints periodic stats; stops and returns the final snapshot.
#pragma once

#include <functional>
#include <string>

#include "engines/dataplane.hh"

namespace deltaplane::control {

stats::Snapshot run_until_stop(engines::Dataplane& dp,
                               const std::function<void(const std::string&)>& print);

}  // namespace deltaplane::control
