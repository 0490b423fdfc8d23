// Wire format v2 end to end (lib/codec/v2/encoder.hh, decoder.hh,
// replay.hh): every frame the encoder is given comes out of the decoder
// intact and in order, on synthetic traffic of every payload and size model
// (drivers/synth) at every level and both WAN MTUs, and on the shared
// captures; a hostile WAN costs frames but never alters one; streams stay
// apart; what is not a v2 packet, or a v2 packet crafted to pass its CRC, is
// refused with a status and never emitted altered. Bounds on bytes come
// from measurements (printed by the tests), with margin; nothing is timed.
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "codec/v2/decoder.hh"
#include "codec/v2/encoder.hh"
#include "codec/v2/format.hh"
#include "codec/v2/replay.hh"
#include "codec/v2/sequences.hh"
#include "codec/wire.hh"
#include "codec_test_util.hh"
#include "packet/checksum.hh"
#include "packet/validate.hh"
#include "synth/frame_source.hh"
#include "synth/traffic_spec.hh"

namespace deltaplane::codec::v2 {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr unsigned kStatusCount = static_cast<unsigned>(Status::stale) + 1;

// `frames` frames of a synthetic traffic spec ("flows=..,size=..,payload=..").
Trace synth(const std::string& spec, size_t frames) {
  const drivers::synth::FrameSource src(drivers::synth::parse_traffic_spec(spec), 0, 1);
  Bytes buf(src.max_frame());
  Trace t;
  auto c = src.cursor_at(0);
  for (size_t i = 0; i < frames; ++i, src.advance(c)) {
    const uint16_t len = src.build(c, buf.data());
    t.add({buf.data(), len});
  }
  EXPECT_EQ(t.frames.size(), frames) << spec << ": the validator dropped synthetic frames";
  return t;
}

// Synthetic frames whose payloads are fresh random bytes (the synthetic
// random model slices a finite pool, which a large history learns), L4
// checksums made right again.
Trace incompressible(const std::string& spec, size_t frames, uint64_t seed) {
  const Trace base = synth(spec, frames);
  std::mt19937_64 rng(seed);
  Trace t;
  for (size_t i = 0; i < base.frames.size(); ++i) {
    Bytes f = base.frames[i];
    const packet::Parsed& p = base.parsed[i];
    for (size_t k = p.payload_off; k < f.size(); ++k)
      f[k] = static_cast<uint8_t>(rng());
    const uint8_t proto = p.l4_proto();
    if (proto == 6 || proto == 17) {
      const size_t cs = p.l4_off + (proto == 6 ? 16u : 6u);
      f[cs] = f[cs + 1] = 0;
      const uint32_t l4_len = static_cast<uint32_t>(f.size() - p.l4_off);
      const uint16_t c = p.l3_type == packet::L3Type::kIpv4
                             ? packet::ipv4_l4_checksum(&f[p.l2_len], &f[p.l4_off], l4_len, proto)
                             : packet::ipv6_l4_checksum(&f[p.l2_len], &f[p.l4_off], l4_len, proto);
      std::memcpy(&f[cs], &c, 2);
    }
    t.add(f);
  }
  EXPECT_EQ(t.frames.size(), frames);
  return t;
}

// The synthetic mix the loss tests share (6000 frames, 300 flows).
const Trace& loss_trace() {
  static const Trace t = synth("flows=300,size=imix,payload=mix,ipv6=0.3,tcp=0.7,seed=11", 6000);
  return t;
}

ReplayOptions options(unsigned level, uint32_t max_payload) {
  ReplayOptions o;
  o.encoder.level = level_params(level);
  o.encoder.max_payload = max_payload;
  o.encoder.contexts = 4096;
  o.decoder.history = o.encoder.level.history;
  o.decoder.contexts = o.encoder.contexts;
  o.decoder.streams = 1;
  return o;
}

std::string describe(const ReplayResult& r) {
  char b[512];
  std::snprintf(
      b, sizeof b,
      "frames %llu emitted %llu altered %llu bypassed %llu packets %llu lost_on_wire %llu "
      "refused %llu collateral %llu wire %llu/%llu B (%.1f%%)",
      static_cast<unsigned long long>(r.frames), static_cast<unsigned long long>(r.emitted),
      static_cast<unsigned long long>(r.altered), static_cast<unsigned long long>(r.bypassed),
      static_cast<unsigned long long>(r.packets), static_cast<unsigned long long>(r.lost_on_wire),
      static_cast<unsigned long long>(r.packets_refused),
      static_cast<unsigned long long>(r.collateral()),
      static_cast<unsigned long long>(r.wire_bytes), static_cast<unsigned long long>(r.bytes),
      100.0 * static_cast<double>(r.wire_bytes) / static_cast<double>(r.bytes));
  std::string s = b;
  for (unsigned k = 1; k < kStatusCount; ++k)
    if (r.dropped[k])
      s += std::string(" ") + std::string(status_name(static_cast<Status>(k))) + "=" +
           std::to_string(r.dropped[k]);
  return s;
}

// ---- a direct harness: encoder and decoder driven here, not by replay() ----

// Tunnel payloads of a trace and the trace frames each one restores.
struct Encoded {
  std::vector<Bytes> packets;
  std::vector<std::vector<uint32_t>> frames;
  std::vector<uint32_t> bypassed;
  EncoderCounters counters;
};

Encoded encode_trace(const Trace& t, const EncoderConfig& c, uint16_t burst = 32) {
  Encoded e;
  Encoder enc(c);
  FlowSlots flows(c.contexts);
  std::vector<FrameIn> in(burst);
  Encoder::Burst out;
  for (size_t base = 0; base < t.frames.size(); base += burst) {
    const size_t n = std::min<size_t>(burst, t.frames.size() - base);
    for (size_t i = 0; i < n; ++i) {
      bool fresh = false;
      const uint32_t slot = flows.slot_of(t.parsed[base + i].key, fresh);
      in[i] = {t.frames[base + i].data(), static_cast<uint32_t>(t.frames[base + i].size()),
               &t.parsed[base + i], slot, fresh};
    }
    enc.encode_burst(std::span<const FrameIn>(in.data(), n), out);
    std::vector<uint32_t> carried;
    for (size_t i = 0; i < n; ++i)
      (out.bypass[i] ? e.bypassed : carried).push_back(static_cast<uint32_t>(base + i));
    size_t next = 0;
    for (uint16_t k = 0; k < out.npackets; ++k) {
      const Encoder::Packet& p = out.packets[k];
      EXPECT_LE(p.len, c.max_payload) << "a packet over the WAN MTU";
      e.packets.emplace_back(enc.arena() + p.offset, enc.arena() + p.offset + p.len);
      EXPECT_LE(next + p.frames, carried.size());
      if (next + p.frames > carried.size()) return e;
      e.frames.emplace_back(carried.begin() + static_cast<long>(next),
                            carried.begin() + static_cast<long>(next + p.frames));
      next += p.frames;
    }
    EXPECT_EQ(next, carried.size()) << "the packets of a burst restore all its carried frames";
  }
  e.counters = enc.counters();
  return e;
}

bool frame_equals(const Decoder::Frame& f, const Bytes& want) {
  return f.size() == want.size() &&
         (f.hdr_len == 0 || std::memcmp(f.hdr, want.data(), f.hdr_len) == 0) &&
         (f.len == 0 || std::memcmp(f.data, want.data() + f.hdr_len, f.len) == 0);
}

// Decodes one packet as `peer`; every frame must come back ok and equal.
void expect_restores(Decoder& dec, const Bytes& packet, const std::vector<uint32_t>& frames,
                     const Trace& t, uint32_t peer) {
  Decoder::Result r;
  dec.decode(packet, peer, r);
  ASSERT_EQ(r.status, Status::ok) << status_name(r.status);
  ASSERT_EQ(r.nframes, frames.size());
  for (unsigned k = 0; k < r.nframes; ++k) {
    ASSERT_EQ(r.frames[k].status, Status::ok)
        << "frame " << k << ": " << status_name(r.frames[k].status);
    ASSERT_TRUE(frame_equals(r.frames[k], t.frames[frames[k]])) << "frame " << k;
  }
}

// Statuses of a decode that may be hostile: all from the enum, and every
// frame emitted ok equal to the one the packet's original restores there.
void expect_sane(const Decoder::Result& r, const std::vector<uint32_t>* frames, const Trace* t,
                 uint64_t* emitted = nullptr) {
  ASSERT_LT(static_cast<unsigned>(r.status), kStatusCount);
  ASSERT_LE(r.nframes, kMaxRecords);
  if (r.status != Status::ok) {
    ASSERT_EQ(r.nframes, 0);
    return;
  }
  for (unsigned k = 0; k < r.nframes; ++k) {
    const Decoder::Frame& f = r.frames[k];
    ASSERT_LT(static_cast<unsigned>(f.status), kStatusCount);
    if (f.status != Status::ok) continue;
    ASSERT_TRUE(frames && t && k < frames->size()) << "an ok frame the original does not have";
    ASSERT_TRUE(frame_equals(f, t->frames[(*frames)[k]])) << "frame " << k << " emitted altered";
    if (emitted) ++*emitted;
  }
}

// ---- what the wire says ----

// Each frame of the stream's history as the packets lay it out: where it
// lies, the packet that carried it, and the earlier frames its matches copy
// from; read from the records and sequences (format.hh, sequences.hh), so
// the encoder's dependency rules can be checked on what it sent.
struct WireFrame {
  uint64_t start = 0, end = 0;
  size_t packet = 0;            // carrying it (a split frame: its head's; fragments: the last)
  std::vector<size_t> sources;  // indexes of the earlier frames it copies from
};
struct WireMap {
  std::vector<WireFrame> frames;                   // in history order
  std::vector<std::vector<int64_t>> result_frame;  // per packet, per frame restored: index or -1
  std::string error;                               // empty when the packets parse
};

WireMap map_wire(const std::vector<Bytes>& packets) {
  WireMap m;
  m.result_frame.resize(packets.size());
  uint64_t end = 0;
  int64_t split = -1;
  auto frame_at = [&](uint64_t pos) -> int64_t {
    auto it = std::upper_bound(m.frames.begin(), m.frames.end(), pos,
                               [](uint64_t x, const WireFrame& f) { return x < f.start; });
    if (it == m.frames.begin() || pos >= (it - 1)->end) return -1;
    return it - 1 - m.frames.begin();
  };
  auto fail = [&](const std::string& what, size_t k) {
    m.error = what + " (packet " + std::to_string(k) + ")";
    return m;
  };
  Bytes whole;  // a packet sent in fragments, put back together
  for (size_t k = 0; k < packets.size(); ++k) {
    const Bytes* pp = &packets[k];
    PacketHeader h;
    if (parse_packet_header(*pp, h) != Status::ok) return fail("packet header", k);
    if (h.flags & kFlagFragment) {  // the whole packet is its last fragment's
      if (h.fragment == 0) whole.clear();
      whole.insert(whole.end(), pp->begin() + kFragmentHeaderSize, pp->end());
      if (h.fragment + 1u < h.fragments) continue;
      pp = &whole;
      if (parse_packet_header(*pp, h) != Status::ok) return fail("fragmented packet", k);
    }
    const Bytes& p = *pp;
    const int32_t delta = static_cast<int32_t>(h.hpos - static_cast<uint32_t>(end));
    uint64_t cur = k == 0 ? h.hpos : end + static_cast<uint64_t>(static_cast<int64_t>(delta));
    const uint8_t* q = p.data() + kPacketHeaderSize;
    const uint8_t* const e = p.data() + p.size();
    for (unsigned i = 0; i < h.records; ++i) {
      if (q >= e) return fail("records", k);
      const uint8_t kind = *q++;
      uint32_t len = 0, body = 0, ctx = 0;
      if (kind & kRecContinue) {
        if (!get_varint(q, e, body)) return fail("continuation", k);
        q += body;
        cur += body;
        if (!(kind & kRecSplit)) m.result_frame[k].push_back(split);
        continue;
      }
      if (!get_varint(q, e, len) || e - q < 4) return fail("record length", k);
      q += 4;
      if ((kind & kModeMask) != 0 && !get_varint(q, e, ctx)) return fail("context", k);
      if ((kind & kModeMask) == static_cast<uint8_t>(HeaderMode::kCompressed))
        q += fields_size(q, e);
      body = len;  // raw: the body is the record's bytes; split and coded: body_len
      if (((kind & kRecRaw) == 0 || (kind & kRecSplit)) && !get_varint(q, e, body))
        return fail("body", k);
      if (body > static_cast<size_t>(e - q)) return fail("body", k);
      const uint8_t* const b = q;
      q += body;
      if (kind & kRecTransient) {
        m.result_frame[k].push_back(-1);
        continue;
      }
      WireFrame f{cur, cur + len, k, {}};
      if (!m.frames.empty() && f.start < m.frames.back().end) return fail("frames overlap", k);
      uint32_t at = 0;
      SequenceReader sq(b, b + body);
      bool bad = false;
      while (!(kind & kRecRaw) && sq.more(bad)) {
        uint32_t lits, match, dist;
        if (!sq.get(lits, match, dist)) return fail("sequence", k);
        at += lits;
        const uint64_t to = cur + at;
        if (dist > to) return fail("a match before the stream", k);
        const uint64_t src = to - dist;
        if (src < cur) {  // an earlier frame's bytes; else a run over this frame's own
          const int64_t sf = frame_at(src);
          if (sf < 0) return fail("a match outside every frame", k);
          const WireFrame& from = m.frames[static_cast<size_t>(sf)];
          if (src + match > from.end) return fail("a match across frames", k);
          if (std::find(f.sources.begin(), f.sources.end(), static_cast<size_t>(sf)) ==
              f.sources.end())
            f.sources.push_back(static_cast<size_t>(sf));
        }
        at += match;
      }
      if (bad) return fail("sequence padding", k);
      m.frames.push_back(f);
      if (kind & kRecSplit) {
        split = static_cast<int64_t>(m.frames.size() - 1);
        cur += body;
      } else {
        m.result_frame[k].push_back(static_cast<int64_t>(m.frames.size() - 1));
        cur += len;
      }
    }
    end = std::max(end, cur);
  }
  return m;
}

// Ancestors of every frame, as encoder.hh defines them: the other packets
// it depends on, directly or through the frames it copies from.
std::vector<std::vector<size_t>> ancestors_of(const WireMap& m) {
  std::vector<std::vector<size_t>> a(m.frames.size());
  for (size_t i = 0; i < m.frames.size(); ++i) {
    for (size_t s : m.frames[i].sources) {
      a[i].insert(a[i].end(), a[s].begin(), a[s].end());
      if (m.frames[s].packet != m.frames[i].packet) a[i].push_back(m.frames[s].packet);
    }
    std::sort(a[i].begin(), a[i].end());
    a[i].erase(std::unique(a[i].begin(), a[i].end()), a[i].end());
  }
  return a;
}

// ---- round trips of synthetic traffic ----

struct Scenario {
  std::string spec;
  size_t frames;
};

// Frame counts bounded so the whole file runs in well under a minute.
std::vector<Scenario> synthetic_scenarios() {
  std::vector<Scenario> v;
  for (const char* payload : {"records", "web", "mix", "random", "repeat", "fill"})
    for (const char* size : {"64", "512", "1500", "imix", "8000"}) {
      const bool jumbo = std::string(size) == "8000";
      const size_t frames = jumbo ? 150 : std::string(size) == "64" ? 2000 : 700;
      // Few flows (contexts used and refreshed) and many (slots reused).
      v.push_back(
          {std::string("flows=8,ipv6=0.5,tcp=0.5,seed=3,payload=") + payload + ",size=" + size,
           frames});
      v.push_back(
          {std::string("flows=3000,ipv6=0.3,tcp=0.7,seed=4,payload=") + payload + ",size=" + size,
           frames});
    }
  // Pure IPv4/IPv6 x TCP/UDP.
  for (const char* mix : {"ipv6=0,tcp=1", "ipv6=0,tcp=0", "ipv6=1,tcp=1", "ipv6=1,tcp=0"})
    v.push_back({std::string("flows=64,size=imix,payload=mix,seed=5,") + mix, 1500});
  return v;
}

TEST(V2Codec, SyntheticRoundTripEveryLevelAndMtu) {
  uint64_t replays = 0, frames = 0;
  for (const Scenario& s : synthetic_scenarios()) {
    const Trace t = synth(s.spec, s.frames);
    for (uint32_t mtu : {1472u, 8972u})
      for (unsigned level = 1; level <= kMaxLevel; ++level) {
        const ReplayResult r = replay(t, options(level, mtu));
        ++replays;
        frames += r.frames;
        ASSERT_EQ(r.altered, 0u) << s.spec << " mtu " << mtu << " level " << level << ": "
                                 << describe(r);
        ASSERT_EQ(r.emitted, r.frames)
            << s.spec << " mtu " << mtu << " level " << level << ": " << describe(r);
        ASSERT_EQ(r.frames, t.frames.size());
        ASSERT_EQ(r.packets_refused, 0u);
      }
  }
  std::printf("v2: %llu replays, %llu frames, all restored intact\n",
              static_cast<unsigned long long>(replays), static_cast<unsigned long long>(frames));
}

// Direct: the frames come out in the order they went in (bypassed ones
// excluded), at every level, with bursts of every size up to max_burst.
TEST(V2Codec, DirectRoundTripInOrder) {
  const Trace t = synth("flows=50,size=60-1500,payload=mix,ipv6=0.5,tcp=0.5,seed=6", 3000);
  for (unsigned level = 1; level <= kMaxLevel; ++level)
    for (uint16_t burst : {1, 7, 32}) {
      SCOPED_TRACE("level " + std::to_string(level) + " burst " + std::to_string(burst));
      EncoderConfig c;
      c.level = level_params(level);
      c.max_burst = 32;
      const Encoded e = encode_trace(t, c, burst);
      DecoderConfig dc;
      dc.history = c.level.history;
      Decoder dec(dc);
      std::vector<uint32_t> restored;
      for (size_t k = 0; k < e.packets.size(); ++k) {
        expect_restores(dec, e.packets[k], e.frames[k], t, 7);
        ASSERT_FALSE(HasFailure()) << "packet " << k;
        restored.insert(restored.end(), e.frames[k].begin(), e.frames[k].end());
      }
      std::vector<uint32_t> want;
      for (uint32_t i = 0; i < t.frames.size(); ++i)
        if (std::find(e.bypassed.begin(), e.bypassed.end(), i) == e.bypassed.end())
          want.push_back(i);
      EXPECT_EQ(restored, want);
      EXPECT_EQ(dec.counters().frames, want.size());
    }
}

// Edge frames: tiny (down to 1 byte), exactly kMaxSpan, longer than kMaxSpan
// (bypassed), unvalidated ones, and a burst of only such.
TEST(V2Codec, EdgeFrameSizes) {
  Trace t;
  std::mt19937_64 rng(12);
  std::vector<Bytes> frames;
  for (size_t len : {1, 2, 3, 4, 5, 13, 14, 15, 59, 60, 61, 1514, 1515, 9000, 65535, 65536}) {
    Bytes f = test::random_bytes(rng, len);
    frames.push_back(f);
  }
  // Unvalidated frames (parsed = null): coded whole.
  Encoded e;
  {
    EncoderConfig c;
    Encoder enc(c);
    std::vector<FrameIn> in;
    for (const Bytes& f : frames)
      in.push_back({f.data(), static_cast<uint32_t>(f.size()), nullptr, kNoFlow, false});
    Encoder::Burst out;
    enc.encode_burst(in, out);
    DecoderConfig dc;
    Decoder dec(dc);
    std::vector<size_t> carried;
    for (size_t i = 0; i < frames.size(); ++i)
      if (!out.bypass[i]) carried.push_back(i);
    size_t next = 0;
    for (uint16_t k = 0; k < out.npackets; ++k) {
      const Encoder::Packet& p = out.packets[k];
      Decoder::Result r;
      dec.decode({enc.arena() + p.offset, p.len}, 1, r);
      ASSERT_EQ(r.status, Status::ok) << "packet " << k << ": " << status_name(r.status);
      ASSERT_EQ(r.nframes, p.frames);
      for (unsigned j = 0; j < r.nframes; ++j) {
        ASSERT_LT(next, carried.size());
        EXPECT_EQ(r.frames[j].status, Status::ok) << "frame of " << frames[carried[next]].size()
                                                  << " B: " << status_name(r.frames[j].status);
        EXPECT_TRUE(frame_equals(r.frames[j], frames[carried[next]]))
            << "frame of " << frames[carried[next]].size() << " B";
        ++next;
      }
    }
    EXPECT_EQ(next, carried.size());
    for (size_t i = 0; i < frames.size(); ++i)
      if (frames[i].size() > kMaxSpan) {
        EXPECT_TRUE(out.bypass[i]) << frames[i].size() << " B cannot be carried";
      }
  }
}

// An empty frame: whatever the encoder does with it (bypass or a record),
// it must not cost the other frames of its packet.
TEST(V2Codec, EmptyFrameCostsNothing) {
  // Frames that compress well around it, so their packet pays and is sent.
  const Trace t = synth("flows=1,size=200,payload=fill,seed=8", 20);
  std::vector<FrameIn> in;
  Bytes empty(1);
  for (size_t i = 0; i < t.frames.size(); ++i) {
    in.push_back(
        {t.frames[i].data(), static_cast<uint32_t>(t.frames[i].size()), nullptr, kNoFlow, false});
    if (i == 9) in.push_back({empty.data(), 0, nullptr, kNoFlow, false});
  }
  EncoderConfig c;
  Encoder enc(c);
  Encoder::Burst out;
  enc.encode_burst(in, out);
  Decoder dec(DecoderConfig{});
  uint64_t ok = 0;
  for (uint16_t k = 0; k < out.npackets; ++k) {
    Decoder::Result r;
    const Encoder::Packet& p = out.packets[k];
    dec.decode({enc.arena() + p.offset, p.len}, 1, r);
    EXPECT_EQ(r.status, Status::ok) << status_name(r.status);
    for (unsigned j = 0; j < r.nframes; ++j)
      ok += r.frames[j].status == Status::ok;
  }
  uint64_t bypassed = 0;
  for (size_t i = 0; i < in.size(); ++i)
    bypassed += out.bypass[i] != 0;
  EXPECT_EQ(ok + bypassed, in.size()) << "frames restored or bypassed";
  EXPECT_LE(bypassed, 1u) << "the frames around it went in packets";
}

// ---- bytes on the wire ----

// Incompressible payloads: the encoder costs little more than sending the
// frames as they are. Frames that fit the WAN as they are (1500 bytes at a
// WAN MTU of 1500 included): raw + 1% + one tunnel packet's headers
// (measured: at most +0.76%, 8000-byte frames at 8972, each in a packet of
// its own to build the history). Frames too long for the WAN go split: a
// packet's headers per part (measured 378 B per 8000-byte frame at 1472,
// bound 6 parts x 68 B).
TEST(V2Codec, IncompressiblePayloadsCostLittleOverRaw) {
  for (const char* size : {"64", "512", "1500", "imix", "8000"})
    for (const char* flows : {"4", "3000"})
      for (uint32_t mtu : {1472u, 8972u}) {
        const uint32_t longest = std::string(size) == "8000"  ? 8000
                                 : std::string(size) == "64"  ? 64
                                 : std::string(size) == "512" ? 512
                                                              : 1500;
        const bool fits_as_is = longest <= mtu + 28 + 14;
        const std::string spec =
            std::string("payload=random,ipv6=0.5,tcp=0.5,seed=9,flows=") + flows + ",size=" + size;
        const Trace t = incompressible(spec, longest == 8000 ? 150 : 800, 9);
        for (unsigned level = 1; level <= kMaxLevel; ++level) {
          const ReplayResult r = replay(t, options(level, mtu));
          SCOPED_TRACE(spec + " mtu " + std::to_string(mtu) + " level " + std::to_string(level) +
                       ": " + describe(r));
          ASSERT_EQ(r.altered, 0u);
          ASSERT_EQ(r.emitted, r.frames);
          if (fits_as_is) {
            EXPECT_LE(r.wire_bytes, r.bytes + r.bytes / 100 + kOuterHeaders + kPacketHeaderSize);
          } else {
            const uint64_t parts = longest / (mtu - 64) + 1;
            EXPECT_LE(r.wire_bytes,
                      r.bytes + r.frames * parts * (kOuterHeaders + kPacketHeaderSize + 10));
          }
        }
      }
}

// Slowly changing records and the other redundant models compress: generous
// facts, not a benchmark. Measured at 1472 over 3000 frames of 200 flows,
// worst of sizes 512/1500/imix and levels 1-3 (level 1 the worst): records
// 13.4%, web 43.3%, mix 33.3%, repeat 36.0%, fill 20.1% of raw.
TEST(V2Codec, RedundantTrafficCompresses) {
  const std::pair<const char*, double> models[] = {
      {"records", 0.30}, {"web", 0.65}, {"mix", 0.55}, {"repeat", 0.55}, {"fill", 0.35}};
  for (const auto& [payload, bound] : models)
    for (const char* size : {"512", "1500", "imix"}) {
      const std::string spec =
          std::string("flows=200,ipv6=0.3,tcp=0.7,seed=10,payload=") + payload + ",size=" + size;
      const Trace t = synth(spec, 3000);
      for (unsigned level = 1; level <= kMaxLevel; ++level) {
        const ReplayResult r = replay(t, options(level, 1472));
        ASSERT_EQ(r.altered, 0u);
        ASSERT_EQ(r.emitted, r.frames);
        const double ratio = static_cast<double>(r.wire_bytes) / static_cast<double>(r.bytes);
        EXPECT_LT(ratio, bound) << spec << " level " << level << ": " << describe(r);
        std::printf("%-7s %-4s level %u: wire %5.1f%% of raw\n", payload, size, level, 100 * ratio);
      }
    }
}

// A packet that does not pay is taken back and its frames go as they are;
// the decoder never sees it, so the flows keep the contexts it holds: the
// next frames still go compressed, not as new contexts. Incompressible IMIX
// in few flows: the long frames are bypassed, the short ones carried.
TEST(V2Codec, ATakenBackPacketKeepsItsFlowsContexts) {
  const Trace t = incompressible("flows=4,size=imix,payload=random,tcp=1,seed=5", 2000, 5);
  const ReplayResult r = replay(t, options(1, 1472));
  SCOPED_TRACE(describe(r));
  ASSERT_EQ(r.altered, 0u);
  ASSERT_EQ(r.emitted, r.frames);
  const EncoderCounters& c = r.encoder;
  std::printf("bypassed %llu, compressed %llu, new contexts %llu\n",
              static_cast<unsigned long long>(c.bypass),
              static_cast<unsigned long long>(c.hdr_compressed),
              static_cast<unsigned long long>(c.hdr_new_context));
  EXPECT_GT(c.bypass, r.frames / 10) << "the trace should make packets that do not pay";
  // Contexts go out at each flow's start and refresh, twice each (measured:
  // 56; 136 when a taken-back packet cost its flows their contexts).
  const uint64_t refreshes = r.frames / EncoderConfig{}.refresh + 4;
  EXPECT_LE(c.hdr_new_context, 2 * refreshes);
}

// ---- frames too long for one packet: coded, in fragments ----

// Jumbo frames of slowly changing records at a 1500-byte WAN MTU: each goes
// coded in a packet of its own, cut into fragments, instead of raw in parts.
TEST(V2Codec, JumboFramesGoCodedInFragments) {
  const Trace t = synth("flows=8,size=8000,payload=web,tcp=1,seed=6", 150);
  for (unsigned level = 1; level <= kMaxLevel; ++level) {
    const ReplayResult r = replay(t, options(level, 1472));
    SCOPED_TRACE("level " + std::to_string(level) + ": " + describe(r));
    ASSERT_EQ(r.altered, 0u);
    ASSERT_EQ(r.emitted, r.frames);
    // Coded, in fragments (or, coded well enough, in one packet), hardly
    // ever raw in parts.
    EXPECT_GT(r.encoder.fragmented, 0u);
    EXPECT_LT(r.encoder.split, r.frames / 20);
    EXPECT_EQ(r.decoder.fragmented, r.encoder.fragmented);
    EXPECT_EQ(r.decoder.fragments_abandoned, 0u);
    // Raw parts would send every byte and more; measured 42% (level 1),
    // 34% (2), 9% (3).
    EXPECT_LT(r.wire_bytes, r.bytes * 6 / 10);
  }
}

// The fragments of each packet fed in order, in reverse, all twice, or one
// missing: the frame comes back intact (twice when sent twice), or not at all;
// and with each packet's first fragment ahead of the last of the one before.
TEST(V2Codec, FragmentsInAnyOrderDuplicatedOrMissing) {
  const Trace t = synth("flows=2,size=8000,payload=web,tcp=1,seed=7", 12);
  const Encoded e = encode_trace(t, EncoderConfig{});
  // Group the packets: each fragmented one is its fragments in a row.
  std::vector<std::vector<size_t>> groups;
  for (size_t k = 0; k < e.packets.size(); ++k) {
    const bool fragment = e.packets[k][3] & kFlagFragment;
    if (!fragment || groups.empty() || e.packets[k][10] == 0) groups.emplace_back();
    groups.back().push_back(k);
  }
  size_t fragmented = 0;
  for (const auto& g : groups)
    fragmented += g.size() > 1;
  ASSERT_GT(fragmented, 6u) << "the trace should make fragmented packets";
  for (int how = 0; how < 4; ++how) {
    SCOPED_TRACE(std::string("order ") + std::to_string(how));
    Decoder dec(DecoderConfig{});
    for (const auto& g : groups) {
      const std::vector<uint32_t>& frames = e.frames[g.back()];  // the last fragment's
      std::vector<size_t> order = g;
      if (how == 1) std::reverse(order.begin(), order.end());
      if (how == 2) order.insert(order.end(), g.begin(), g.end());   // every one twice
      if (how == 3 && g.size() > 1) order.erase(order.begin() + 1);  // one missing
      uint32_t restored = 0;
      for (size_t k : order) {
        Decoder::Result r;
        dec.decode(e.packets[k], 1, r);
        ASSERT_EQ(r.status, Status::ok) << status_name(r.status);
        if (how == 3) {
          for (unsigned i = 0; i < r.nframes; ++i)  // later frames may depend on the lost one
            if (r.frames[i].status == Status::ok) {
              ASSERT_TRUE(frame_equals(r.frames[i], t.frames[frames[i]]));
            }
          continue;
        }
        for (unsigned i = 0; i < r.nframes; ++i) {
          ASSERT_EQ(r.frames[i].status, Status::ok) << status_name(r.frames[i].status);
          ASSERT_TRUE(frame_equals(r.frames[i], t.frames[frames[i]]));
        }
        restored += r.nframes;
      }
      // A packet sent twice comes out twice, as the WAN gave it.
      if (how != 3) {
        EXPECT_EQ(restored, (how == 2 ? 2 : 1) * frames.size());
      }
    }
    if (how == 3) {
      EXPECT_GT(dec.counters().fragments_abandoned, 0u);
    }
  }
  // The first fragment of each packet overtakes the last of the one before
  // (the WAN swaps neighbours): every frame comes back, none given up.
  std::vector<size_t> order;
  for (const auto& g : groups)
    order.insert(order.end(), g.begin(), g.end());
  for (size_t k = 0; k + 1 < order.size(); ++k)
    if ((e.packets[order[k]][3] & kFlagFragment) && (e.packets[order[k + 1]][3] & kFlagFragment) &&
        e.packets[order[k + 1]][10] == 0) {
      std::swap(order[k], order[k + 1]);
      ++k;
    }
  Decoder dec(DecoderConfig{});
  uint32_t restored = 0;
  for (size_t k : order) {
    Decoder::Result r;
    dec.decode(e.packets[k], 1, r);
    ASSERT_EQ(r.status, Status::ok) << status_name(r.status);
    for (unsigned i = 0; i < r.nframes; ++i) {
      ASSERT_EQ(r.frames[i].status, Status::ok) << status_name(r.frames[i].status);
      ++restored;
    }
  }
  EXPECT_EQ(restored, t.frames.size() - e.bypassed.size());
  EXPECT_EQ(dec.counters().fragments_abandoned, 0u);
}

// Fragments whose fields disagree are refused (each resealed, so the CRC
// passes): a count under 2, an index past the count, a length that is not
// the stride, another flag beside kFlagFragment; and a whole packet that is
// itself a fragment.
TEST(V2Codec, MalformedFragmentsRefused) {
  const Trace t = synth("flows=1,size=8000,payload=web,tcp=1,seed=8", 2);
  const Encoded e = encode_trace(t, EncoderConfig{});
  ASSERT_TRUE(e.packets[0][3] & kFlagFragment);
  const Bytes& f = e.packets[0];
  auto refused = [&](Bytes p, Status want, const char* what) {
    seal(p.data(), p.size());
    Decoder dec(DecoderConfig{});
    Decoder::Result r;
    dec.decode(p, 1, r);
    EXPECT_EQ(r.status, want) << what << ": " << status_name(r.status);
    EXPECT_EQ(r.nframes, 0) << what;
  };
  Bytes p = f;
  p[11] = 1;
  refused(p, Status::bad_record, "one fragment");
  p = f;
  p[10] = p[11];
  refused(p, Status::bad_record, "index past the count");
  p = f;
  p.pop_back();
  refused(p, Status::bad_record, "shorter than the stride");
  p = f;
  p[3] |= kFlagHuffman;
  refused(p, Status::bad_flags, "another flag");
  p = f;
  p.resize(kFragmentHeaderSize);
  refused(p, Status::truncated, "no bytes");
  // A whole packet of two fragments whose bytes are a fragment themselves.
  const uint16_t total = static_cast<uint16_t>(f.size());
  Decoder dec(DecoderConfig{});
  for (uint8_t k = 0; k < 2; ++k) {
    PacketHeader h;
    h.stream = get_be16(f.data() + 4);
    h.hpos = 77;
    h.fragment = k;
    h.fragments = 2;
    h.total = total;
    const uint32_t off = h.fragment_offset(),
                   n = std::min<uint32_t>(h.fragment_stride(), total - off);
    Bytes q(kFragmentHeaderSize + n);
    write_fragment_header(q.data(), h);
    std::memcpy(q.data() + kFragmentHeaderSize, f.data() + off, n);
    seal(q.data(), q.size());
    Decoder::Result r;
    dec.decode(q, 1, r);
    EXPECT_EQ(r.status, k == 0 ? Status::ok : Status::bad_record) << status_name(r.status);
    EXPECT_EQ(r.nframes, 0);
  }
}

// ---- a hostile WAN ----

TEST(V2Codec, HostileWanNeverAlters) {
  const Trace mix = synth("flows=300,size=imix,payload=mix,ipv6=0.3,tcp=0.7,seed=11", 6000);
  struct Case {
    Wan wan;
    const char* name;
  };
  std::vector<Case> cases;
  for (uint64_t seed : {1, 2, 3}) {
    cases.push_back({{0.001, 0, 0, 0, seed}, "loss 0.1%"});
    cases.push_back({{0.01, 0, 0, 0, seed}, "loss 1%"});
    cases.push_back({{0.05, 0, 0, 0, seed}, "loss 5%"});
    cases.push_back({{0, 0, 0.05, 0, seed}, "reorder 5%"});
    cases.push_back({{0, 0.05, 0, 0, seed}, "duplicate 5%"});
    cases.push_back({{0, 0, 0, 0.02, seed}, "corrupt 2%"});
    cases.push_back({{0, 0, 0.05, 0.02, seed}, "reorder 5% corrupt 2%"});
    cases.push_back({{0.02, 0.02, 0.05, 0.01, seed}, "all"});
  }
  for (const Case& c : cases) {
    std::string line;
    for (unsigned level = 1; level <= kMaxLevel; ++level) {
      ReplayOptions o = options(level, 1472);
      o.wan = c.wan;
      const ReplayResult r = replay(mix, o);
      SCOPED_TRACE(std::string(c.name) + " seed " + std::to_string(c.wan.seed) + " level " +
                   std::to_string(level) + ": " + describe(r));
      EXPECT_EQ(r.altered, 0u);
      EXPECT_LE(r.emitted, r.frames);
      if (c.wan.loss == 0 && c.wan.corrupt == 0) {
        EXPECT_EQ(r.lost_on_wire, 0u);
      }
      if (c.wan.loss == 0 && c.wan.duplicate == 0 && c.wan.corrupt > 0) {
        // Every corrupted packet refused whole (CRC-32C catches any one-bit
        // error; a flip in the first bytes fails magic or version first).
        const uint64_t refused = r.dropped[static_cast<unsigned>(Status::bad_crc)] +
                                 r.dropped[static_cast<unsigned>(Status::bad_magic)] +
                                 r.dropped[static_cast<unsigned>(Status::bad_version)];
        EXPECT_EQ(refused, r.lost_on_wire);
        EXPECT_GT(r.lost_on_wire, 0u);
      }
      char b[96];
      std::snprintf(b, sizeof b, "  level %u: %4llu lost, %4llu more", level,
                    static_cast<unsigned long long>(r.lost_on_wire),
                    static_cast<unsigned long long>(r.collateral()));
      line += b;
    }
    std::printf("wan %-22s seed %llu:%s\n", c.name, static_cast<unsigned long long>(c.wan.seed),
                line.c_str());
  }
}

// A duplicated packet costs nothing: the copy decodes to the same bytes.
// A copy of a packet that begins with the last part of a split frame finds
// no split pending (the frame completed): it must not take the part for one
// whose head was lost and mark its bytes as a hole (it did: 4 to 22 frames
// lost after each such copy at level 1 on the mix, up to 174 at level 2).
// Each packet that begins with a continuation duplicated alone, then 5%
// duplicates through replay().
TEST(V2Codec, DuplicateOfASplitFramesLastPartCostsNothing) {
  const Trace& t = loss_trace();
  EncoderConfig c;
  c.contexts = 4096;
  const Encoded e = encode_trace(t, c);
  size_t continuations = 0;
  uint64_t lost = 0;
  for (size_t k = 0; k < e.packets.size(); ++k) {
    if (!(e.packets[k][kPacketHeaderSize] & kRecContinue)) continue;
    ++continuations;
    DecoderConfig dc;
    dc.contexts = c.contexts;
    dc.streams = 1;
    Decoder dec(dc);
    for (size_t j = 0; j < e.packets.size(); ++j) {
      Decoder::Result r;
      dec.decode(e.packets[j], 1, r);
      expect_sane(r, &e.frames[j], &t);
      for (unsigned f = 0; f < r.nframes; ++f)
        lost += r.frames[f].status != Status::ok;
      if (j == k) dec.decode(e.packets[j], 1, r);  // the copy
    }
  }
  ASSERT_GT(continuations, 3u);
  EXPECT_EQ(lost, 0u) << "frames lost after " << continuations
                      << " packets, each duplicated in its own run";
  for (uint64_t seed : {1, 2, 3}) {
    ReplayOptions o = options(1, 1472);
    o.wan.duplicate = 0.05;
    o.wan.seed = seed;
    const ReplayResult r = replay(loss_trace(), o);
    EXPECT_EQ(r.altered, 0u);
    EXPECT_EQ(r.collateral(), 0u) << "5% duplicates, seed " << seed << ": " << describe(r);
  }
}

// The encoder's dependency rules (encoder.hh), checked on what it sent:
// matches copy from one earlier frame each, a frame has at most
// max_ancestors frames of other packets among its ancestors (when limited),
// copies from at most max_sources frames of other packets, and at most
// max_uses frames of other packets copy from one frame.
TEST(V2Codec, DependencyRulesHoldOnTheWire) {
  for (const char* spec :
       {"flows=300,size=imix,payload=mix,ipv6=0.3,tcp=0.7,seed=11",
        "flows=40,size=1500,payload=records,seed=12", "flows=64,size=512,payload=web,seed=13"})
    for (unsigned level = 1; level <= kMaxLevel; ++level) {
      SCOPED_TRACE(std::string(spec) + " level " + std::to_string(level));
      const Trace t = synth(spec, 4000);
      EncoderConfig c;
      c.level = level_params(level);
      const Encoded e = encode_trace(t, c);
      const WireMap m = map_wire(e.packets);
      ASSERT_EQ(m.error, "");
      const auto anc = ancestors_of(m);
      std::vector<unsigned> uses(m.frames.size(), 0);
      size_t most_ancestors = 0, most_sources = 0;
      for (size_t i = 0; i < m.frames.size(); ++i) {
        size_t sources = 0;
        for (size_t s : m.frames[i].sources)
          if (m.frames[s].packet != m.frames[i].packet) ++sources, ++uses[s];
        EXPECT_LE(sources, c.level.max_sources) << "frame " << i;
        if (c.level.max_ancestors <= kTrackedAncestors) {
          EXPECT_LE(anc[i].size(), c.level.max_ancestors) << "frame " << i;
        }
        most_ancestors = std::max(most_ancestors, anc[i].size());
        most_sources = std::max(most_sources, sources);
      }
      for (size_t i = 0; i < uses.size(); ++i)
        EXPECT_LE(uses[i], c.level.max_uses) << "frame " << i;
      ASSERT_FALSE(HasFailure());
      std::printf(
          "rules: %-58s level %u: %zu frames, at most %zu ancestors, %zu sources, %u uses\n", spec,
          level, m.frames.size(), most_ancestors, most_sources,
          *std::max_element(uses.begin(), uses.end()));
    }
}

// One packet lost at a time (every third packet of the mix, levels with an
// ancestor limit), the others decoded in order: the decoder drops only what
// depends on the lost packet. Every frame dropped for missing_history has a
// source that was not restored, and those frames stay within max_ancestors
// per lost frame on average (encoder.hh). Context losses: below.
struct SingleLosses {
  uint64_t lost = 0, collateral = 0;
  uint64_t history_drops = 0, unexplained = 0, context_drops = 0;
  size_t worst_packet = 0;
  uint64_t worst_unexplained = 0;
};
SingleLosses single_losses(const Trace& t, unsigned level, size_t step) {
  EncoderConfig c;
  c.level = level_params(level);
  c.contexts = 4096;
  const Encoded e = encode_trace(t, c);
  const WireMap m = map_wire(e.packets);
  EXPECT_EQ(m.error, "");
  SingleLosses s;
  for (size_t k = 1; k < e.packets.size(); k += step) {
    DecoderConfig dc;
    dc.history = c.level.history;
    dc.contexts = c.contexts;
    dc.streams = 1;
    Decoder dec(dc);
    std::vector<char> restored(m.frames.size(), 0);
    uint64_t unexplained = 0;
    s.lost += e.frames[k].size();
    for (size_t j = 0; j < e.packets.size(); ++j) {
      if (j == k) continue;
      Decoder::Result r;
      dec.decode(e.packets[j], 1, r);
      EXPECT_EQ(r.status, Status::ok);
      for (unsigned f = 0; f < r.nframes; ++f) {
        const int64_t w = f < m.result_frame[j].size() ? m.result_frame[j][f] : -1;
        const Status st = r.frames[f].status;
        if (st == Status::ok) {
          if (w >= 0) restored[static_cast<size_t>(w)] = 1;
          continue;
        }
        // A split frame whose head went with the lost packet is lost on the wire.
        if (w >= 0 && m.frames[static_cast<size_t>(w)].packet == k) continue;
        ++s.collateral;
        if (st == Status::missing_context) ++s.context_drops;
        if (st != Status::missing_history || w < 0) continue;
        ++s.history_drops;
        const auto& src = m.frames[static_cast<size_t>(w)].sources;
        if (std::all_of(src.begin(), src.end(), [&](size_t x) { return restored[x] != 0; }))
          ++unexplained;
      }
    }
    s.unexplained += unexplained;
    if (unexplained > s.worst_unexplained) s.worst_unexplained = unexplained, s.worst_packet = k;
  }
  std::printf(
      "single losses level %u: %llu frames lost, collateral %llu (%.2fx); missing_history "
      "%llu, of which with every source restored %llu (worst %llu, packet %zu); "
      "missing_context %llu\n",
      level, static_cast<unsigned long long>(s.lost), static_cast<unsigned long long>(s.collateral),
      static_cast<double>(s.collateral) / static_cast<double>(s.lost),
      static_cast<unsigned long long>(s.history_drops),
      static_cast<unsigned long long>(s.unexplained),
      static_cast<unsigned long long>(s.worst_unexplained), s.worst_packet,
      static_cast<unsigned long long>(s.context_drops));
  return s;
}

const SingleLosses& single_losses_at(unsigned level) {
  static std::map<unsigned, SingleLosses> done;
  auto it = done.find(level);
  if (it == done.end()) it = done.emplace(level, single_losses(loss_trace(), level, 3)).first;
  return it->second;
}

TEST(V2Codec, SingleLossesCostOnlyDependents) {
  for (unsigned level = 1; level <= kMaxLevel; ++level) {
    if (level_params(level).max_ancestors > kTrackedAncestors) continue;  // no limit: no claim
    const SingleLosses& s = single_losses_at(level);
    EXPECT_EQ(s.unexplained, 0u) << "level " << level
                                 << ": frames dropped for missing history whose sources were all "
                                    "restored (worst: packet "
                                 << s.worst_packet << " lost alone)";
    EXPECT_LE(s.collateral - s.context_drops, s.lost * level_params(level).max_ancestors)
        << "level " << level;
  }
}

// The same single losses: no flow may lose its context to one lost packet
// (a new context goes out in context_packets = 2 packets before it is
// used), and all the frames lost beyond the packet's own, context ones
// included, stay within max_ancestors per lost frame (encoder.hh).
// (It failed at level 2 while a frame split over several packets counted
// only its first as an ancestor: a second context copy could copy from it
// and be lost with a later part.)
TEST(V2Codec, OneLostPacketNeverCostsAFlowContext) {
  for (unsigned level = 1; level <= kMaxLevel; ++level) {
    if (level_params(level).max_ancestors > kTrackedAncestors) continue;
    const SingleLosses& s = single_losses_at(level);
    EXPECT_EQ(s.context_drops, 0u) << "level " << level << ": frames dropped for missing_context";
    EXPECT_LE(s.collateral, s.lost * level_params(level).max_ancestors) << "level " << level;
  }
}

// 1% loss on the synthetic mix, ten seeds: collateral within twice
// max_ancestors per lost frame overall (levels with a limit; level 3 has
// none: printed only). Never an altered frame. Measured: level 1 1.19x
// (0 to 3.3x by seed), level 2 0.80x, level 3 28x (0 to 294x by seed).
TEST(V2Codec, CollateralAtOnePercentLoss) {
  for (unsigned level = 1; level <= kMaxLevel; ++level) {
    uint64_t lost = 0, collateral = 0;
    std::string seeds;
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      ReplayOptions o = options(level, 1472);
      o.wan.loss = 0.01;
      o.wan.seed = seed;
      const ReplayResult r = replay(loss_trace(), o);
      ASSERT_EQ(r.altered, 0u) << describe(r);
      lost += r.lost_on_wire;
      collateral += r.collateral();
      char b[32];
      std::snprintf(b, sizeof b, " %.1f",
                    r.lost_on_wire
                        ? static_cast<double>(r.collateral()) / static_cast<double>(r.lost_on_wire)
                        : 0.0);
      seeds += b;
    }
    const double multiple = static_cast<double>(collateral) / static_cast<double>(lost);
    std::printf("loss 1%% level %u: %llu lost, collateral %llu (%.2fx; by seed%s)\n", level,
                static_cast<unsigned long long>(lost), static_cast<unsigned long long>(collateral),
                multiple, seeds.c_str());
    const unsigned limit = level_params(level).max_ancestors;
    if (limit <= kTrackedAncestors) {
      EXPECT_LE(multiple, 2.0 * limit) << "level " << level;
    }
  }
}

