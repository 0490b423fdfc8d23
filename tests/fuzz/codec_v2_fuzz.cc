// libFuzzer target for wire format v2 (lib/codec/v2): the decoder on any
// bytes, and the encoder and decoder together on any frames. The first input
// byte picks what the rest is:
//
//   mode 0: tunnel payloads, each [length: 2 bytes LE][bytes], fed to one
//           Decoder (byte 1: bit 0 seals each payload's CRC so the decoder
//           reads past it, bits 1-2 the peer): it must never crash or trip a
//           sanitizer, and its statuses stay in the enum;
//   mode 1: frames, each [length: 2 bytes LE][bytes], through an Encoder and
//           a Decoder (byte 1: level, WAN MTU, burst size): every frame not
//           bypassed must come back intact and in order, else abort;
//   mode 2: as mode 1, then the input's tail forges the packets (one byte
//           changed, CRC sealed again) before the decoder sees each one
//           (then the original): every frame it emits must be one it was
//           given, byte for byte, else abort.
//
// The codec's memory is sized down (a 256 KiB history, 64 flow contexts) so
// each input costs little; the code paths are those of the full sizes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <span>
#include <unordered_map>
#include <vector>

#include "codec/v2/decoder.hh"
#include "codec/v2/encoder.hh"
#include "codec/v2/format.hh"
#include "packet/validate.hh"

