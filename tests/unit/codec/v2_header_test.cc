// Header compression of wire format v2 (lib/codec/v2/header_coding.hh) on
// frames built with tests/unit/packet/frame_builder.hh: layouts, static
// images, and fields blocks that rebuild every header byte for byte (lengths
// and checksums derived or sent) against any reference the W-LSB window
// promises: the last frame of any of the last kWindow packets of the flow.
// Blocks and headers handed to the decoder are exact-size heap vectors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../packet/frame_builder.hh"
#include "codec/v2/header_coding.hh"
#include "packet/checksum.hh"
#include "packet/validate.hh"

namespace deltaplane::codec::v2 {
namespace {

using packet::testing::Bytes;
using packet::testing::FrameSpec;
using packet::testing::L3;

// The fields block's first two bytes, as header_coding.cc lays them out
// (byte 0: W-LSB fields present, IP checksum sent, lengths sent; byte 1: L4
// checksum mode, fields sent whole). Used to build malformed blocks.
constexpr uint8_t kHasIpid = 1, kHasTsval = 8;
constexpr uint8_t kIpChecksumRaw = 64;
constexpr uint8_t kL4Raw = 2, kL4Invalid = 3;
constexpr uint8_t kIpFlags = 16, kTcpFlags = 32;

// One flow's frame shape.
struct Shape {
  L3 l3 = L3::kIpv4;
  uint8_t proto = packet::kProtoTcp;
  unsigned vlans = 0;
  bool timestamps = false;  // TCP: NOP NOP TS (12 option bytes)
  bool mss = false;         // TCP: MSS + SACK permitted before the timestamps
  uint32_t seed = 1;
  std::string name() const {
    std::string n = l3 == L3::kIpv4 ? "ipv4" : "ipv6";
    n += proto == packet::kProtoTcp ? "/tcp" : "/udp";
    if (vlans) n += "/vlan" + std::to_string(vlans);
    if (timestamps) n += "/ts";
    if (mss) n += "/mss";
    return n;
  }
};

// A frame of a flow with its offsets, and setters for the dynamic fields
// (fix() makes lengths and checksums right again).
struct Frame {
  Bytes b;
  Shape shape;
  size_t l3 = 0, l4 = 0, hdr = 0, ts = 0;  // ts: offset of TSval, 0 if none

  static Frame make(const Shape& s, uint32_t payload, std::mt19937_64& rng) {
    FrameSpec spec;
    spec.l3 = s.l3;
    spec.proto = s.proto;
    spec.payload = payload;
    spec.pad_to = 0;
    spec.seed = s.seed;
    for (unsigned v = 0; v < s.vlans; ++v)
      spec.vlans.push_back({v + 1 < s.vlans ? packet::kEtherTypeQinq : packet::kEtherTypeVlan,
                            static_cast<uint16_t>(100 + v)});
    if (s.proto == packet::kProtoTcp)
      spec.tcp_option_bytes = (s.timestamps ? 12 : 0) + (s.mss ? 8 : 0);
    Frame f;
    f.b = packet::testing::build_frame(spec);
    f.shape = s;
    f.l3 = 14 + 4 * s.vlans;
    f.l4 = f.l3 + (s.l3 == L3::kIpv4 ? 20 : 40);
    f.hdr = f.l4 + (s.proto == packet::kProtoTcp ? 20 + spec.tcp_option_bytes : 8);
    size_t o = f.l4 + 20;
    if (s.proto == packet::kProtoTcp && s.mss) {
      const uint8_t mss[8] = {2, 4, 0x05, 0xb4, 4, 2, 1, 1};  // MSS 1460, SACK permitted, NOP NOP
      std::memcpy(&f.b[o], mss, 8);
      o += 8;
    }
    if (s.proto == packet::kProtoTcp && s.timestamps) {
      const uint8_t ts[4] = {1, 1, 8, 10};
      std::memcpy(&f.b[o], ts, 4);
      f.ts = o + 4;
    }
    for (size_t k = f.hdr; k < f.b.size(); ++k)
      f.b[k] = static_cast<uint8_t>(rng());
    f.fix();
    return f;
  }
  void put16(size_t off, uint16_t v) { packet::testing::put16(b, off, v); }
  void put32(size_t off, uint32_t v) {
    put16(off, static_cast<uint16_t>(v >> 16));
    put16(off + 2, static_cast<uint16_t>(v));
  }
  uint16_t get16(size_t off) const { return static_cast<uint16_t>(b[off] << 8 | b[off + 1]); }
  uint32_t get32(size_t off) const { return uint32_t{get16(off)} << 16 | get16(off + 2); }
  bool tcp() const { return shape.proto == packet::kProtoTcp; }
  bool v4() const { return shape.l3 == L3::kIpv4; }
  size_t l4_checksum_at() const { return l4 + (tcp() ? 16 : 6); }

