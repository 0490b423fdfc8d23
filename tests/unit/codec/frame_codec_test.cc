// Frame codec properties: lossless for every frame/keyframe pair (random, and
// consecutive frames of every capture in the shared pcap corpus), at every
// ISA level, and whole tunnel packets that survive parse + decode.
#include <gtest/gtest.h>

#include <filesystem>

#include <cstdio>

#include "codec/checksum.hh"
#include "codec/frame_codec.hh"
#include "codec/zero_run.hh"
#include "codec_test_util.hh"

namespace deltaplane::codec::test {
namespace {

class FrameCodec : public ::testing::TestWithParam<SimdLevel> {
 protected:
  void SetUp() override {
    saved_ = simd_level();
    if (!set_simd_level(GetParam())) GTEST_SKIP() << "CPU lacks " << simd_level_name(GetParam());
  }
  void TearDown() override { set_simd_level(saved_); }

 private:
  SimdLevel saved_ = SimdLevel::kScalar;
};

// Encodes and decodes one pair; returns the body size.
std::size_t round_trip(const Bytes& frame, const Bytes& key) {
  Bytes body(zero_run_bound(frame.size()));
  const std::size_t len = encode_delta(frame, key, body);
  EXPECT_TRUE(len > 0 || frame.empty());
  body.resize(len);
  Bytes out(frame.size());
  EXPECT_EQ(decode_delta(body, key, out), ZeroRunStatus::ok);
  EXPECT_EQ(out, frame);
  return len;
}

TEST_P(FrameCodec, RandomPairsOfAnyLengths) {
  std::mt19937_64 rng(20);
  for (int iter = 0; iter < 2000; ++iter) {
    const Bytes key = random_bytes(rng, rng() % 1600);
    Bytes frame = random_bytes(rng, rng() % 1600);
    // Most bytes equal to the keyframe's: a slowly changing flow.
    for (std::size_t i = 0; i < frame.size() && i < key.size(); ++i) {
      if (rng() % 32 != 0) frame[i] = key[i];
    }
    round_trip(frame, key);
    round_trip(frame, {});
    round_trip({}, key);
    if (HasFailure()) return;
  }
}

TEST_P(FrameCodec, CapturedFramesRoundTrip) {
  if (!std::filesystem::is_directory(pcap_dir()))
    GTEST_SKIP() << "needs the captures of " << pcap_dir()
                 << " (CI has them, a clone alone does not)";
  const auto files = load_pcaps();
  ASSERT_FALSE(files.empty()) << "no pcaps under " << pcap_dir();
  std::size_t pairs = 0;
  std::size_t raw_bytes = 0;
  std::size_t body_bytes = 0;
  for (const auto& f : files) {
    for (std::size_t i = 0; i < f.frames.size(); ++i) {
      const Bytes& frame = f.frames[i];
      const Bytes& key = i > 0 ? f.frames[i - 1] : Bytes{};
      const std::size_t len = round_trip(frame, key);
      round_trip(frame, frame);
      ++pairs;
      raw_bytes += frame.size();
      body_bytes += len;
      if (HasFailure()) {
        ADD_FAILURE() << f.name << " frame " << i;
        return;
      }
    }
  }
  // The corpus has 30 captures and ~2760 frames (../shared/pcaps/README.md).
  EXPECT_GE(files.size(), 28u);
  EXPECT_GT(pairs, 2500u);
  std::printf(
      "%zu captures, %zu frame pairs, %zu bytes -> %zu delta body bytes (previous frame as key)\n",
      files.size(), pairs, raw_bytes, body_bytes);
}

TEST_P(FrameCodec, WholePacketsRoundTrip) {
  std::mt19937_64 rng(21);
  TunnelParams params;
  params.src_mac = {0x02, 0, 0, 0, 0, 1};
  params.dst_mac = {0x02, 0, 0, 0, 0, 2};
  params.src_ip = 0xC0000201;
  params.dst_ip = 0xC6336402;
  for (int iter = 0; iter < 500; ++iter) {
    const Bytes key = random_bytes(rng, 60 + rng() % 1455);
    Bytes frame = key;
    frame.resize(60 + rng() % 1455);
    for (auto& b : frame) {
      if (rng() % 64 == 0) b = static_cast<std::uint8_t>(rng());
    }
    const auto type = static_cast<MessageType>(rng() % 3);
    const PacketMeta meta{static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(rng()),
                          tunnel_src_port(static_cast<std::uint32_t>(rng())),
                          static_cast<std::uint16_t>(rng())};
    Bytes pkt(kEncapOverhead + zero_run_bound(frame.size()));
    const std::size_t len = encode_packet(pkt, params, meta, type, frame, key);
    ASSERT_GT(len, kEncapOverhead);
    pkt.resize(len);

    OuterInfo outer;
    ASSERT_EQ(parse_outer(pkt, params.udp_port, outer), OuterStatus::ok);
    EXPECT_EQ(outer.src_ip, params.src_ip);
    EXPECT_EQ(outer.src_port, meta.src_port);
    const auto msg =
        std::span<const std::uint8_t>(pkt).subspan(outer.payload_offset, outer.payload_len);
    Header h;
    ASSERT_EQ(parse_header(msg, h), HeaderStatus::ok);
    EXPECT_EQ(h.type, type);
    EXPECT_EQ(h.flow_id, meta.flow_id);
    EXPECT_EQ(h.generation, meta.generation);
    EXPECT_EQ(h.frame_len, frame.size());
    EXPECT_EQ(h.frame_crc, crc32c(frame.data(), frame.size()));
    Bytes out(1600);
    ASSERT_EQ(decode_body(h, msg.subspan(kHeaderSize), key, out), BodyStatus::ok);
    out.resize(frame.size());
    ASSERT_EQ(out, frame);

    if (type == MessageType::delta) {
      // With the wrong keyframe the delta decodes but the CRC-32C catches it.
      Bytes wrong_key = key;
      const std::size_t flip = rng() % wrong_key.size();
      wrong_key[flip] ^= 0x01;
      Bytes out2(1600);
      // A one-bit error is always caught by CRC-32C; key bytes past the frame are unused.
      EXPECT_EQ(decode_body(h, msg.subspan(kHeaderSize), wrong_key, out2),
                flip < frame.size() ? BodyStatus::crc_mismatch : BodyStatus::ok);
      Bytes small(frame.size() - 1);
      EXPECT_EQ(decode_body(h, msg.subspan(kHeaderSize), key, small), BodyStatus::out_too_small);
    }
  }
}

TEST_P(FrameCodec, BodyThatDoesNotFitReturnsZero) {
  std::mt19937_64 rng(22);
  const Bytes key = random_bytes(rng, 1500);
  const Bytes frame = random_bytes(rng, 1500);
  Bytes body(1000);
  EXPECT_EQ(encode_delta(frame, key, body), 0u);
  Bytes pkt(1000);
  EXPECT_EQ(encode_packet(pkt, TunnelParams{}, PacketMeta{}, MessageType::delta, frame, key), 0u);
  EXPECT_EQ(encode_packet(pkt, TunnelParams{}, PacketMeta{}, MessageType::raw, frame, key), 0u);
  Bytes jumbo(70000, 0);
  Bytes big(80000);
  EXPECT_EQ(encode_packet(big, TunnelParams{}, PacketMeta{}, MessageType::delta, jumbo, key), 0u);
}

INSTANTIATE_TEST_SUITE_P(AllLevels, FrameCodec, ::testing::ValuesIn(kAllSimdLevels),
                         [](const auto& p) { return std::string(simd_level_name(p.param)); });

}  // namespace
}  // namespace deltaplane::codec::test