namespace {

using deltaplane::codec::v2::Decoder;
using deltaplane::codec::v2::DecoderConfig;
using deltaplane::codec::v2::Encoder;
using deltaplane::codec::v2::EncoderConfig;
using deltaplane::codec::v2::FrameIn;
using deltaplane::codec::v2::Status;
namespace v2 = deltaplane::codec::v2;
namespace packet = deltaplane::packet;
using Bytes = std::vector<uint8_t>;

constexpr size_t kHistory = size_t{1} << 18;
constexpr uint32_t kContexts = 64;
constexpr unsigned kStatusCount = static_cast<unsigned>(Status::stale) + 1;

// Aborts (a finding) naming the property that failed.
#define DELTAPLANE_FUZZ_CHECK(x)  \
  do {                            \
    if (!(x)) fail(#x, __LINE__); \
  } while (0)
[[noreturn]] void fail(const char* what, int line) {
  std::fprintf(stderr, "codec_v2_fuzz.cc:%d: %s\n", line, what);
  std::abort();
}

// [length: 2 bytes LE][bytes] records until the input ends; `rest` gets
// what follows a zero length (mode 2's forgeries).
std::vector<Bytes> split_records(const uint8_t* p, size_t n, const uint8_t** rest = nullptr,
                                 size_t* rest_len = nullptr) {
  std::vector<Bytes> v;
  size_t i = 0;
  while (i + 2 <= n) {
    const size_t len = static_cast<size_t>(p[i] | p[i + 1] << 8);
    i += 2;
    if (len == 0 && rest) break;
    const size_t take = len < n - i ? len : n - i;
    v.emplace_back(p + i, p + i + take);
    i += take;
  }
  if (rest) {
    *rest = p + (i < n ? i : n);
    *rest_len = i < n ? n - i : 0;
  }
  return v;
}

DecoderConfig decoder_config() {
  DecoderConfig c;
  c.history = kHistory;
  c.contexts = kContexts;
  c.streams = 2;
  return c;
}

void check_result(const Decoder::Result& r) {
  DELTAPLANE_FUZZ_CHECK(static_cast<unsigned>(r.status) < kStatusCount);
  DELTAPLANE_FUZZ_CHECK(r.nframes <= v2::kMaxRecords);
  DELTAPLANE_FUZZ_CHECK(r.status == Status::ok || r.nframes == 0);
  for (unsigned k = 0; k < r.nframes; ++k) {
    const Decoder::Frame& f = r.frames[k];
    DELTAPLANE_FUZZ_CHECK(static_cast<unsigned>(f.status) < kStatusCount);
    if (f.status != Status::ok) continue;
    DELTAPLANE_FUZZ_CHECK(f.size() <= v2::kMaxSpan + v2::kMaxHeader);
    // Touch every byte: ASan sees a frame that points outside the decoder.
    volatile uint8_t sink = 0;
    for (uint32_t i = 0; i < f.hdr_len; ++i)
      sink = static_cast<uint8_t>(sink ^ f.hdr[i]);
    for (uint32_t i = 0; i < f.len; ++i)
      sink = static_cast<uint8_t>(sink ^ f.data[i]);
  }
}

void decode_payloads(const uint8_t* data, size_t size) {
  if (size < 2) return;
  const bool seal = data[1] & 1;
  const uint32_t peer = data[1] >> 1 & 3;
  Decoder dec(decoder_config());
  Decoder::Result r;
  for (Bytes& p : split_records(data + 2, size - 2)) {
    if (seal && p.size() >= v2::kPacketHeaderSize) v2::seal(p.data(), p.size());
    dec.decode(p, peer, r);  // exact-size heap buffer: ASan sees any overread
    check_result(r);
  }
}

Bytes bytes_of(const Decoder::Frame& f) {
  Bytes b(f.hdr, f.hdr + f.hdr_len);
  b.insert(b.end(), f.data, f.data + f.len);
  return b;
}

// Flow slots as the engines hand them out: new slots, then reused round the clock.
class FlowSlots {
 public:
  uint32_t slot_of(const packet::FlowKey& k, bool& fresh) {
    fresh = false;
    if (k.ip_version == 0) return v2::kNoFlow;
    auto it = map_.find(k);
    if (it != map_.end()) return it->second;
    fresh = true;
    uint32_t s;
    if (map_.size() < kContexts) {
      s = static_cast<uint32_t>(map_.size());
    } else {
      s = hand_++ % kContexts;
      for (auto j = map_.begin(); j != map_.end(); ++j)
        if (j->second == s) {
          map_.erase(j);
          break;
        }
    }
    map_.emplace(k, s);
    return s;
  }

 private:
  struct Hash {
    size_t operator()(const packet::FlowKey& k) const { return packet::flow_hash(k); }
  };
  std::unordered_map<packet::FlowKey, uint32_t, Hash> map_;
  uint32_t hand_ = 0;
};

void round_trip(const uint8_t* data, size_t size, bool forge) {
  if (size < 2) return;
  const uint8_t opt = data[1];
  EncoderConfig ec;
  ec.level = v2::level_params(1 + opt % 3);
  ec.level.history = kHistory;
  if (ec.level.hash_bits > 14) ec.level.hash_bits = 14;
  static constexpr uint32_t kMtus[] = {1472, 8972, 600, 1472};
  ec.max_payload = kMtus[opt >> 2 & 3];
  ec.max_burst = static_cast<uint16_t>(1 + (opt >> 4) % 8);
  ec.contexts = kContexts;
  const uint8_t* rest = nullptr;
  size_t rest_len = 0;
  const std::vector<Bytes> frames =
      split_records(data + 2, size - 2, forge ? &rest : nullptr, forge ? &rest_len : nullptr);
  if (frames.empty()) return;
  std::vector<packet::Parsed> parsed(frames.size());
  std::vector<bool> valid(frames.size());
  for (size_t i = 0; i < frames.size(); ++i)
    valid[i] = packet::validate(frames[i].data(), static_cast<uint32_t>(frames[i].size()), {},
                                &parsed[i]) == packet::Verdict::kOk;

  const std::set<Bytes> given(frames.begin(), frames.end());
  Encoder enc(ec);
  Decoder dec(decoder_config());
  FlowSlots flows;
  Encoder::Burst out;
  std::vector<FrameIn> in(ec.max_burst);
  size_t forged = 0;
  for (size_t base = 0; base < frames.size(); base += ec.max_burst) {
    const size_t n = frames.size() - base < ec.max_burst ? frames.size() - base : ec.max_burst;
    for (size_t i = 0; i < n; ++i) {
      const Bytes& f = frames[base + i];
      bool fresh = false;
      const uint32_t slot =
          valid[base + i] ? flows.slot_of(parsed[base + i].key, fresh) : v2::kNoFlow;
      in[i] = {f.data(), static_cast<uint32_t>(f.size()),
               valid[base + i] ? &parsed[base + i] : nullptr, slot, fresh};
    }
    enc.encode_burst(std::span<const FrameIn>(in.data(), n), out);
    std::vector<size_t> carried;
    for (size_t i = 0; i < n; ++i)
      if (!out.bypass[i]) carried.push_back(base + i);
    size_t next = 0;
    for (uint16_t k = 0; k < out.npackets; ++k) {
      const Encoder::Packet& p = out.packets[k];
      DELTAPLANE_FUZZ_CHECK(p.len <= ec.max_payload);
      const Bytes packet(enc.arena() + p.offset, enc.arena() + p.offset + p.len);
      DELTAPLANE_FUZZ_CHECK(next + p.frames <= carried.size());
      Decoder::Result r;
      if (forge && forged + 3 <= rest_len) {
        // Three bytes per packet: where (two bytes, modulo the packet) and what to XOR.
        Bytes bad = packet;
        const size_t at = static_cast<size_t>(rest[forged] | rest[forged + 1] << 8) % bad.size();
        bad[at] = static_cast<uint8_t>(bad[at] ^ (rest[forged + 2] | 1));
        forged += 3;
        v2::seal(bad.data(), bad.size());
        dec.decode(bad, 1, r);
        check_result(r);
        for (unsigned j = 0; j < r.nframes; ++j)
          if (r.frames[j].status == Status::ok)
            DELTAPLANE_FUZZ_CHECK(given.count(bytes_of(r.frames[j])));
      }
      dec.decode(packet, 1, r);
      check_result(r);
      if (forge) {
        // After forgeries the stream may refuse packets or lose frames (or
        // emit again one it had), never emit a frame it was not given.
        for (unsigned j = 0; j < r.nframes; ++j)
          if (r.frames[j].status == Status::ok)
            DELTAPLANE_FUZZ_CHECK(given.count(bytes_of(r.frames[j])));
        next += p.frames;
        continue;
      }
      DELTAPLANE_FUZZ_CHECK(r.status == Status::ok);
      DELTAPLANE_FUZZ_CHECK(r.nframes == p.frames);
      for (unsigned j = 0; j < r.nframes; ++j) {
        const Decoder::Frame& f = r.frames[j];
        const Bytes& want = frames[carried[next + j]];
        DELTAPLANE_FUZZ_CHECK(f.status == Status::ok);
        DELTAPLANE_FUZZ_CHECK(f.size() == want.size());
        DELTAPLANE_FUZZ_CHECK(f.hdr_len == 0 || std::memcmp(f.hdr, want.data(), f.hdr_len) == 0);
        DELTAPLANE_FUZZ_CHECK(f.len == 0 ||
                              std::memcmp(f.data, want.data() + f.hdr_len, f.len) == 0);
      }
      next += p.frames;
    }
    DELTAPLANE_FUZZ_CHECK(next == carried.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  switch (data[0] % 3) {
    case 0: decode_payloads(data, size); break;
    case 1: round_trip(data, size, false); break;
    default: round_trip(data, size, true); break;
  }
  return 0;
}
