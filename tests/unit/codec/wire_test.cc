// Wire format: the published test vectors (docs/wire-format.md, "Test
// vectors" — keep both copies in sync), and every named parse failure.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "codec/checksum.hh"
#include "codec/frame_codec.hh"
#include "codec/wire.hh"
#include "codec_test_util.hh"

namespace deltaplane::codec::test {
namespace {

Bytes from_hex(std::string_view hex) {
  Bytes b;
  auto nibble = [](char c) {
    return static_cast<std::uint8_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    b.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return b;
}

std::string to_hex(std::span<const std::uint8_t> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t x : b) {
    s += kDigits[x >> 4];
    s += kDigits[x & 15];
  }
  return s;
}

// ---- The vectors, as in docs/wire-format.md --------------------------------

constexpr std::string_view kFrameK =
    "0011223344550066778899aa0800450000321c46400040110a730a0000010a00000204d2162e001e0000"
    "64656c7461706c616e6520766563746f722023303031";
constexpr std::string_view kFrameF =
    "0011223344550066778899aa0800450000321c47400040110a720a0000010a00000204d2162e001e0000"
    "64656c7461706c616e6520766563746f722023303032";
constexpr std::string_view kFrameG =
    "0011223344550066778899aa0800450000371c48400040110a6c0a0000010a00000204d2162e00230000"
    "64656c7461706c616e6520766563746f7220233030332b7461696c";
constexpr std::string_view kFrameR =
    "ffffffffffff0066778899aa080600010800060400010066778899aa0a0000010000000000000a000002";

struct Vector {
  const char* name;
  MessageType type;
  std::string_view frame;  // hex
  std::string_view key;    // hex; the keyframe for delta
  std::size_t frame_cut;   // use only this many bytes of `frame` (0: all)
  std::uint32_t generation;
  std::uint16_t ip_id;
  std::string_view body;    // hex, the deltaplane body alone
  std::string_view packet;  // hex, the whole tunnel packet
};

const Vector kVectors[] = {
    {"keyframe", MessageType::keyframe, kFrameK, "", 0, 1, 1, kFrameK,
     "020000000002020000000001080045000074000140004011"
     "4e41c0000201c6336402cc0dde1700600000"
     "44500101000000400a0b0c0d000000010040b73c9c6d506b"
     "0011223344550066778899aa0800450000321c46400040110a730a0000010a00000204d2162e001e0000"
     "64656c7461706c616e6520766563746f722023303031"},
    {"delta", MessageType::delta, kFrameF, kFrameK, 0, 1, 2, "130101050101250103",
     "02000000000202000000000108004500003d000240004011"
     "4e77c0000201c6336402cc0dde1700290000"
     "44500102000000400a0b0c0d0000000100095ca7c1538650"
     "130101050101250103"},
    {"identical", MessageType::delta, kFrameK, kFrameK, 0, 1, 3, "4000",
     "020000000002020000000001080045000036000340004011"
     "4e7dc0000201c6336402cc0dde1700220000"
     "44500102000000400a0b0c0d000000010002b7799c6d506b"
     "4000"},
    {"longer", MessageType::delta, kFrameG, kFrameK, 0, 1, 4,
     "110305000e05011f0d013d1706022b7461696c",
     "020000000002020000000001080045000047000440004011"
     "4e6bc0000201c6336402cc0dde1700330000"
     "44500102000000450a0b0c0d0000000100130ce3cc54cb04"
     "110305000e05011f0d013d1706022b7461696c"},
    {"shorter", MessageType::delta, kFrameK, kFrameK, 60, 1, 5, "3c00",
     "020000000002020000000001080045000036000540004011"
     "4e7bc0000201c6336402cc0dde1700220000"
     "445001020000003c0a0b0c0d000000010002"
     "4158dd5f859e3c00"},
    {"raw", MessageType::raw, kFrameR, "", 0, 0, 6, kFrameR,
     "02000000000202000000000108004500005e000640004011"
     "4e52c0000201c6336402cc0dde17004a0000"
     "445001000000002a0a0b0c0d00000000002afa14fb34aef9"
     "ffffffffffff0066778899aa080600010800060400010066778899aa0a0000010000000000000a000002"},
};

constexpr std::uint32_t kFlowId = 0x0A0B0C0D;

TunnelParams vector_params() {
  TunnelParams p;
  p.src_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  p.dst_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  p.src_ip = 0xC0000201;  // 192.0.2.1
  p.dst_ip = 0xC6336402;  // 198.51.100.2
  return p;
}

class WireVectors : public ::testing::TestWithParam<SimdLevel> {
 protected:
  void SetUp() override {
    saved_ = simd_level();
    if (!set_simd_level(GetParam())) GTEST_SKIP() << "CPU lacks " << simd_level_name(GetParam());
  }
  void TearDown() override { set_simd_level(saved_); }

