// encode, decode and gateway: the delta codec on the data path (wire format in
// docs/wire-format.md). Per burst: the encoder validates, looks each frame's
// flow up, and sends a keyframe, a delta, a raw wrap or the frame as it is; the
// decoder restores tunnel packets to the exact original frames and passes
// everything else through unchanged. The gateway encodes what enters from LAN
// ports and decodes what enters from WAN ports.
#pragma once

#include "engines/codec_state.hh"
#include "engines/engine.hh"

namespace deltaplane::engines {

uint16_t encode_burst(rte_mbuf** pkts, uint16_t n, const EngineEnv& env) noexcept;
uint16_t decode_burst(rte_mbuf** pkts, uint16_t n, const EngineEnv& env) noexcept;
// Wire format 2 (codec_v2.cc).
uint16_t encode_burst_v2(rte_mbuf** pkts, uint16_t n, const EngineEnv& env,
                         uint16_t tx_port) noexcept;
uint16_t decode_burst_v2(rte_mbuf** pkts, uint16_t n, const EngineEnv& env) noexcept;

// The wire format of the lcore's codec state: one branch per burst.
inline uint16_t encode_any(rte_mbuf** pkts, uint16_t n, const EngineEnv& env,
                           const Stream& s) noexcept {
  return env.codec->version == 2 ? encode_burst_v2(pkts, n, env, s.tx_port)
                                 : encode_burst(pkts, n, env);
}
inline uint16_t decode_any(rte_mbuf** pkts, uint16_t n, const EngineEnv& env) noexcept {
  return env.codec->version == 2 ? decode_burst_v2(pkts, n, env) : decode_burst(pkts, n, env);
}

// A v2 tunnel packet restores up to kMaxRecords frames: a decoder takes
// bursts of at most this many so what it returns fits a burst array.
inline constexpr uint16_t kCodecMaxRxBurst = kMaxBurst / codec::v2::kMaxRecords;
static_assert(kCodecMaxRxBurst * codec::v2::kMaxRecords <= kMaxBurst);

// True if a frame could be taken for a tunnel packet by a decoder: IPv4/UDP to
// the tunnel port, or the deltaplane magic where a v1 header would start. The
// encoder never sends such a frame as it is (it wraps it raw), so decoders can
// treat every candidate as theirs and drop it when it fails a check.
bool is_tunnel_candidate(const uint8_t* data, uint32_t len, uint16_t port) noexcept;

struct EncodeEngine {  // output fits: the encoder is told how many packets it may make
  static constexpr bool kTouchesData = true;
  static constexpr Lengths kLengths = Lengths::kRewritten;
  explicit EncodeEngine(const EngineEnv& env) noexcept : env_(env) {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream& s) noexcept {
    return encode_any(pkts, n, env_, s);
  }

 private:
  const EngineEnv& env_;
};

struct DecodeEngine {
  static constexpr bool kTouchesData = true;
  static constexpr Lengths kLengths = Lengths::kRewritten;
  static constexpr uint16_t max_rx_burst(StreamRole) noexcept { return kCodecMaxRxBurst; }
  explicit DecodeEngine(const EngineEnv& env) noexcept : env_(env) {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&) noexcept {
    return decode_any(pkts, n, env_);
  }

 private:
  const EngineEnv& env_;
};

struct GatewayEngine {
  static constexpr bool kTouchesData = true;
  static constexpr Lengths kLengths = Lengths::kRewritten;
  static constexpr uint16_t max_rx_burst(StreamRole role) noexcept {
    return role == StreamRole::kWan ? kCodecMaxRxBurst : kMaxBurst;
  }
  explicit GatewayEngine(const EngineEnv& env) noexcept : env_(env) {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream& s) noexcept {
    return s.role == StreamRole::kLan ? encode_any(pkts, n, env_, s) : decode_any(pkts, n, env_);
  }

 private:
  const EngineEnv& env_;
};

}  // namespace deltaplane::engines
