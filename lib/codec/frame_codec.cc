#include "codec/frame_codec.hh"

#include <cstring>

#include "codec/checksum.hh"
#include "codec/zero_run.hh"

namespace deltaplane::codec {

std::size_t encode_delta(std::span<const std::uint8_t> frame,
                         std::span<const std::uint8_t> keyframe,
                         std::span<std::uint8_t> body) noexcept {
  return xor_zero_run_encode(frame.data(), frame.size(), keyframe.data(), keyframe.size(),
                             body.data(), body.size());
}

ZeroRunStatus decode_delta(std::span<const std::uint8_t> body,
                           std::span<const std::uint8_t> keyframe,
                           std::span<std::uint8_t> frame) noexcept {
  return zero_run_decode_xor(body.data(), body.size(), keyframe.data(), keyframe.size(),
                             frame.data(), frame.size());
}

std::size_t encode_packet(std::span<std::uint8_t> out, const TunnelParams& params,
                          const PacketMeta& meta, MessageType type,
                          std::span<const std::uint8_t> frame,
                          std::span<const std::uint8_t> keyframe) noexcept {
  if (frame.size() > 0xFFFF || out.size() < kEncapOverhead) return 0;
  std::span<std::uint8_t> body = out.subspan(kEncapOverhead);
  if (body.size() > kMaxBody) body = body.first(kMaxBody);
  std::size_t body_len = 0;
  if (type == MessageType::delta) {
    body_len = encode_delta(frame, keyframe, body);
    if (body_len == 0 && !frame.empty()) return 0;
  } else {
    if (frame.size() > body.size()) return 0;
    if (!frame.empty()) std::memcpy(body.data(), frame.data(), frame.size());
    body_len = frame.size();
  }
  Header h;
  h.type = type;
  h.frame_len = static_cast<std::uint16_t>(frame.size());
  h.flow_id = meta.flow_id;
  h.generation = meta.generation;
  h.body_len = static_cast<std::uint16_t>(body_len);
  h.frame_crc = crc32c(frame.data(), frame.size());
  write_outer(out, params, meta.src_port, meta.ip_id, kHeaderSize + body_len);
  write_header(out.subspan(kOuterSize), h);
  return encapsulated_size(body_len);
}

BodyStatus decode_body(const Header& header, std::span<const std::uint8_t> body,
                       std::span<const std::uint8_t> keyframe,
                       std::span<std::uint8_t> out) noexcept {
  if (out.size() < header.frame_len) return BodyStatus::out_too_small;
  std::span<std::uint8_t> frame = out.first(header.frame_len);
  if (header.type == MessageType::delta) {
    if (decode_delta(body, keyframe, frame) != ZeroRunStatus::ok) return BodyStatus::corrupt;
  } else {
    if (body.size() != frame.size()) return BodyStatus::corrupt;
    if (!frame.empty()) std::memcpy(frame.data(), body.data(), frame.size());
  }
  if (crc32c(frame.data(), frame.size()) != header.frame_crc) return BodyStatus::crc_mismatch;
  return BodyStatus::ok;
}

std::string_view to_string(BodyStatus status) noexcept {
  switch (status) {
    case BodyStatus::ok: return "ok";
    case BodyStatus::out_too_small: return "out_too_small";
    case BodyStatus::corrupt: return "corrupt";
    case BodyStatus::crc_mismatch: return "crc_mismatch";
  }
  return "unknown";
}

}  // namespace deltaplane::codec