 private:
  SimdLevel saved_ = SimdLevel::kScalar;
};

TEST_P(WireVectors, EncodeGivesExactBytesAndDecodesBack) {
  const TunnelParams params = vector_params();
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.name);
    Bytes frame = from_hex(v.frame);
    if (v.frame_cut != 0) frame.resize(v.frame_cut);
    const Bytes key = from_hex(v.key);
    const PacketMeta meta{kFlowId, v.generation, tunnel_src_port(kFlowId), v.ip_id};
    Bytes pkt(2048);
    const std::size_t len = encode_packet(pkt, params, meta, v.type, frame, key);
    pkt.resize(len);
    EXPECT_EQ(to_hex(pkt), v.packet);
    EXPECT_EQ(len, encapsulated_size(from_hex(v.body).size()));

    OuterInfo outer;
    ASSERT_EQ(parse_outer(pkt, kDefaultUdpPort, outer), OuterStatus::ok);
    EXPECT_EQ(outer.payload_offset, kOuterSize);
    const auto msg =
        std::span<const std::uint8_t>(pkt).subspan(outer.payload_offset, outer.payload_len);
    Header h;
    ASSERT_EQ(parse_header(msg, h), HeaderStatus::ok);
    EXPECT_EQ(to_hex(msg.subspan(kHeaderSize)), v.body);
    Bytes out(frame.size());
    ASSERT_EQ(decode_body(h, msg.subspan(kHeaderSize), key, out), BodyStatus::ok);
    EXPECT_EQ(out, frame);
  }
}

INSTANTIATE_TEST_SUITE_P(AllLevels, WireVectors, ::testing::ValuesIn(kAllSimdLevels),
                         [](const auto& p) { return std::string(simd_level_name(p.param)); });

// ---- Header parsing ---------------------------------------------------------

Bytes valid_message(MessageType type = MessageType::delta) {
  Header h;
  h.type = type;
  h.frame_len = 4;
  h.flow_id = 7;
  h.generation = 9;
  h.body_len = type == MessageType::delta ? 2 : 4;
  h.frame_crc = 0x12345678;
  Bytes m(kHeaderSize + h.body_len);
  EXPECT_EQ(write_header(m, h), kHeaderSize);
  return m;
}

// Rewrites the header checksum after a deliberate change to another field.
void fix_checksum(Bytes& m) {
  m[18] = 0;
  m[19] = 0;
  const std::uint16_t c = internet_checksum(m.data(), kHeaderSize);
  m[18] = static_cast<std::uint8_t>(c >> 8);
  m[19] = static_cast<std::uint8_t>(c);
}

HeaderStatus parse_msg(const Bytes& m) {
  Header h;
  return parse_header(m, h);
}

TEST(WireHeader, RoundTrip) {
  const Bytes m = valid_message();
  Header h;
  ASSERT_EQ(parse_header(m, h), HeaderStatus::ok);
  EXPECT_EQ(h.type, MessageType::delta);
  EXPECT_EQ(h.frame_len, 4);
  EXPECT_EQ(h.flow_id, 7u);
  EXPECT_EQ(h.generation, 9u);
  EXPECT_EQ(h.body_len, 2);
  EXPECT_EQ(h.frame_crc, 0x12345678u);
  Bytes small(kHeaderSize - 1);
  EXPECT_EQ(write_header(small, h), 0u);
}

