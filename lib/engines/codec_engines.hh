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

// True if a frame could be taken for a tunnel packet by a decoder: IPv4/UDP to
// the tunnel port, or the deltaplane magic where a v1 header would start. The
// encoder never sends such a frame as it is (it wraps it raw), so decoders can
// treat every candidate as theirs and drop it when it fails a check.
bool is_tunnel_candidate(const uint8_t* data, uint32_t len, uint16_t port) noexcept;

struct EncodeEngine {
  static constexpr bool kTouchesData = true;
  static constexpr Lengths kLengths = Lengths::kRewritten;
  explicit EncodeEngine(const EngineEnv& env) noexcept : env_(env) {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&) noexcept {
    return encode_burst(pkts, n, env_);
  }

 private:
  const EngineEnv& env_;
};

struct DecodeEngine {
  static constexpr bool kTouchesData = true;
  static constexpr Lengths kLengths = Lengths::kRewritten;
  explicit DecodeEngine(const EngineEnv& env) noexcept : env_(env) {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&) noexcept {
    return decode_burst(pkts, n, env_);
  }

 private:
  const EngineEnv& env_;
};

struct GatewayEngine {
  static constexpr bool kTouchesData = true;
  static constexpr Lengths kLengths = Lengths::kRewritten;
  explicit GatewayEngine(const EngineEnv& env) noexcept : env_(env) {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream& s) noexcept {
    return s.role == StreamRole::kLan ? encode_burst(pkts, n, env_) : decode_burst(pkts, n, env_);
  }

 private:
  const EngineEnv& env_;
};

}  // namespace deltaplane::engines