// Slowly changing records copy their flow's previous payload, and inherit
// its dependencies. At 1% loss over 10 seeds, level 1 holds the bound
// (2x the frames lost on the wire) on these records at both MTUs. Level 2 is
// printed, not asserted: on this trace it is over 2x (2.6-2.8x over 40 seeds,
// with or without Level::ref_ancestors; 0.7-3.3x between sets of 10 seeds),
// which docs/performance.md reports. Every flow here carries the same text,
// so frames copy other flows' recent frames, up to max_ancestors (5) deep.
TEST(V2Codec, RecordsCollateralAtOnePercentLoss) {
  const Trace t = synth("flows=40,size=200-1400,payload=records,tcp=0.5,seed=7", 4000);
  for (unsigned level = 1; level <= 2; ++level)
    for (const uint32_t max_payload : {1472u, 8972u}) {
      uint64_t lost = 0, collateral = 0;
      for (uint64_t seed = 1; seed <= 10; ++seed) {
        ReplayOptions o = options(level, max_payload);
        o.wan.loss = 0.01;
        o.wan.seed = seed;
        const ReplayResult r = replay(t, o);
        ASSERT_EQ(r.altered, 0u) << describe(r);
        lost += r.lost_on_wire;
        collateral += r.collateral();
      }
      const double multiple = static_cast<double>(collateral) / static_cast<double>(lost);
      std::printf("records, loss 1%% level %u payload %u: %llu lost, collateral %llu (%.2fx)\n",
                  level, max_payload, static_cast<unsigned long long>(lost),
                  static_cast<unsigned long long>(collateral), multiple);
      ASSERT_GT(lost, 0u);
      if (level == 1) {
        EXPECT_LE(multiple, 2.0) << "payload " << max_payload;
      }
    }
}