TEST(WireHeader, EveryNamedFailure) {
  EXPECT_EQ(parse_msg(Bytes(kHeaderSize - 1, 0)), HeaderStatus::too_short);
  Bytes m = valid_message();
  m[0] = 0x45;
  EXPECT_EQ(parse_msg(m), HeaderStatus::bad_magic);
  m = valid_message();
  m[2] = 2;
  fix_checksum(m);
  EXPECT_EQ(parse_msg(m), HeaderStatus::bad_version);
  m = valid_message();
  m[10] ^= 0x40;  // flow id bit flip, checksum not fixed
  EXPECT_EQ(parse_msg(m), HeaderStatus::bad_checksum);
  m = valid_message();
  m[3] = 3;
  fix_checksum(m);
  EXPECT_EQ(parse_msg(m), HeaderStatus::bad_type);
  m = valid_message();
  m[4] = 0x01;
  fix_checksum(m);
  EXPECT_EQ(parse_msg(m), HeaderStatus::bad_flags);
  m = valid_message();
  m.push_back(0);  // one byte more than body_len
  EXPECT_EQ(parse_msg(m), HeaderStatus::bad_length);
  m.resize(m.size() - 2);  // one byte less
  EXPECT_EQ(parse_msg(m), HeaderStatus::bad_length);
  m = valid_message(MessageType::keyframe);
  EXPECT_EQ(parse_msg(m), HeaderStatus::ok);
  m[7] = 5;  // frame_len 5 != body_len 4 for a keyframe
  fix_checksum(m);
  EXPECT_EQ(parse_msg(m), HeaderStatus::bad_length);
  m = valid_message();
  m[5] = 0xEE;  // the reserved byte is ignored (but covered by the checksum)
  fix_checksum(m);
  EXPECT_EQ(parse_msg(m), HeaderStatus::ok);
  EXPECT_EQ(to_string(HeaderStatus::bad_magic), "bad_magic");
  EXPECT_EQ(to_string(HeaderStatus::bad_length), "bad_length");
}

// ---- Outer headers ----------------------------------------------------------

Bytes valid_packet() {
  Bytes pkt(kOuterSize + 10, 0x77);
  EXPECT_EQ(write_outer(pkt, vector_params(), 0xC001, 0x1234, 10), kOuterSize);
  return pkt;
}

OuterStatus parse_pkt(const Bytes& pkt, std::uint16_t port = kDefaultUdpPort) {
  OuterInfo info;
  return parse_outer(pkt, port, info);
}

// Recomputes the IPv4 header checksum after a deliberate change.
void fix_ip_checksum(Bytes& pkt) {
  pkt[24] = 0;
  pkt[25] = 0;
  const std::uint16_t c = internet_checksum(pkt.data() + kEthSize, kIpv4Size);
  pkt[24] = static_cast<std::uint8_t>(c >> 8);
  pkt[25] = static_cast<std::uint8_t>(c);
}

TEST(WireOuter, WriteAndParse) {
  Bytes pkt = valid_packet();
  OuterInfo info;
  ASSERT_EQ(parse_outer(pkt, kDefaultUdpPort, info), OuterStatus::ok);
  EXPECT_EQ(info.src_ip, 0xC0000201u);
  EXPECT_EQ(info.dst_ip, 0xC6336402u);
  EXPECT_EQ(info.src_port, 0xC001);
  EXPECT_EQ(info.payload_offset, kOuterSize);
  EXPECT_EQ(info.payload_len, 10u);
  // Ethernet padding after the datagram is not payload.
  pkt.resize(pkt.size() + 8, 0);
  ASSERT_EQ(parse_outer(pkt, kDefaultUdpPort, info), OuterStatus::ok);
  EXPECT_EQ(info.payload_len, 10u);
  Bytes tiny(kOuterSize - 1);
  EXPECT_EQ(write_outer(tiny, vector_params(), 1, 1, 0), 0u);
  EXPECT_EQ(write_outer(pkt, vector_params(), 1, 1, 0x10000), 0u);
}

