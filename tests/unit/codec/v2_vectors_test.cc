// Wire format 2: the published test vectors (docs/wire-format-v2.md, "Test
// vectors"). The encoder must make exactly these packets from these frames,
// and the decoder must restore the frames from these bytes, the second
// packet also alone (the first lost).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec/v2/decoder.hh"
#include "codec/v2/encoder.hh"
#include "packet/validate.hh"

namespace deltaplane::codec::v2 {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes hex(std::string s) {
  std::erase(s, ' ');
  Bytes b;
  for (size_t i = 0; i + 1 < s.size(); i += 2)
    b.push_back(static_cast<uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
  return b;
}

const Bytes kA = hex(
    "02000000000b02000000000a080045000053123440004006146f0a0000010a000002c3500050000003e80000100150"
    "1801f66a430000474554202f612e68746d6c20485454502f312e310d0a486f73743a206578616d706c652e636f6d0d"
    "0a0d0a");
const Bytes kB = hex(
    "02000000000b02000000000a080045000053123540004006146e0a0000010a000002c35000500000041400001001"
    "501801f66a160000474554202f622e68746d6c20485454502f312e310d0a486f73743a206578616d706c652e636f"
    "6d0d0a0d0a");
const Bytes kC = hex(
    "02000000000b02000000000a080045000053123640004006146d0a0000010a000002c35000500000044000001001"
    "501801f669e90000474554202f632e68746d6c20485454502f312e310d0a486f73743a206578616d706c652e636f"
    "6d0d0a0d0a");
const Bytes kD = hex(
    "02000000000b02000000000a080045000053123740004006146c0a0000010a000002c35000500000046c00001001"
    "501801f669bc0000474554202f642e68746d6c20485454502f312e310d0a486f73743a206578616d706c652e636f"
    "6d0d0a0d0a");

const Bytes kPacket1 = hex(
    "44500240 0001 00000000 02 00 5bb85932"
    "4161ee986d270303 fc0500"
    "422baaa6eac60303003514 05af82e0a802"
    "5d02000000000b0a0800450000531234400040 06146f0a0000010a000002c3500050000003e800001001501801f6"
    "6a430000474554202f612e68746d6c20485454502f312e310d0a486f73743a206578616d706c652e636f6d0d0a0d"
    "0a62");
const Bytes kPacket2 = hex(
    "44500240000100 00008c0200 786804e7"
    "41612014edee0303 fc0500"
    "422b902da75a030300 37ec0805af82e0a802"
    "5d02000000000b0a08004500005312364000 4006146d0a0000010a000002c35000500000044000001001501801f6"
    "69e90000474554202f632e68746d6c20485454502f312e310d0a486f73743a206578616d706c652e636f6d0d0a0d"
    "0a64");

Bytes whole(const Decoder::Frame& f) {
  Bytes b(f.hdr, f.hdr + f.hdr_len);
  b.insert(b.end(), f.data, f.data + f.len);
  return b;
}

Bytes encode_pair(Encoder& enc, const Bytes& x, const Bytes& y, bool first) {
  packet::Parsed px, py;
  EXPECT_EQ(packet::validate(x.data(), static_cast<uint32_t>(x.size()), {}, &px),
            packet::Verdict::kOk);
  EXPECT_EQ(packet::validate(y.data(), static_cast<uint32_t>(y.size()), {}, &py),
            packet::Verdict::kOk);
  const FrameIn in[2] = {{x.data(), static_cast<uint32_t>(x.size()), &px, 3, first},
                         {y.data(), static_cast<uint32_t>(y.size()), &py, 3, false}};
  Encoder::Burst out;
  enc.encode_burst(std::span<const FrameIn>(in, 2), out);
  EXPECT_EQ(out.npackets, 1);
  if (out.npackets != 1) return {};
  return Bytes(enc.arena() + out.packets[0].offset,
               enc.arena() + out.packets[0].offset + out.packets[0].len);
}

TEST(V2Vectors, EncoderMakesThePublishedPackets) {
  EncoderConfig c;
  c.stream = 0x0001;
  c.contexts = 16;
  c.max_burst = 4;
  Encoder enc(c);
  EXPECT_EQ(encode_pair(enc, kA, kB, true), kPacket1);
  EXPECT_EQ(encode_pair(enc, kC, kD, false), kPacket2);
}

TEST(V2Vectors, DecoderRestoresTheFrames) {
  Decoder dec({});
  Decoder::Result r;
  dec.decode(kPacket1, 1, r);
  ASSERT_EQ(r.status, Status::ok);
  ASSERT_EQ(r.nframes, 2);
  EXPECT_EQ(r.frames[0].status, Status::ok);
  EXPECT_EQ(whole(r.frames[0]), kA);
  EXPECT_EQ(r.frames[1].status, Status::ok);
  EXPECT_EQ(r.frames[1].hdr_len, 54);  // rebuilt from the context set by A
  EXPECT_EQ(whole(r.frames[1]), kB);
  dec.decode(kPacket2, 1, r);
  ASSERT_EQ(r.status, Status::ok);
  ASSERT_EQ(r.nframes, 2);
  EXPECT_EQ(whole(r.frames[0]), kC);
  EXPECT_EQ(whole(r.frames[1]), kD);
}

TEST(V2Vectors, SecondPacketDecodesAlone) {
  Decoder dec({});
  Decoder::Result r;
  dec.decode(kPacket2, 1, r);
  ASSERT_EQ(r.status, Status::ok);
  ASSERT_EQ(r.nframes, 2);
  EXPECT_EQ(r.frames[0].status, Status::ok);
  EXPECT_EQ(whole(r.frames[0]), kC);
  EXPECT_EQ(r.frames[1].status, Status::ok);
  EXPECT_EQ(whole(r.frames[1]), kD);
}

TEST(V2Vectors, OneFlippedBitIsRefused) {
  for (size_t bit = 0; bit < kPacket1.size() * 8; bit += 7) {
    Bytes p = kPacket1;
    p[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    Decoder dec({});
    Decoder::Result r;
    dec.decode(p, 1, r);
    EXPECT_NE(r.status, Status::ok) << "bit " << bit;
  }
}

}  // namespace
}  // namespace deltaplane::codec::v2
