// libFuzzer target for the decoder side of the wire format: outer header
// parser, deltaplane header parser and body decoder, plus a differential check
// of the zero-run decoders (reference and every ISA) on raw bodies. Any input
// must not crash or touch memory out of bounds (ASan); a successful decode
// fills exactly the claimed length; all decoders agree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "codec/detail/kernels.hh"
#include "codec/frame_codec.hh"
#include "codec/reference.hh"
#include "codec/wire.hh"

namespace {

using deltaplane::codec::BodyStatus;
using deltaplane::codec::Header;
using deltaplane::codec::HeaderStatus;
using deltaplane::codec::OuterInfo;
using deltaplane::codec::OuterStatus;
using deltaplane::codec::ZeroRunStatus;

// A fixed keyframe, as a decoder would have stored it.
const std::vector<std::uint8_t>& keyframe() {
  static const std::vector<std::uint8_t> k = [] {
    std::vector<std::uint8_t> v(1514);
    for (std::size_t i = 0; i < v.size(); ++i)
      v[i] = static_cast<std::uint8_t>(i * 37 + 11);
    return v;
  }();
  return k;
}

void check(bool ok) {
  if (!ok) std::abort();
}

void decode_message(std::span<const std::uint8_t> msg) {
  Header h;
  if (deltaplane::codec::parse_header(msg, h) != HeaderStatus::ok) return;
  check(h.body_len == msg.size() - deltaplane::codec::kHeaderSize);
  // Exactly frame_len bytes on the heap, so ASan sees any write past them.
  std::vector<std::uint8_t> out(h.frame_len);
  (void)deltaplane::codec::decode_body(h, msg.subspan(deltaplane::codec::kHeaderSize), keyframe(),
                                       out);
}

void differential(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return;
  const std::size_t n = (static_cast<std::size_t>(data[0]) << 8 | data[1]) % 4096;
  const std::size_t key_len = static_cast<std::size_t>(data[2]) * 8 % (keyframe().size() + 1);
  // Copies so that each buffer ends exactly where its bytes end.
  const std::vector<std::uint8_t> body(data + 3, data + size);
  const std::vector<std::uint8_t> key(keyframe().begin(),
                                      keyframe().begin() + static_cast<std::ptrdiff_t>(key_len));
  std::vector<std::uint8_t> want(n);
  const ZeroRunStatus ws =
      deltaplane::codec::ref::zero_run_decode(body.data(), body.size(), want.data(), n);
  for (auto level : deltaplane::kAllSimdLevels) {
    const auto* k = deltaplane::codec::detail::kernels_for(level);
    if (k == nullptr) continue;
    std::vector<std::uint8_t> out(n);
    check(k->zero_run_decode(body.data(), body.size(), out.data(), n) == ws);
    if (ws == ZeroRunStatus::ok) check(out == want);
    std::vector<std::uint8_t> fused(n);
    check(k->zero_run_decode_xor(body.data(), body.size(), key.data(), key.size(), fused.data(),
                                 n) == ws);
    if (ws == ZeroRunStatus::ok) {
      for (std::size_t i = 0; i < n; ++i) {
        check(fused[i] == (want[i] ^ (i < key_len ? key[i] : 0)));
      }
    }
  }
}

// Random mutations almost never keep a checksum right; rewriting it lets the
// fuzzer reach the checks behind it.
void fix_checksum(std::vector<std::uint8_t>& b, std::size_t from, std::size_t len,
                  std::size_t field) {
  if (b.size() < from + len) return;
  b[field] = 0;
  b[field + 1] = 0;
  const std::uint16_t c = deltaplane::codec::internet_checksum(b.data() + from, len);
  b[field] = static_cast<std::uint8_t>(c >> 8);
  b[field + 1] = static_cast<std::uint8_t>(c);
}

void parse_packet(std::span<const std::uint8_t> pkt) {
  OuterInfo outer;
  if (deltaplane::codec::parse_outer(pkt, deltaplane::codec::kDefaultUdpPort, outer) ==
      OuterStatus::ok) {
    check(outer.payload_offset + outer.payload_len <= pkt.size());
    decode_message(pkt.subspan(outer.payload_offset, outer.payload_len));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> copy(data, data + size);
  const std::span<const std::uint8_t> pkt(copy);

  // As a whole tunnel packet, as received and with its checksums made valid.
  parse_packet(pkt);
  std::vector<std::uint8_t> fixed = copy;
  fix_checksum(fixed, deltaplane::codec::kEthSize, deltaplane::codec::kIpv4Size, 24);
  fix_checksum(fixed, deltaplane::codec::kOuterSize, deltaplane::codec::kHeaderSize,
               deltaplane::codec::kOuterSize + 18);
  parse_packet(fixed);
  // As a bare deltaplane message (header + body).
  decode_message(pkt);
  std::vector<std::uint8_t> msg = copy;
  fix_checksum(msg, 0, deltaplane::codec::kHeaderSize, 18);
  decode_message(msg);
  // As a raw zero-run body.
  differential(data, size);
  return 0;
}
