// The forwarding engines, listed once. Everything that names an engine reads
// this list: --fwd and its help, the console's `set fwd`, telemetry, and
// lib/engines/registry.cc, which binds each entry to the type `<Name>Engine`
// and from it instantiates the run-to-completion and pipeline loops.
//
// Adding an engine: write lib/engines/<name>.hh (docs/architecture.md,
// "Adding an engine"), add its line here, include its header in registry.cc.
#pragma once

#include <cstdint>
#include <string_view>

namespace deltaplane::config {

// What an engine is, beyond forwarding what it receives.
enum EngineTrait : uint8_t {
  kForwards = 0,         // RX -> engine -> TX
  kGenerates = 1,        // makes its own frames, no RX (rtc model only)
  kEncodes = 2,          // keeps encoder state per lcore (LAN side)
  kDecodes = 4,          // keeps decoder state per lcore (WAN side)
  kRewritesPayload = 8,  // writes frame bytes past the first 128 (runtime/payload_mark.hh)
};

// X(Name, "name", traits, "what it does per frame")
#define DELTAPLANE_ENGINES(X)                                                                   \
  X(Io, "io", kForwards, "forwards every frame as it came (testpmd iofwd)")                     \
  X(Macswap, "macswap", kForwards, "swaps source and destination MAC addresses")                \
  X(Rxonly, "rxonly", kForwards, "receives and frees every frame, counted 'consumed' (a sink)") \
  X(Validate, "validate", kForwards, "validates headers; invalid frames are dropped by reason") \
  X(Csum, "csum", kForwards, "validates, then checks and fixes IPv4/TCP/UDP checksums")         \
  X(Encode, "encode", kEncodes | kRewritesPayload, "validates and encodes towards the WAN")     \
  X(Decode, "decode", kDecodes | kRewritesPayload,                                              \
    "restores tunnel packets, validates and passes the rest")                                   \
  X(Gateway, "gateway", kEncodes | kDecodes | kRewritesPayload,                                 \
    "encodes what LAN ports receive, decodes what WAN ports receive")                           \
  X(Txonly, "txonly", kGenerates, "sends --txpkts-byte UDP frames (testpmd txonly)")            \
  X(Flowgen, "flowgen", kGenerates, "sends UDP frames over --flows flows (testpmd flowgen)")

enum class Engine : uint8_t {
#define DELTAPLANE_X(Name, name, traits, help) k##Name,
  DELTAPLANE_ENGINES(DELTAPLANE_X)
#undef DELTAPLANE_X
};

inline constexpr std::string_view kEngineNames[] = {
#define DELTAPLANE_X(Name, name, traits, help) name,
    DELTAPLANE_ENGINES(DELTAPLANE_X)
#undef DELTAPLANE_X
};

inline constexpr std::string_view kEngineHelp[] = {
#define DELTAPLANE_X(Name, name, traits, help) help,
    DELTAPLANE_ENGINES(DELTAPLANE_X)
#undef DELTAPLANE_X
};

inline constexpr uint8_t kEngineTraits[] = {
#define DELTAPLANE_X(Name, name, traits, help) static_cast<uint8_t>(traits),
    DELTAPLANE_ENGINES(DELTAPLANE_X)
#undef DELTAPLANE_X
};

inline constexpr size_t kEngineCount = std::size(kEngineNames);

constexpr std::string_view engine_name(Engine e) noexcept {
  return kEngineNames[static_cast<size_t>(e)];
}
constexpr bool has_trait(Engine e, EngineTrait t) noexcept {
  return (kEngineTraits[static_cast<size_t>(e)] & t) != 0;
}
constexpr bool engine_generates(Engine e) noexcept {
  return has_trait(e, kGenerates);
}
constexpr bool engine_uses_codec(Engine e) noexcept {
  return has_trait(e, kEncodes) || has_trait(e, kDecodes);
}
constexpr bool rewrites_payload(Engine e) noexcept {
  return has_trait(e, kRewritesPayload);
}

}  // namespace deltaplane::config