// ---- streams ----

// Two encoders (two stream ids, or one id from two peers) interleaved into
// one decoder: each stream decodes as if alone.
TEST(V2Codec, StreamsStayApart) {
  const Trace a = synth("flows=20,size=imix,payload=records,seed=21", 1500);
  const Trace b = synth("flows=20,size=imix,payload=web,seed=22", 1500);
  struct Setup {
    uint16_t stream_a, stream_b;
    uint32_t peer_a, peer_b;
  };
  for (const Setup s :
       {Setup{0x0101, 0x0102, 5, 5}, Setup{0x0100, 0x0100, 5, 6}, Setup{0x0100, 0x0200, 5, 6}}) {
    EncoderConfig ca, cb;
    ca.stream = s.stream_a;
    cb.stream = s.stream_b;
    const Encoded ea = encode_trace(a, ca), eb = encode_trace(b, cb);
    Decoder dec(DecoderConfig{});
    std::mt19937_64 rng(s.stream_a ^ s.peer_b);
    size_t i = 0, j = 0;
    while (i < ea.packets.size() || j < eb.packets.size()) {
      if (j == eb.packets.size() || (i < ea.packets.size() && rng() % 2)) {
        expect_restores(dec, ea.packets[i], ea.frames[i], a, s.peer_a);
        ++i;
      } else {
        expect_restores(dec, eb.packets[j], eb.frames[j], b, s.peer_b);
        ++j;
      }
      ASSERT_FALSE(HasFailure()) << "stream " << s.stream_a << "/" << s.stream_b << " peers "
                                 << s.peer_a << "/" << s.peer_b << " at " << i << ", " << j;
    }
    EXPECT_EQ(dec.counters().streams_evicted, 0u);
  }
}