TEST(WireOuter, EveryNamedFailure) {
  EXPECT_EQ(parse_pkt(Bytes(20, 0)), OuterStatus::too_short);
  Bytes p = valid_packet();
  p.resize(p.size() - 1);  // IPv4 total length beyond the frame
  EXPECT_EQ(parse_pkt(p), OuterStatus::too_short);
  p = valid_packet();
  p[12] = 0x81;  // VLAN tag
  EXPECT_EQ(parse_pkt(p), OuterStatus::not_ipv4);
  p = valid_packet();
  p[14] = 0x65;
  EXPECT_EQ(parse_pkt(p), OuterStatus::bad_ip_header);
  p = valid_packet();
  p[14] = 0x44;  // IHL 4
  EXPECT_EQ(parse_pkt(p), OuterStatus::bad_ip_header);
  p = valid_packet();
  p[16] = 0;
  p[17] = 20;  // total length leaves no room for UDP
  fix_ip_checksum(p);
  EXPECT_EQ(parse_pkt(p), OuterStatus::bad_ip_header);
  p = valid_packet();
  p[22] = 63;  // TTL changed, checksum not fixed
  EXPECT_EQ(parse_pkt(p), OuterStatus::bad_ip_checksum);
  p = valid_packet();
  p[20] = 0x20;  // MF
  fix_ip_checksum(p);
  EXPECT_EQ(parse_pkt(p), OuterStatus::fragment);
  p = valid_packet();
  p[21] = 0x01;  // offset 8
  fix_ip_checksum(p);
  EXPECT_EQ(parse_pkt(p), OuterStatus::fragment);
  p = valid_packet();
  p[23] = 6;  // TCP
  fix_ip_checksum(p);
  EXPECT_EQ(parse_pkt(p), OuterStatus::not_udp);
  p = valid_packet();
  p[38] = 0;
  p[39] = 7;  // UDP length below its header
  EXPECT_EQ(parse_pkt(p), OuterStatus::bad_udp_length);
  p = valid_packet();
  p[39] = 0xFF;  // UDP length beyond the IPv4 datagram
  EXPECT_EQ(parse_pkt(p), OuterStatus::bad_udp_length);
  EXPECT_EQ(parse_pkt(valid_packet(), 4789), OuterStatus::wrong_port);
  p = valid_packet();
  p[40] = 0x12;  // a non-zero UDP checksum must verify
  p[41] = 0x34;
  EXPECT_EQ(parse_pkt(p), OuterStatus::bad_udp_checksum);
  EXPECT_EQ(to_string(OuterStatus::fragment), "fragment");
}

TEST(WireOuter, NonZeroUdpChecksumVerifies) {
  Bytes p = valid_packet();
  // Pseudo-header + UDP header + payload, as a sender that fills it would.
  Bytes pseudo(p.begin() + 26, p.begin() + 34);
  pseudo.push_back(0);
  pseudo.push_back(17);
  pseudo.push_back(p[38]);
  pseudo.push_back(p[39]);
  pseudo.insert(pseudo.end(), p.begin() + 34, p.end());
  const std::uint16_t c = internet_checksum(pseudo.data(), pseudo.size());
  p[40] = static_cast<std::uint8_t>(c >> 8);
  p[41] = static_cast<std::uint8_t>(c);
  EXPECT_EQ(parse_pkt(p), OuterStatus::ok);
}

TEST(WireSizes, Constants) {
  EXPECT_EQ(kOuterSize, 42u);
  EXPECT_EQ(kEncapOverhead, 66u);
  EXPECT_EQ(encapsulated_size(100), 166u);
  EXPECT_EQ(max_body_len(1500), 1448u);
  EXPECT_EQ(max_body_len(52), 0u);
  EXPECT_EQ(max_body_len(1 << 20), kMaxBody);
  EXPECT_EQ(tunnel_src_port(0), 0xC000);
  EXPECT_EQ(tunnel_src_port(0xFFFFFFFF), 0xFFFF);
}

// internet_checksum runs on packet/checksum.hh's fast sums (native-order
// words, AVX2 past 256 bytes); RFC 1071 over big-endian words, byte by byte,
// is the reference. Odd lengths, partial sums as initial values, all-ones.
std::uint16_t checksum_reference(const std::uint8_t* p, std::size_t n, std::uint32_t initial) {
  std::uint64_t s = initial;
  for (std::size_t i = 0; i < n; ++i)
    s += i % 2 ? p[i] : std::uint32_t{p[i]} << 8;
  while (s >> 16)
    s = (s & 0xFFFF) + (s >> 16);
  return static_cast<std::uint16_t>(~s & 0xFFFF);
}

TEST(WireChecksum, MatchesTheReference) {
  std::mt19937_64 rng(1071);
  for (int i = 0; i < 20000; ++i) {
    const std::size_t n = rng() % 1600;
    Bytes b = i % 7 == 0 ? Bytes(n, 0xFF) : random_bytes(rng, n);
    const auto initial = static_cast<std::uint32_t>(i % 3 == 0 ? 0 : rng() % 0x40000);
    ASSERT_EQ(internet_checksum(b.data(), n, initial), checksum_reference(b.data(), n, initial))
        << "length " << n << " initial " << initial;
  }
}

}  // namespace
}  // namespace deltaplane::codec::test
