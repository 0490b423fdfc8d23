// encode, decode and gateway: the delta codec on the data path (wire format in
// docs/wire-format.md). Per burst: the encoder validates, looks each frame's
// flow up, and sends a keyframe, a delta, a raw wrap or the frame as it is; the
// decoder restores tunnel packets to the exact original frames and passes
// everything else through unchanged. The gateway encodes what enters from LAN
// ports and decodes what enters from WAN ports.
#pragma once

#include "engines/codec_state.hh"
#include "engines/fwd_loop.hh"

namespace deltaplane::engines {

uint16_t encode_burst(rte_mbuf** pkts, uint16_t n, LcoreContext& ctx) noexcept;
uint16_t decode_burst(rte_mbuf** pkts, uint16_t n, LcoreContext& ctx) noexcept;

// True if a frame could be taken for a tunnel packet by a decoder: IPv4/UDP to
// the tunnel port, or the deltaplane magic where a v1 header would start. The
// encoder never sends such a frame as it is (it wraps it raw), so decoders can
// treat every candidate as theirs and drop it when it fails a check.
bool is_tunnel_candidate(const uint8_t* data, uint32_t len, uint16_t port) noexcept;

struct EncodeEngine {
  static constexpr const char* kName = "encode";
  static constexpr bool kPreservesLength = false;
  static constexpr bool kTouchesData = true;
  explicit EncodeEngine(LcoreContext&) noexcept {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&, LcoreContext& ctx) noexcept {
    return encode_burst(pkts, n, ctx);
  }
};

struct DecodeEngine {
  static constexpr const char* kName = "decode";
  static constexpr bool kPreservesLength = false;
  static constexpr bool kTouchesData = true;
  explicit DecodeEngine(LcoreContext&) noexcept {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream&, LcoreContext& ctx) noexcept {
    return decode_burst(pkts, n, ctx);
  }
};

struct GatewayEngine {
  static constexpr const char* kName = "gateway";
  static constexpr bool kPreservesLength = false;
  static constexpr bool kTouchesData = true;
  explicit GatewayEngine(LcoreContext&) noexcept {}
  uint16_t process(rte_mbuf** pkts, uint16_t n, const Stream& s, LcoreContext& ctx) noexcept {
    return s.role == StreamRole::kLan ? encode_burst(pkts, n, ctx) : decode_burst(pkts, n, ctx);
  }
};

}  // namespace deltaplane::engines