// More streams than the decoder holds: the least recently used go; their
// packets then lose frames but none is emitted altered.
TEST(V2Codec, EvictedStreamsLoseFramesNeverAlter) {
  std::vector<Trace> traces;
  std::vector<Encoded> enc;
  for (uint16_t k = 0; k < 3; ++k) {
    traces.push_back(
        synth("flows=10,size=imix,payload=records,seed=" + std::to_string(30 + k), 800));
    EncoderConfig c;
    c.stream = static_cast<uint16_t>(0x100 + k);
    enc.push_back(encode_trace(traces.back(), c));
  }
  DecoderConfig dc;
  dc.streams = 2;
  Decoder dec(dc);
  std::mt19937_64 rng(4);
  std::vector<size_t> next(3, 0);
  uint64_t emitted = 0;
  for (;;) {
    std::vector<unsigned> live;
    for (unsigned k = 0; k < 3; ++k)
      if (next[k] < enc[k].packets.size()) live.push_back(k);
    if (live.empty()) break;
    const unsigned k = live[rng() % live.size()];
    Decoder::Result r;
    dec.decode(enc[k].packets[next[k]], 9, r);
    expect_sane(r, &enc[k].frames[next[k]], &traces[k], &emitted);
    ASSERT_FALSE(HasFailure());
    ++next[k];
  }
  EXPECT_GT(dec.counters().streams_evicted, 0u);
  EXPECT_GT(emitted, 0u);
}

