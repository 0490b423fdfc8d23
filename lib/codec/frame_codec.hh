// Delta coding of whole frames on plain buffers (no mbufs, no EAL): what the
// encode/decode engines call per packet, and what the property tests drive.
//
// The delta of `frame` against `keyframe` is frame XOR keyframe, with the
// keyframe cut or zero-extended to the frame's length: bytes past the end of
// a shorter keyframe travel as they are. The body is that delta, zero-run
// coded (codec/zero_run.hh); decoding needs the same keyframe and the frame
// length, which the header carries. decode(encode(f, k), k) == f for all f, k.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "codec/status.hh"
#include "codec/wire.hh"

namespace deltaplane::codec {

// Encodes the delta body into `body`; returns its size, or 0 if it would not
// fit (send the frame unencoded). An empty frame has the empty body.
[[nodiscard]] std::size_t encode_delta(std::span<const std::uint8_t> frame,
                                       std::span<const std::uint8_t> keyframe,
                                       std::span<std::uint8_t> body) noexcept;

// Restores exactly frame.size() bytes (the length from the header) from `body`.
[[nodiscard]] ZeroRunStatus decode_delta(std::span<const std::uint8_t> body,
                                         std::span<const std::uint8_t> keyframe,
                                         std::span<std::uint8_t> frame) noexcept;

// Per-packet values of the tunnel encapsulation.
struct PacketMeta {
  std::uint32_t flow_id = 0;
  std::uint32_t generation = 0;
  std::uint16_t src_port = 0;  // see tunnel_src_port()
  std::uint16_t ip_id = 0;
};

// Builds a whole tunnel packet (outer headers, deltaplane header, body) of
// `type` for `frame` into `out`; `keyframe` is used by delta only. Returns the
// packet size, or 0 if it does not fit in `out` or the frame exceeds 65535
// bytes. Whether a delta pays is the caller's choice: compare the result with
// encapsulated_size(frame.size()).
[[nodiscard]] std::size_t encode_packet(std::span<std::uint8_t> out, const TunnelParams& params,
                                        const PacketMeta& meta, MessageType type,
                                        std::span<const std::uint8_t> frame,
                                        std::span<const std::uint8_t> keyframe) noexcept;

enum class BodyStatus : std::uint8_t {
  ok,
  out_too_small,  // the output buffer is shorter than header.frame_len
  corrupt,        // the zero-run body does not decode to frame_len bytes
  crc_mismatch,   // decoded, but the CRC-32C of the frame differs
};

[[nodiscard]] std::string_view to_string(BodyStatus status) noexcept;

// Restores the original frame of a parsed message into out[0, header.frame_len)
// and verifies its CRC-32C. `keyframe` is used by delta only (the stored frame
// of header.flow_id / header.generation).
[[nodiscard]] BodyStatus decode_body(const Header& header, std::span<const std::uint8_t> body,
                                     std::span<const std::uint8_t> keyframe,
                                     std::span<std::uint8_t> out) noexcept;

}  // namespace deltaplane::codec
