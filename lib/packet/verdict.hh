// Verdicts of header validation: kOk or the one reason a frame is dropped.
// The list is an X-macro so counters, names and telemetry keys are generated
// from one place; names are stable snake_case strings (they appear in stats,
// JSON and telemetry), so only append to the list, never rename.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

// X(enumerator, snake_case_name). kOk must stay first (value 0).
#define DELTAPLANE_PACKET_VERDICTS(X)               \
  X(kOk, ok)                                        \
  X(kRunt, runt)                                    \
  X(kUnknownEthertype, unknown_ethertype)           \
  X(kVlanTooDeep, vlan_too_deep)                    \
  X(kIpv4BadVersion, ipv4_bad_version)              \
  X(kIpv4BadIhl, ipv4_bad_ihl)                      \
  X(kIpv4BadTotalLength, ipv4_bad_total_length)     \
  X(kIpv4BadChecksum, ipv4_bad_checksum)            \
  X(kIpv4TtlZero, ipv4_ttl_zero)                    \
  X(kIpv4FragTooShort, ipv4_frag_too_short)         \
  X(kIpv4FragBadOffset, ipv4_frag_bad_offset)       \
  X(kIpv6BadVersion, ipv6_bad_version)              \
  X(kIpv6BadPayloadLength, ipv6_bad_payload_length) \
  X(kIpv6ExtTooLong, ipv6_ext_too_long)             \
  X(kIpv6ExtTruncated, ipv6_ext_truncated)          \
  X(kTcpBadDataOffset, tcp_bad_data_offset)         \
  X(kUdpBadLength, udp_bad_length)                  \
  X(kL4BadChecksum, l4_bad_checksum)                \
  X(kL4Truncated, l4_truncated)

namespace deltaplane::packet {

enum class Verdict : uint8_t {
#define DELTAPLANE_PACKET_VERDICT_ENUM(e, n) e,
  DELTAPLANE_PACKET_VERDICTS(DELTAPLANE_PACKET_VERDICT_ENUM)
#undef DELTAPLANE_PACKET_VERDICT_ENUM
};

inline constexpr size_t kVerdictCount = 0
#define DELTAPLANE_PACKET_VERDICT_COUNT(e, n) +1
    DELTAPLANE_PACKET_VERDICTS(DELTAPLANE_PACKET_VERDICT_COUNT)
#undef DELTAPLANE_PACKET_VERDICT_COUNT
    ;

static_assert(static_cast<int>(Verdict::kOk) == 0, "kOk must be the first verdict (value 0).");

// Stable snake_case name ("ok", "runt", ...); "invalid" for out-of-range values.
constexpr std::string_view verdict_name(Verdict v) noexcept {
  switch (v) {
#define DELTAPLANE_PACKET_VERDICT_NAME(e, n) \
  case Verdict::e: return #n;
    DELTAPLANE_PACKET_VERDICTS(DELTAPLANE_PACKET_VERDICT_NAME)
#undef DELTAPLANE_PACKET_VERDICT_NAME
  }
  return "invalid";
}

}  // namespace deltaplane::packet