// A stream whose history is larger than the decoder's: refused whole.
TEST(V2Codec, SmallerDecoderHistoryRefuses) {
  const Trace t = synth("flows=10,size=imix,payload=records,seed=40", 300);
  for (unsigned level = 2; level <= kMaxLevel; ++level) {
    EncoderConfig c;
    c.level = level_params(level);
    const Encoded e = encode_trace(t, c);
    DecoderConfig dc;
    dc.history = c.level.history / 2;
    Decoder dec(dc);
    for (const Bytes& p : e.packets) {
      Decoder::Result r;
      dec.decode(p, 1, r);
      ASSERT_EQ(r.status, Status::history_too_large);
      ASSERT_EQ(r.nframes, 0);
    }
  }
}

// A packet that comes back after the history moved on by more than the
// window (a late duplicate, a long reordering) is refused as stale
// (format.hh) and changes nothing: the packets after it decode as they do
// without it (not taken for an encoder that started over).
TEST(V2Codec, LatePacketBeyondTheWindowIsStale) {
  const Trace t = synth("flows=16,size=1500,payload=records,seed=41", 2500);  // 3.75 MB
  EncoderConfig c;  // level 1: 1 MiB of history
  const Encoded e = encode_trace(t, c);
  ASSERT_GT(e.packets.size(), 40u);
  const size_t late_at = e.packets.size() / 2;
  auto run = [&](bool with_late, Status& late_status) {
    Decoder dec(DecoderConfig{});
    uint64_t emitted = 0;
    for (size_t k = 0; k < e.packets.size(); ++k) {
      Decoder::Result r;
      if (k == late_at && with_late) {
        dec.decode(e.packets[1], 1, r);
        late_status = r.status;
        expect_sane(r, &e.frames[1], &t);
      }
      if (k == 1) continue;  // it comes late, or never
      dec.decode(e.packets[k], 1, r);
      expect_sane(r, &e.frames[k], &t, k > late_at ? &emitted : nullptr);
    }
    return emitted;
  };
  Status late = Status::ok, unused = Status::ok;
  const uint64_t without = run(false, unused);
  const uint64_t with = run(true, late);
  EXPECT_EQ(late, Status::stale) << status_name(late);
  EXPECT_EQ(with, without) << "frames restored after the late packet";
}

