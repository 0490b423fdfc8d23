// SIGINT/SIGTERM handling: the first signal asks for a clean stop (the control
// lcore notices within milliseconds); a second SIGINT forces an immediate exit
// for when a clean stop itself hangs.
#pragma once

#include <atomic>

namespace deltaplane::runtime {

void install_stop_signals() noexcept;
bool stop_requested() noexcept;
void request_stop() noexcept;
int stop_signal() noexcept;  // the signal that asked for the stop, 0 if none

}  // namespace deltaplane::runtime
