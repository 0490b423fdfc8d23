#include "engines/registry.hh"

// Every engine's header (config/engines.hh lists them; each is <Name>Engine).
#include "engines/codec_engines.hh"
#include "engines/csum.hh"
#include "engines/generator.hh"
#include "engines/io.hh"
#include "engines/macswap.hh"
#include "engines/pipeline.hh"
#include "engines/rtc_loop.hh"
#include "engines/rxonly.hh"
#include "engines/validate.hh"

namespace deltaplane::engines {
namespace {

template <class E, config::Engine kId>
constexpr EngineMains bind() {
  constexpr bool generates = config::engine_generates(kId);
  if constexpr (generates) {
    static_assert(GeneratingEngine<E>, "a generating engine (config/engines.hh) needs fill()");
    return {generator_main<E>, nullptr, nullptr};
  } else {
    static_assert(ForwardingEngine<E>, "a forwarding engine needs process() (engines/engine.hh)");
    return {rtc_main<E, false>, rtc_main<E, true>, pipeline_worker_main<E>};
  }
}

constexpr EngineMains kMains[] = {
#define DELTAPLANE_X(Name, name, traits, help) bind<Name##Engine, config::Engine::k##Name>(),
    DELTAPLANE_ENGINES(DELTAPLANE_X)
#undef DELTAPLANE_X
};
static_assert(std::size(kMains) == config::kEngineCount);

}  // namespace

const EngineMains& engine_mains(config::Engine e) noexcept {
  return kMains[static_cast<size_t>(e)];
}

}  // namespace deltaplane::engines
