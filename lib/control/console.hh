// The interactive console (-i), on DPDK's cmdline library, with the commands
// testpmd users type: start, stop, show port stats all, show fwd stats all,
// clear port stats all, set fwd <engine>, set burst <n>, show config fwd,
// help, quit. Tab completes; it reads from the terminal or a pipe.
#pragma once

namespace deltaplane::engines {
class Dataplane;
}

namespace deltaplane::control {

// Runs until `quit`, end of input or a stop signal. `auto_start` starts
// forwarding first (--auto-start). Forwarding is stopped on return.
void run_console(engines::Dataplane& fwd, bool auto_start);

}  // namespace deltaplane::control