  // Lengths from the frame's size, then checksums.
  void fix(bool udp_zero_checksum = false) {
    const uint32_t l4_len = static_cast<uint32_t>(b.size() - l4);
    if (v4())
      put16(l3 + 2, static_cast<uint16_t>(b.size() - l3));
    else
      put16(l3 + 4, static_cast<uint16_t>(b.size() - l3 - 40));
    if (!tcp()) put16(l4 + 4, static_cast<uint16_t>(l4_len));
    fix_checksums(udp_zero_checksum);
  }
  void fix_checksums(bool udp_zero_checksum = false) {
    const uint32_t l4_len = static_cast<uint32_t>(b.size() - l4);
    b[l4_checksum_at()] = b[l4_checksum_at() + 1] = 0;
    if (!(udp_zero_checksum && !tcp())) {
      const uint16_t c = v4() ? packet::ipv4_l4_checksum(&b[l3], &b[l4], l4_len, shape.proto)
                              : packet::ipv6_l4_checksum(&b[l3], &b[l4], l4_len, shape.proto);
      std::memcpy(&b[l4_checksum_at()], &c, 2);
    }
    if (v4()) packet::testing::fix_ipv4_checksum(b, l3);
  }
  void resize_payload(uint32_t payload, std::mt19937_64& rng) {
    const size_t old = b.size();
    b.resize(hdr + payload);
    for (size_t k = std::min(old, b.size()); k < b.size(); ++k)
      b[k] = static_cast<uint8_t>(rng());
  }
};

packet::Parsed parse(const Bytes& f) {
  packet::Parsed p;
  packet::Options o;
  o.verify_l4_checksum = true;
  o.verify_ipv4_checksum = true;
  EXPECT_EQ(packet::validate(f.data(), static_cast<uint32_t>(f.size()), o, &p),
            packet::Verdict::kOk);
  return p;
}

HeaderLayout layout_of_frame(const Frame& f) {
  HeaderLayout l;
  const packet::Parsed p = parse(f.b);
  EXPECT_TRUE(layout_of(f.b.data(), static_cast<uint32_t>(f.b.size()), p, l));
  return l;
}

std::vector<Shape> all_shapes() {
  std::vector<Shape> v;
  uint32_t seed = 3;
  for (L3 l3 : {L3::kIpv4, L3::kIpv6})
    for (unsigned vlans : {0u, 1u, 2u}) {
      v.push_back({l3, packet::kProtoUdp, vlans, false, false, ++seed});
      v.push_back({l3, packet::kProtoTcp, vlans, false, false, ++seed});
      v.push_back({l3, packet::kProtoTcp, vlans, true, false, ++seed});
      v.push_back({l3, packet::kProtoTcp, vlans, true, true, ++seed});
      v.push_back({l3, packet::kProtoTcp, vlans, false, true, ++seed});
    }
  return v;
}

// A W-LSB step for a field: mostly small, sometimes at the edges of the
// 7-bit groups, far, backwards, or across the wrap.
uint32_t step(std::mt19937_64& rng, uint32_t v, unsigned bits) {
  static constexpr int64_t kEdges[] = {
      0,       1,          63,        64,           65,      -64,        -65,
      8191,    8192,       -8192,     -8193,        1 << 20, -(1 << 20), (1 << 27) - 1,
      1 << 27, -(1 << 27), 1ll << 31, -(1ll << 31), 32767,   32768,      -32768,
      -32769};
  int64_t d;
  switch (rng() % 8) {
    case 0: d = kEdges[rng() % std::size(kEdges)]; break;
    case 1: d = static_cast<int64_t>(rng() % (1ull << 32)) - (1ll << 31); break;
    case 2: d = -static_cast<int64_t>(rng() % 3000); break;  // retransmission, reordering
    default: d = static_cast<int64_t>(rng() % 1500); break;
  }
  const uint64_t m = bits == 32 ? 0xffffffffull : (1ull << bits) - 1;
  return static_cast<uint32_t>((uint64_t{v} + static_cast<uint64_t>(d)) & m);
}

// The next frame of a flow: dynamic fields moved, payload changed.
void evolve(Frame& f, std::mt19937_64& rng) {
  const uint32_t payload = static_cast<uint32_t>(f.b.size() - f.hdr);
  const unsigned what = static_cast<unsigned>(rng() % 4);
  if (what == 0) f.resize_payload(static_cast<uint32_t>(rng() % 700), rng);
  for (size_t k = f.hdr; k < f.b.size(); ++k)
    if (rng() % 8 == 0) f.b[k] = static_cast<uint8_t>(rng());
  if (f.v4()) {
    f.put16(f.l3 + 4, static_cast<uint16_t>(rng() % 4 ? f.get16(f.l3 + 4) + 1
                                                      : step(rng, f.get16(f.l3 + 4), 16)));
    if (rng() % 10 == 0) f.b[f.l3 + 1] = static_cast<uint8_t>(rng() % 4 * 8);   // TOS
    if (rng() % 10 == 0) f.b[f.l3 + 6] ^= 0x40;                                 // DF
    if (rng() % 10 == 0) f.b[f.l3 + 8] = static_cast<uint8_t>(60 + rng() % 8);  // TTL
  } else {
    if (rng() % 10 == 0) {  // traffic class
      const uint8_t tc = static_cast<uint8_t>(rng());
      f.b[f.l3] = static_cast<uint8_t>(0x60 | tc >> 4);
      f.b[f.l3 + 1] = static_cast<uint8_t>((f.b[f.l3 + 1] & 0x0f) | (tc & 0x0f) << 4);
    }
    if (rng() % 10 == 0) f.b[f.l3 + 7] = static_cast<uint8_t>(60 + rng() % 8);  // hop limit
  }
  if (f.tcp()) {
    f.put32(f.l4 + 4, rng() % 3 ? f.get32(f.l4 + 4) + payload : step(rng, f.get32(f.l4 + 4), 32));
    if (rng() % 2) f.put32(f.l4 + 8, step(rng, f.get32(f.l4 + 8), 32));
    static constexpr uint8_t kFlags[] = {0x10, 0x18, 0x11, 0x02, 0x12, 0x04, 0x19, 0x38};
    if (rng() % 6 == 0) f.b[f.l4 + 13] = kFlags[rng() % std::size(kFlags)];
    if (rng() % 6 == 0) f.put16(f.l4 + 14, static_cast<uint16_t>(rng()));
    if (rng() % 20 == 0) f.put16(f.l4 + 18, static_cast<uint16_t>(rng() % 2 ? rng() : 0));
    if (f.ts) {
      f.put32(f.ts, rng() % 3 ? f.get32(f.ts) + static_cast<uint32_t>(rng() % 50)
                              : step(rng, f.get32(f.ts), 32));
      if (rng() % 2) f.put32(f.ts + 4, step(rng, f.get32(f.ts + 4), 32));
    }
  }
  f.fix();
}

bool same_fields(const Fields& a, const Fields& b) {
  return std::equal(std::begin(a.v), std::end(a.v), std::begin(b.v)) &&
         std::equal(std::begin(a.misc), std::end(a.misc), std::begin(b.misc));
}

// Encodes `f` against `w` and decodes the block against `ref` with the
// context header `ctx`; returns the block. Checks fields_size, the header
// rebuilt and the decoded fields.
struct Coded {
  Bytes block;
  Bytes header;
  Fields decoded;
};
Bytes encode_block(const Frame& f, const HeaderLayout& l, FieldWindow& w, uint32_t packet,
                   bool derive_l4) {
  uint8_t out[kMaxFieldsBlock + 16];
  std::memset(out, 0xee, sizeof out);
  const size_t n =
      encode_fields(f.b.data(), static_cast<uint32_t>(f.b.size()), l, w, packet, derive_l4, out);
  EXPECT_GE(n, 2u);
  EXPECT_LE(n, kMaxFieldsBlock);
  EXPECT_EQ(out[n], 0xee) << "wrote past the size it returned";
  return Bytes(out, out + n);
}
// Decodes a block into an exact-size header; 0 size on failure.
Coded decode_block(const Bytes& block, const Frame& f, const HeaderLayout& l, const Bytes& ctx,
                   const Fields& ref) {
  Coded c;
  c.block = block;
  c.header.assign(l.hdr_len, 0);
  PendingChecksums pending;
  const size_t n =
      decode_fields(block.data(), block.data() + block.size(), static_cast<uint32_t>(f.b.size()), l,
                    ctx.data(), ref, c.decoded, c.header.data(), pending);
  if (n != block.size()) {
    ADD_FAILURE() << "decode_fields read " << n << " of " << block.size();
    c.header.clear();
    return c;
  }
  finish_checksums(c.header.data(), f.b.data() + l.hdr_len,
                   static_cast<uint32_t>(f.b.size() - l.hdr_len), l, pending);
  return c;
}

// ---- tests ----

TEST(V2Header, LayoutOf) {
  std::mt19937_64 rng(1);
  for (const Shape& s : all_shapes()) {
    SCOPED_TRACE(s.name());
    const Frame f = Frame::make(s, 100, rng);
    const HeaderLayout l = layout_of_frame(f);
    EXPECT_EQ(l.l2_len, f.l3);
    EXPECT_EQ(l.l4_off, f.l4);
    EXPECT_EQ(l.hdr_len, f.hdr);
    EXPECT_EQ(l.ip, s.l3 == L3::kIpv4 ? 4 : 6);
    EXPECT_EQ(l.proto, s.proto);
    EXPECT_EQ(l.ts_off, f.ts);
  }
  // What cannot be compressed: IPv4 options, IPv6 extension headers,
  // fragments, ICMP, ARP, Ethernet padding after the IP packet.
  auto refused = [](const FrameSpec& spec) {
    const Bytes b = packet::testing::build_frame(spec);
    packet::Parsed p;
    if (packet::validate(b.data(), static_cast<uint32_t>(b.size()), {}, &p) != packet::Verdict::kOk)
      return true;
    HeaderLayout l;
    return !layout_of(b.data(), static_cast<uint32_t>(b.size()), p, l);
  };
  FrameSpec s;
  s.payload = 10;
  s.ipv4_option_bytes = 8;
  EXPECT_TRUE(refused(s)) << "IPv4 options";
  s = {};
  s.payload = 100;
  s.more_fragments = true;
  EXPECT_TRUE(refused(s)) << "first fragment";
  s = {};
  s.l3 = L3::kIpv6;
  s.payload = 100;
  s.ipv6_ext = {packet::kProtoDestOpts};
  EXPECT_TRUE(refused(s)) << "IPv6 extension header";
  s = {};
  s.proto = packet::kProtoIcmp;
  s.payload = 100;
  EXPECT_TRUE(refused(s)) << "ICMP";
  s = {};
  s.l3 = L3::kArp;
  EXPECT_TRUE(refused(s)) << "ARP";
  s = {};
  s.payload = 0;
  s.pad_to = 60;  // 54 bytes of TCP/IPv4 padded to 60
  EXPECT_TRUE(refused(s)) << "Ethernet padding";

  // TCP options: the timestamps option found after others, not found when
  // its length is wrong or after an end-of-list, malformed lists stop the search.
  struct Opts {
    std::vector<uint8_t> bytes;
    int ts;  // offset of TSval in the options, -1 when not found
  };
  const Opts cases[] = {
      {{8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1}, 2},
      {{1, 1, 1, 1, 1, 1, 1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 10},
      {{2, 4, 5, 180, 3, 3, 7, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 10},
      {{8, 8, 1, 2, 3, 4, 5, 6, 1, 1, 1, 1}, -1},
      {{0, 1, 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1}, -1},
      {{2, 0, 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1}, -1},
      {{2, 1, 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1}, -1},
      {{1, 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7}, -1},  // runs past the header
      {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8},
       32},
  };
  for (const Opts& c : cases) {
    FrameSpec spec;
    spec.payload = 30;
    spec.pad_to = 0;
    spec.tcp_option_bytes = static_cast<uint32_t>(c.bytes.size());
    Bytes b = packet::testing::build_frame(spec);
    std::memcpy(&b[54], c.bytes.data(), c.bytes.size());
    b[50] = b[51] = 0;
    const uint16_t cs = packet::ipv4_l4_checksum(
        &b[14], &b[34], static_cast<uint32_t>(b.size() - 34), packet::kProtoTcp);
    std::memcpy(&b[50], &cs, 2);
    const packet::Parsed p = parse(b);
    HeaderLayout l;
    ASSERT_TRUE(layout_of(b.data(), static_cast<uint32_t>(b.size()), p, l));
    EXPECT_EQ(l.ts_off, c.ts < 0 ? 0 : 54 + c.ts) << "option bytes " << c.bytes.size();
  }
}

TEST(V2Header, ReadFieldsAndStaticImage) {
  std::mt19937_64 rng(2);
  for (const Shape& s : all_shapes()) {
    SCOPED_TRACE(s.name());
    Frame f = Frame::make(s, 200, rng);
    const HeaderLayout l = layout_of_frame(f);
    for (int i = 0; i < 50; ++i) {
      const Fields v = read_fields(f.b.data(), l);
      EXPECT_EQ(v.v[0], f.v4() ? f.get16(f.l3 + 4) : 0u) << "IP id";
      EXPECT_EQ(v.v[1], f.tcp() ? f.get32(f.l4 + 4) : 0u) << "seq";
      EXPECT_EQ(v.v[2], f.tcp() ? f.get32(f.l4 + 8) : 0u) << "ack";
      EXPECT_EQ(v.v[3], f.ts ? f.get32(f.ts) : 0u) << "TSval";
      EXPECT_EQ(v.v[4], f.ts ? f.get32(f.ts + 4) : 0u) << "TSecr";
      const uint16_t tos = f.v4()
                               ? f.b[f.l3 + 1]
                               : static_cast<uint16_t>((f.b[f.l3] & 15) << 4 | f.b[f.l3 + 1] >> 4);
      EXPECT_EQ(v.misc[0], tos);
      EXPECT_EQ(v.misc[1], f.b[f.l3 + (f.v4() ? 8 : 7)]) << "TTL";
      EXPECT_EQ(v.misc[2], f.v4() ? f.get16(f.l3 + 6) : 0u) << "IPv4 flags";
      EXPECT_EQ(v.misc[3], f.tcp() ? f.b[f.l4 + 13] : 0u) << "TCP flags";
      EXPECT_EQ(v.misc[4], f.tcp() ? f.get16(f.l4 + 14) : 0u) << "window";
      EXPECT_EQ(v.misc[5], f.tcp() ? f.get16(f.l4 + 18) : 0u) << "urgent";
      evolve(f, rng);
    }
    // Frames of one flow share the static image whatever their dynamic
    // fields; a change in any static byte shows.
    Frame a = Frame::make(s, 200, rng);
    Frame b = a;
    for (int i = 0; i < 20; ++i)
      evolve(b, rng);
    const HeaderLayout la = layout_of_frame(a), lb = layout_of_frame(b);
    Bytes ia(la.hdr_len), ib(lb.hdr_len);
    static_image(a.b.data(), la, ia.data());
    static_image(b.b.data(), lb, ib.data());
    EXPECT_EQ(ia, ib);
    std::vector<size_t> statics = {0, 5, 6, 11};  // MACs
    if (s.vlans) statics.push_back(15);           // VLAN TCI
    statics.push_back(f.l3 + (f.v4() ? 12 : 8));  // source address
    statics.push_back(f.l3 + (f.v4() ? 19 : 39));
    if (!f.v4()) statics.push_back(f.l3 + 3);  // flow label
    statics.push_back(f.l4);                   // ports
    statics.push_back(f.l4 + 3);
    if (s.mss) statics.push_back(f.l4 + 23);  // MSS value
    for (size_t off : statics) {
      Frame c = a;
      c.b[off] ^= 0x10;
      c.fix();
      Bytes ic(la.hdr_len);
      static_image(c.b.data(), la, ic.data());
      EXPECT_NE(ic, ia) << "static byte " << off;
    }
  }
}

// The heart of it: sequences of frames of one flow across packets; every
// block decodes exactly against each reference the window covers.
TEST(V2Header, WlsbRoundTripAgainstEveryWindowReference) {
  std::mt19937_64 rng(3);
  uint64_t blocks = 0, decodes = 0, bytes = 0, header_bytes = 0;
  for (const Shape& s : all_shapes()) {
    SCOPED_TRACE(s.name());
    for (int run = 0; run < 6; ++run) {
      Frame f = Frame::make(s, static_cast<uint32_t>(rng() % 600), rng);
      const HeaderLayout l = layout_of_frame(f);
      const Bytes ctx(f.b.begin(), f.b.begin() + l.hdr_len);  // the context: the first header
      FieldWindow w;
      uint32_t packet = 1 + static_cast<uint32_t>(rng() % 1000);
      w.reset(read_fields(f.b.data(), l), packet);
      // The decoder's possible references: the last frame of each packet
      // that carried the flow, the current packet's latest so far.
      struct Ref {
        uint32_t packet;
        Fields fields;
      };
      std::vector<Ref> refs = {{packet, read_fields(f.b.data(), l)}};
      for (int i = 0; i < 150; ++i) {
        evolve(f, rng);
        if (rng() % 3) packet += 1 + static_cast<uint32_t>(rng() % 3);  // else: same packet
        const bool derive = rng() % 2;
        const Bytes block = encode_block(f, l, w, packet, derive);
        ASSERT_FALSE(HasFailure());
        ++blocks;
        bytes += block.size();
        header_bytes += l.hdr_len;
        EXPECT_EQ(fields_size(block.data(), block.data() + block.size()), block.size());
        const size_t first = refs.size() > kWindow ? refs.size() - kWindow : 0;
        for (size_t r = first; r < refs.size(); ++r) {
          const Coded c = decode_block(block, f, l, ctx, refs[r].fields);
          ASSERT_FALSE(c.header.empty());
          ++decodes;
          ASSERT_TRUE(std::equal(c.header.begin(), c.header.end(), f.b.begin()))
              << "frame " << i << " against the reference of packet " << refs[r].packet << " ("
              << refs.size() - 1 - r << " back)";
          ASSERT_TRUE(same_fields(c.decoded, read_fields(f.b.data(), l)));
        }
        if (refs.back().packet == packet)
          refs.back().fields = read_fields(f.b.data(), l);
        else
          refs.push_back({packet, read_fields(f.b.data(), l)});
      }
    }
  }
  std::printf(
      "header: %llu blocks, %llu decodes; blocks average %.1f bytes for %.1f-byte headers\n",
      static_cast<unsigned long long>(blocks), static_cast<unsigned long long>(decodes),
      static_cast<double>(bytes) / static_cast<double>(blocks),
      static_cast<double>(header_bytes) / static_cast<double>(blocks));
}

// A reference older than the window may decode wrong, but never reads out
// of bounds or writes past the header: garbage in, checked by the CRC later.
TEST(V2Header, ReferenceOutsideTheWindowStaysInBounds) {
  std::mt19937_64 rng(4);
  for (const Shape& s : all_shapes()) {
    Frame f = Frame::make(s, 300, rng);
    const HeaderLayout l = layout_of_frame(f);
    const Bytes ctx(f.b.begin(), f.b.begin() + l.hdr_len);
    FieldWindow w;
    w.reset(read_fields(f.b.data(), l), 1);
    for (uint32_t p = 2; p < 40; ++p) {
      evolve(f, rng);
      const Bytes block = encode_block(f, l, w, p, true);
      Fields junk;
      for (auto& x : junk.v)
        x = static_cast<uint32_t>(rng());
      for (auto& x : junk.misc)
        x = static_cast<uint16_t>(rng());
      const Coded c = decode_block(block, f, l, ctx, junk);
      EXPECT_FALSE(c.header.empty());
    }
  }
}

// Checksums: derived when right (the IPv4 header's always, the L4 one when
// asked), sent when wrong, UDP over IPv4 without one kept at zero, and a
// computed UDP checksum of 0 sent as 0xffff and derived as such.
TEST(V2Header, ChecksumsDerivedOrSent) {
  std::mt19937_64 rng(5);
  for (const Shape& s : all_shapes()) {
    SCOPED_TRACE(s.name());
    Frame f = Frame::make(s, 100, rng);
    const HeaderLayout l = layout_of_frame(f);
    const Bytes ctx(f.b.begin(), f.b.begin() + l.hdr_len);
    const Fields ref = read_fields(f.b.data(), l);
    auto size_with = [&](const Frame& g, bool derive) {
      FieldWindow w;
      w.reset(ref, 1);
      const Bytes block = encode_block(g, l, w, 2, derive);
      const Coded c = decode_block(block, g, l, ctx, ref);
      EXPECT_TRUE(!c.header.empty() && std::equal(c.header.begin(), c.header.end(), g.b.begin()))
          << "derive " << derive;
      return block.size();
    };
    evolve(f, rng);
    const size_t derived = size_with(f, true), sent = size_with(f, false);
    EXPECT_EQ(sent, derived + 2) << "a right L4 checksum is derived when asked";

    Frame bad_l4 = f;
    bad_l4.b[bad_l4.l4_checksum_at()] ^= 0x5a;
    EXPECT_EQ(size_with(bad_l4, true), sent) << "a wrong L4 checksum is sent";

    if (f.v4()) {
      Frame bad_ip = f;
      bad_ip.b[bad_ip.l3 + 11] ^= 0x01;
      EXPECT_EQ(size_with(bad_ip, true), derived + 2) << "a wrong IPv4 checksum is sent";
    }
    if (!f.tcp() && f.v4()) {
      Frame zero = f;
      zero.fix(/*udp_zero_checksum=*/true);
      ASSERT_EQ(zero.get16(zero.l4_checksum_at()), 0);
      EXPECT_EQ(size_with(zero, true), derived) << "UDP without checksum: a mode, no bytes";
      EXPECT_EQ(size_with(zero, false), derived);
    }
    // A payload whose checksum computes to 0: UDP stores 0xffff (TCP 0);
    // search the last two payload bytes for it.
    Frame z = f;
    bool found = false;
    for (uint32_t x = 0; x < 65536 && !found; ++x) {
      z.b[z.b.size() - 2] = static_cast<uint8_t>(x >> 8);
      z.b[z.b.size() - 1] = static_cast<uint8_t>(x);
      z.fix();
      found = z.get16(z.l4_checksum_at()) == (z.tcp() ? 0x0000 : 0xffff);
    }
    ASSERT_TRUE(found);
    EXPECT_EQ(size_with(z, true), derived)
        << "checksum " << std::hex << z.get16(z.l4_checksum_at());
    EXPECT_EQ(size_with(z, false), derived + 2);
  }
}

// Lengths that do not follow from the frame's size (Ethernet padding, a UDP
// length short of the datagram) are sent, and rebuilt exactly.
TEST(V2Header, LengthsThatLieAreSent) {
  std::mt19937_64 rng(6);
  for (const Shape& s : all_shapes()) {
    SCOPED_TRACE(s.name());
    Frame f = Frame::make(s, 120, rng);
    const HeaderLayout l = layout_of_frame(f);
    const Bytes ctx(f.b.begin(), f.b.begin() + l.hdr_len);
    const Fields ref = read_fields(f.b.data(), l);
    FieldWindow w;
    w.reset(ref, 1);
    const size_t plain = encode_block(f, l, w, 2, false).size();

    Frame padded = f;  // four bytes of Ethernet padding after the IP packet
    padded.b.insert(padded.b.end(), {0, 0, 0, 0});
    w.reset(ref, 1);
    Bytes block = encode_block(padded, l, w, 2, true);
    EXPECT_EQ(block.size(), plain + 4);
    Coded c = decode_block(block, padded, l, ctx, ref);
    EXPECT_TRUE(!c.header.empty() &&
                std::equal(c.header.begin(), c.header.end(), padded.b.begin()));

    if (!f.tcp()) {  // a UDP length short of the datagram (validators accept it)
      Frame shortlen = f;
      shortlen.put16(shortlen.l4 + 4, static_cast<uint16_t>(shortlen.get16(shortlen.l4 + 4) - 10));
      shortlen.fix_checksums();
      w.reset(ref, 1);
      block = encode_block(shortlen, l, w, 2, true);
      c = decode_block(block, shortlen, l, ctx, ref);
      EXPECT_TRUE(!c.header.empty() &&
                  std::equal(c.header.begin(), c.header.end(), shortlen.b.begin()));
    }
  }
}

// Nothing changed: the smallest block; a frame identical to the context
// codes in two bytes (plus the L4 checksum unless derived).
TEST(V2Header, UnchangedFieldsCostNothing) {
  std::mt19937_64 rng(7);
  for (const Shape& s : all_shapes()) {
    Frame f = Frame::make(s, 40, rng);
    const HeaderLayout l = layout_of_frame(f);
    FieldWindow w;
    w.reset(read_fields(f.b.data(), l), 1);
    EXPECT_EQ(encode_block(f, l, w, 2, true).size(), 2u) << s.name();
    EXPECT_EQ(encode_block(f, l, w, 3, false).size(), 4u) << s.name();
  }
}

// Blocks the decoder must refuse (0): every strict prefix of a valid block,
// fields the layout lacks, an invalid L4 mode, over-long varints, a frame
// shorter than its header. fields_size agrees on what it can see.
TEST(V2Header, MalformedBlocks) {
  std::mt19937_64 rng(8);
  for (const Shape& s : all_shapes()) {
    SCOPED_TRACE(s.name());
    Frame f = Frame::make(s, 300, rng);
    const HeaderLayout l = layout_of_frame(f);
    const Bytes ctx(f.b.begin(), f.b.begin() + l.hdr_len);
    FieldWindow w;
    const Fields ref = read_fields(f.b.data(), l);
    w.reset(ref, 1);
    auto decodes = [&](const Bytes& block, uint32_t frame_len) {
      Bytes exact(block);
      Bytes hdr(l.hdr_len);
      Fields d;
      PendingChecksums pending;
      return decode_fields(exact.data(), exact.data() + exact.size(), frame_len, l, ctx.data(), ref,
                           d, hdr.data(), pending);
    };
    for (int i = 0; i < 30; ++i) {
      evolve(f, rng);
      const Bytes block = encode_block(f, l, w, 2 + static_cast<uint32_t>(i), rng() % 2);
      const uint32_t len = static_cast<uint32_t>(f.b.size());
      EXPECT_EQ(decodes(block, len), block.size());
      for (size_t cut = 0; cut < block.size(); ++cut) {
        const Bytes prefix(block.begin(), block.begin() + static_cast<long>(cut));
        EXPECT_EQ(decodes(prefix, len), 0u) << "prefix " << cut;
        EXPECT_EQ(fields_size(prefix.data(), prefix.data() + prefix.size()), 0u)
            << "prefix " << cut;
      }
      EXPECT_EQ(decodes(block, l.hdr_len - 1u), 0u) << "frame shorter than its header";
    }
    // Fields the layout does not have.
    if (!f.v4()) {
      EXPECT_EQ(decodes({kHasIpid, 0, 1, 0, 0}, 200), 0u) << "IP id in IPv6";
      EXPECT_EQ(decodes({kIpChecksumRaw, kL4Raw, 0, 0, 0, 0}, 200), 0u) << "IPv4 checksum in IPv6";
      EXPECT_EQ(decodes({0, kIpFlags | kL4Raw, 0, 0, 0, 0}, 200), 0u) << "IPv4 flags in IPv6";
    }
    if (!f.ts) {
      EXPECT_EQ(decodes({kHasTsval, kL4Raw, 1, 0, 0}, 200), 0u) << "TSval without the option";
    }
    if (!f.tcp()) {
      EXPECT_EQ(decodes({0, kTcpFlags | kL4Raw, 0x10, 0, 0}, 200), 0u) << "TCP flags in UDP";
    }
    EXPECT_EQ(decodes({0, kL4Invalid, 0, 0}, 200), 0u);
    const Bytes invalid_mode = {0, kL4Invalid, 0, 0};
    EXPECT_EQ(fields_size(invalid_mode.data(), invalid_mode.data() + invalid_mode.size()), 0u);
    const Bytes six_groups = {
        f.tcp() ? uint8_t{2} : kHasIpid, kL4Raw, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0};
    EXPECT_EQ(decodes(six_groups, 200), 0u);
    EXPECT_EQ(fields_size(six_groups.data(), six_groups.data() + six_groups.size()), 0u);
  }
}

// Random blocks: never a read past the block or a write past the header;
// whatever decode_fields accepts, fields_size measures the same.
TEST(V2Header, RandomBlocks) {
  std::mt19937_64 rng(9);
  std::vector<std::pair<Frame, HeaderLayout>> frames;
  for (const Shape& s : all_shapes()) {
    const Frame f = Frame::make(s, 64, rng);
    frames.push_back({f, layout_of_frame(f)});
  }
  unsigned accepted = 0;
  for (int iter = 0; iter < 60000; ++iter) {
    const auto& [f, l] = frames[static_cast<size_t>(iter) % frames.size()];
    Bytes block(rng() % 24);
    for (auto& x : block)
      x = static_cast<uint8_t>(rng() % 4 ? rng() : 0);
    const Bytes ctx(f.b.begin(), f.b.begin() + l.hdr_len);
    Bytes hdr(l.hdr_len);
    Fields ref = read_fields(f.b.data(), l), d;
    PendingChecksums pending;
    const uint32_t frame_len = static_cast<uint32_t>(rng() % 2000);
    const size_t n = decode_fields(block.data(), block.data() + block.size(), frame_len, l,
                                   ctx.data(), ref, d, hdr.data(), pending);
    const size_t m = fields_size(block.data(), block.data() + block.size());
    ASSERT_LE(n, block.size());
    ASSERT_LE(m, block.size());
    if (n) {
      ++accepted;
      ASSERT_EQ(m, n);
      if (frame_len >= l.hdr_len) {
        Bytes payload(frame_len - l.hdr_len);
        finish_checksums(hdr.data(), payload.data(), static_cast<uint32_t>(payload.size()), l,
                         pending);
      }
    }
  }
  EXPECT_GT(accepted, 1000u);
}

}  // namespace
}  // namespace deltaplane::codec::v2