// A packet older than the last packet but within the window (reordered)
// decodes; one whose bytes the history already overwrote cannot: neither
// is ever emitted altered.
TEST(V2Codec, LatePacketsWithinTheWindowDecode) {
  const Trace t = synth("flows=16,size=1000,payload=records,seed=42", 400);
  EncoderConfig c;
  const Encoded e = encode_trace(t, c);
  ASSERT_GT(e.packets.size(), 10u);
  Decoder dec(DecoderConfig{});
  for (size_t k = 0; k < e.packets.size(); ++k) {
    if (k == 3) continue;
    Decoder::Result r;
    dec.decode(e.packets[k], 1, r);
    expect_sane(r, &e.frames[k], &t);
    if (k == 6) {  // packet 3, three packets late
      dec.decode(e.packets[3], 1, r);
      EXPECT_EQ(r.status, Status::ok);
      expect_sane(r, &e.frames[3], &t);
    }
  }
}

// ---- what is not a v2 packet ----

TEST(V2Codec, NonTunnelInputRefused) {
  Decoder dec(DecoderConfig{});
  std::mt19937_64 rng(50);
  Decoder::Result r;
  for (int iter = 0; iter < 20000; ++iter) {
    const Bytes junk = test::random_bytes(rng, rng() % (iter % 10 ? 64 : 3000));
    dec.decode(junk, static_cast<uint32_t>(rng()), r);
    ASSERT_NE(r.status, Status::ok);
    expect_sane(r, nullptr, nullptr);
  }
  dec.decode({}, 1, r);
  EXPECT_EQ(r.status, Status::truncated);
  // Version 1 messages: the same magic, another version.
  Bytes v1(codec::kHeaderSize + 100);
  codec::Header h;
  h.type = codec::MessageType::raw;
  h.frame_len = 100;
  h.body_len = 100;
  ASSERT_EQ(codec::write_header(v1, h), codec::kHeaderSize);
  dec.decode(v1, 1, r);
  EXPECT_EQ(r.status, Status::bad_version);
  // A whole v1 tunnel packet (outer headers first): not a payload at all.
  Bytes with_outer(codec::kOuterSize);
  with_outer.insert(with_outer.end(), v1.begin(), v1.end());
  dec.decode(with_outer, 1, r);
  EXPECT_NE(r.status, Status::ok);
  // A v2 header with a good CRC but nothing else right.
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes p = test::random_bytes(rng, kPacketHeaderSize + rng() % 200);
    PacketHeader ph;
    ph.flags = static_cast<uint8_t>(rng() % 2 ? rng() : rng() % 2);
    ph.stream = static_cast<uint16_t>(rng() % 4);
    ph.hpos = static_cast<uint32_t>(rng());
    ph.records = static_cast<uint8_t>(rng() % 40);
    write_packet_header(p.data(), ph);
    seal(p.data(), p.size());
    dec.decode(p, static_cast<uint32_t>(rng() % 3), r);
    expect_sane(r, nullptr, nullptr);
    ASSERT_FALSE(HasFailure());
  }
}

