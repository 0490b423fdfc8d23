// The engines of config/engines.hh bound to their loops: for each engine the
// lcore entry points of the run-to-completion model (with and without
// --cycles) and of a pipeline worker. Chosen once at launch; the loops are
// templates over the engine type, so nothing is dispatched per burst.
#pragma once

#include "config/engines.hh"

namespace deltaplane::engines {

using LcoreMain = int (*)(void*);

struct EngineMains {
  LcoreMain rtc = nullptr;         // run to completion (generators: their loop)
  LcoreMain rtc_cycles = nullptr;  // the same with --cycles (generators: none)
  LcoreMain worker = nullptr;      // pipeline worker (generators: none)
};

const EngineMains& engine_mains(config::Engine e) noexcept;

}  // namespace deltaplane::engines
