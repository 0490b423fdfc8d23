// Why a frame that deltaplane received did not leave through a TX queue. The
// enum, the stable names (stats, JSON, telemetry) and the help texts come from
// lists: the forwarding reasons below, one "invalid_<verdict>" per header
// validation verdict (packet/verdict.hh), the codec reasons, one
// "decode_v2_<status>" per status of the wire format 2 decoder
// (codec/v2/format.hh), and the late additions. Names are stable: append,
// never rename.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "codec/v2/format.hh"
#include "packet/verdict.hh"

namespace deltaplane::stats {

// X(enumerator, stable_name, description)
#define DELTAPLANE_DROP_REASONS(X)                                          \
  X(kTxFull, "tx_full", "TX queue still full after the configured retries") \
  X(kOversize, "oversize", "frame longer than --max-frame")                 \
  X(kConsumed, "consumed", "received and freed by a sink engine (rxonly)")  \
  X(kRunt, "runt", "frame shorter than an Ethernet header")                 \
  X(kNoRoute, "no_route", "no TX port for the frame's RX port")             \
  X(kRingFull, "ring_full", "pipeline ring still full after the retries")   \
  X(kLinkDown, "link_down", "TX port's link is down")

#define DELTAPLANE_CODEC_DROP_REASONS(X)                                                         \
  X(kTunnelConflict, "encode_tunnel_conflict",                                                   \
    "frame looks like a tunnel packet and is too long to wrap")                                  \
  X(kDecodeBadOuter, "decode_bad_outer", "tunnel packet with a broken outer IPv4/UDP header")    \
  X(kDecodeBadHeader, "decode_bad_header", "deltaplane header fails its checks")                 \
  X(kDecodeNoKeyframe, "decode_no_keyframe", "delta for a flow whose keyframe never arrived")    \
  X(kDecodeStaleGeneration, "decode_stale_generation", "delta for another keyframe generation")  \
  X(kDecodeCorruptBody, "decode_corrupt_body", "delta body does not decode to the frame length") \
  X(kDecodeCrcMismatch, "decode_crc_mismatch", "restored frame fails its CRC-32C")               \
  X(kDecodeTooLarge, "decode_too_large", "restored frame does not fit one mbuf segment")

#define DELTAPLANE_LATE_DROP_REASONS(X) \
  X(kNoMbuf, "no_mbuf", "no mbuf left for a frame a codec engine made (the pool is exhausted)")

enum class DropReason : uint8_t {
#define DELTAPLANE_X(e, name, help) e,
#define DELTAPLANE_V(e, n) kInvalid_##e,
#define DELTAPLANE_S(e, help) kDecodeV2_##e,
  DELTAPLANE_DROP_REASONS(DELTAPLANE_X) DELTAPLANE_PACKET_VERDICTS(DELTAPLANE_V)
      DELTAPLANE_CODEC_DROP_REASONS(DELTAPLANE_X) DELTAPLANE_V2_STATUSES(DELTAPLANE_S)
          DELTAPLANE_LATE_DROP_REASONS(DELTAPLANE_X)
#undef DELTAPLANE_S
#undef DELTAPLANE_V
#undef DELTAPLANE_X
              kCount
};

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

// The slot of verdict kOk exists (so the mapping is an addition) but is never
// counted; reports skip it (is_reported).
inline constexpr std::string_view kDropReasonNames[] = {
#define DELTAPLANE_X(e, name, help) name,
#define DELTAPLANE_V(e, n) "invalid_" #n,
#define DELTAPLANE_S(e, help) "decode_v2_" #e,
    DELTAPLANE_DROP_REASONS(DELTAPLANE_X) DELTAPLANE_PACKET_VERDICTS(DELTAPLANE_V)
        DELTAPLANE_CODEC_DROP_REASONS(DELTAPLANE_X) DELTAPLANE_V2_STATUSES(DELTAPLANE_S)
            DELTAPLANE_LATE_DROP_REASONS(DELTAPLANE_X)
#undef DELTAPLANE_S
#undef DELTAPLANE_V
#undef DELTAPLANE_X
};

inline constexpr std::string_view kDropReasonHelp[] = {
#define DELTAPLANE_X(e, name, help) help,
#define DELTAPLANE_V(e, n) "header validation: " #n " (docs/validation.md)",
#define DELTAPLANE_S(e, help) "wire format 2: " help,
    DELTAPLANE_DROP_REASONS(DELTAPLANE_X) DELTAPLANE_PACKET_VERDICTS(DELTAPLANE_V)
        DELTAPLANE_CODEC_DROP_REASONS(DELTAPLANE_X) DELTAPLANE_V2_STATUSES(DELTAPLANE_S)
            DELTAPLANE_LATE_DROP_REASONS(DELTAPLANE_X)
#undef DELTAPLANE_S
#undef DELTAPLANE_V
#undef DELTAPLANE_X
};

static_assert(std::size(kDropReasonNames) == kDropReasonCount,
              "Every drop reason needs exactly one name.");

// The drop reason of a header validation verdict other than kOk.
constexpr DropReason drop_reason_for(packet::Verdict v) noexcept {
  return static_cast<DropReason>(static_cast<size_t>(DropReason::kInvalid_kOk) +
                                 static_cast<size_t>(v));
}

// The drop reason of a wire format 2 decoder status other than ok.
constexpr DropReason drop_reason_for(codec::v2::Status s) noexcept {
  return static_cast<DropReason>(static_cast<size_t>(DropReason::kDecodeV2_ok) +
                                 static_cast<size_t>(s));
}

// Whether a reason is reported (the slots of kOk and ok are not).
constexpr bool is_reported(size_t reason) noexcept {
  return reason != static_cast<size_t>(DropReason::kInvalid_kOk) &&
         reason != static_cast<size_t>(DropReason::kDecodeV2_ok);
}

constexpr std::string_view drop_reason_name(DropReason r) noexcept {
  return kDropReasonNames[static_cast<size_t>(r)];
}

}  // namespace deltaplane::stats