// Valid packets with one byte changed and the CRC sealed again (what the
// CRC cannot catch): no crash, statuses from the enum, and no frame emitted
// that differs from the original's. The original follows each forgery, so
// the stream goes on (the forgeries may cost it frames). Header bytes that
// move the stream (id, the high bytes of the position) are left to
// ForgedPositionNeverAlters: one such forgery takes the stream elsewhere.
TEST(V2Codec, CraftedPacketsNeverEmitAlteredFrames) {
  struct Case {
    std::string spec;
    size_t frames;
    unsigned level;
    uint32_t mtu;
  };
  const Case cases[] = {
      {"flows=12,size=imix,payload=records,ipv6=0.5,tcp=0.7,seed=60", 700, 1, 1472},
      {"flows=12,size=imix,payload=web,ipv6=0.5,tcp=0.5,seed=61", 700, 2, 1472},
      {"flows=30,size=64,payload=mix,ipv6=0.5,tcp=0.5,seed=62", 1500, 3, 1472},
      {"flows=4,size=8000,payload=records,seed=63", 40, 1, 1472},
      {"flows=6,size=imix,payload=repeat,seed=64", 800, 1, 8972},
  };
  static constexpr size_t kHeaderBytes[] = {0, 1, 2, 3, 9, 10, 11};  // magic, version, flags,
                                                                     // position's low byte, records
  uint64_t forgeries = 0, emitted = 0, by_status[kStatusCount] = {};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec);
    const Trace t = synth(c.spec, c.frames);
    EncoderConfig ec;
    ec.level = level_params(c.level);
    ec.max_payload = c.mtu;
    const Encoded e = encode_trace(t, ec);
    DecoderConfig dc;
    dc.history = ec.level.history;
    Decoder dec(dc);
    std::mt19937_64 rng(c.level * 1000 + c.mtu);
    for (size_t k = 0; k < e.packets.size(); ++k) {
      const Bytes& orig = e.packets[k];
      for (int n = 0; n < 12; ++n) {
        Bytes p = orig;
        const size_t at = n % 4 == 0 ? kHeaderBytes[rng() % std::size(kHeaderBytes)]
                                     : kPacketHeaderSize + rng() % (p.size() - kPacketHeaderSize);
        p[at] = static_cast<uint8_t>(p[at] ^ (1 + rng() % 255));
        seal(p.data(), p.size());
        Decoder::Result r;
        dec.decode(p, 1, r);
        ++forgeries;
        ++by_status[static_cast<unsigned>(r.status) % kStatusCount];
        expect_sane(r, &e.frames[k], &t, &emitted);
        ASSERT_FALSE(HasFailure()) << "packet " << k << " byte " << at;
      }
      Decoder::Result r;
      dec.decode(orig, 1, r);
      expect_sane(r, &e.frames[k], &t);
      ASSERT_FALSE(HasFailure()) << "packet " << k << " itself after its forgeries";
    }
  }
  std::string s;
  for (unsigned k = 0; k < kStatusCount; ++k)
    if (by_status[k])
      s += " " + std::string(status_name(static_cast<Status>(k))) + "=" +
           std::to_string(by_status[k]);
  std::printf("crafted: %llu forgeries, %llu frames of them emitted (all intact); packets:%s\n",
              static_cast<unsigned long long>(forgeries), static_cast<unsigned long long>(emitted),
              s.c_str());
  EXPECT_GT(by_status[static_cast<unsigned>(Status::ok)], forgeries / 10)
      << "the forgeries reach the records";
}

