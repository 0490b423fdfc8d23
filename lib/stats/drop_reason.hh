// Why a frame that deltaplane received did not leave through a TX queue. One
// list generates the enum, the stable names used in stats/JSON/telemetry and the
// help text, so adding a reason is one line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace deltaplane::stats {

// X(enumerator, stable_name, description)
#define DELTAPLANE_DROP_REASONS(X)                                          \
  X(kTxFull, "tx_full", "TX queue still full after the configured retries") \
  X(kOversize, "oversize", "frame longer than --max-frame")                 \
  X(kConsumed, "consumed", "received and freed by a sink engine (rxonly)")  \
  X(kRunt, "runt", "frame shorter than an Ethernet header")                 \
  X(kNoRoute, "no_route", "no TX port for the frame's RX port")

enum class DropReason : uint8_t {
#define DELTAPLANE_X(e, name, help) e,
  DELTAPLANE_DROP_REASONS(DELTAPLANE_X)
#undef DELTAPLANE_X
      kCount
};

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

inline constexpr std::string_view kDropReasonNames[] = {
#define DELTAPLANE_X(e, name, help) name,
    DELTAPLANE_DROP_REASONS(DELTAPLANE_X)
#undef DELTAPLANE_X
};

inline constexpr std::string_view kDropReasonHelp[] = {
#define DELTAPLANE_X(e, name, help) help,
    DELTAPLANE_DROP_REASONS(DELTAPLANE_X)
#undef DELTAPLANE_X
};

constexpr std::string_view drop_reason_name(DropReason r) noexcept {
  return kDropReasonNames[static_cast<size_t>(r)];
}

}  // namespace deltaplane::stats