// Forged stream ids and positions (CRC sealed): whatever the decoder makes
// of them, later packets never come out altered.
TEST(V2Codec, ForgedPositionNeverAlters) {
  const Trace t = synth("flows=12,size=imix,payload=records,seed=65", 1500);
  const Encoded e = encode_trace(t, EncoderConfig{});
  std::mt19937_64 rng(66);
  uint64_t emitted = 0;
  for (size_t at : {4, 5, 6, 7, 8}) {
    Decoder dec(DecoderConfig{});
    for (size_t k = 0; k < e.packets.size(); ++k) {
      if (k % 25 == 5) {
        Bytes p = e.packets[k];
        p[at] = static_cast<uint8_t>(p[at] ^ (1 + rng() % 255));
        seal(p.data(), p.size());
        Decoder::Result r;
        dec.decode(p, 1, r);
        expect_sane(r, &e.frames[k], &t);
      }
      Decoder::Result r;
      dec.decode(e.packets[k], 1, r);
      expect_sane(r, &e.frames[k], &t, &emitted);
      ASSERT_FALSE(HasFailure()) << "byte " << at << " packet " << k;
    }
  }
  EXPECT_GT(emitted, 0u);
}

// Trace::load with Links::kConvert gives null/loopback captures (link type
// 0, DLT_NULL) an Ethernet header (replay.hh). It used to refuse them ("link
// type 0 carries no Ethernet or IP frames"), probing the link type by
// reading past a 1-byte array (ASan: global-buffer-overflow in ip_of);
// ../shared/pcaps/real/redis-pubsub.pcap is such a capture. Written here.
TEST(V2Codec, TraceLoadConvertsNullLinkCaptures) {
  const Trace eth = synth("flows=2,size=200,payload=records,seed=70", 3);
  std::vector<uint8_t> file;
  auto put32 = [&](uint32_t v) {
    for (int k = 0; k < 4; ++k)
      file.push_back(static_cast<uint8_t>(v >> (8 * k)));
  };
  put32(0xa1b2c3d4);    // little-endian pcap, microseconds
  put32(2 | 4u << 16);  // version 2.4
  put32(0);
  put32(0);
  put32(65535);
  put32(0);  // DLT_NULL
  for (const Bytes& f : eth.frames) {
    const uint32_t len = static_cast<uint32_t>(f.size() - 14 + 4);
    put32(1);
    put32(0);
    put32(len);
    put32(len);
    put32(2);  // AF_INET, host order
    file.insert(file.end(), f.begin() + 14, f.end());
  }
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("deltaplane_v2_null_" + std::to_string(::getpid()) + ".pcap");
  {
    std::FILE* out = std::fopen(path.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    ASSERT_EQ(std::fwrite(file.data(), 1, file.size(), out), file.size());
    std::fclose(out);
  }
  Trace t;
  const std::string err = t.load(path.string(), Trace::Links::kConvert);
  std::filesystem::remove(path);
  EXPECT_EQ(err, "");
  ASSERT_EQ(t.frames.size(), eth.frames.size());
  for (size_t i = 0; i < t.frames.size(); ++i)
    EXPECT_TRUE(std::equal(t.frames[i].begin() + 14, t.frames[i].end(), eth.frames[i].begin() + 14,
                           eth.frames[i].end()))
        << "frame " << i << ": the IP packet behind the Ethernet header given";
}

// ---- the shared captures ----

TEST(V2Codec, CapturesRoundTrip) {
  const std::filesystem::path dir = test::pcap_dir();
  if (!std::filesystem::is_directory(dir))
    GTEST_SKIP() << "needs the captures of " << dir << " (DELTAPLANE_SHARED)";
  std::vector<std::filesystem::path> paths;
  for (const auto& sub : {dir, dir / "real"}) {
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(sub, ec)) {
      const auto ext = f.path().extension();
      if (ext == ".pcap" || ext == ".pcapng") paths.push_back(f.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  ASSERT_FALSE(paths.empty());
  uint64_t frames = 0, bytes = 0, wire = 0;
  for (const auto& path : paths) {
    for (Trace::Links links : {Trace::Links::kAsNetPcap, Trace::Links::kConvert}) {
      Trace t;
      const std::string err = t.load(path.string(), links);
      if (!err.empty()) continue;  // a link type kConvert does not carry
      for (uint32_t mtu : {1472u, 8972u}) {
        ReplayOptions o = options(1, mtu);
        o.encoder.contexts = 16384;
        o.decoder.contexts = 16384;
        const ReplayResult r = replay(t, o);
        EXPECT_EQ(r.altered, 0u) << path << " mtu " << mtu << ": " << describe(r);
        EXPECT_EQ(r.emitted, r.frames) << path << " mtu " << mtu << ": " << describe(r);
        frames += r.frames;
        bytes += r.bytes;
        wire += r.wire_bytes;
      }
    }
  }
  std::printf("captures: %zu files, %llu frames, wire %.1f%% of raw\n", paths.size(),
              static_cast<unsigned long long>(frames),
              100.0 * static_cast<double>(wire) / static_cast<double>(bytes ? bytes : 1));
}

}  // namespace
}  // namespace deltaplane::codec::v2
