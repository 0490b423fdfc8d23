// Internet checksum tests against hand-computed vectors (RFC 1071 worked
// example, a textbook IPv4 header, small TCP/UDP segments worked out by hand)
// and fast-vs-reference agreement over random buffers of every length.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "frame_builder.hh"
#include "packet/checksum.hh"
#include "packet/detail/kernels.hh"

namespace deltaplane::packet {
namespace {

uint16_t wire(uint16_t stored) {
  return __builtin_bswap16(stored);
}  // stored -> big-endian value

TEST(PacketChecksum, Rfc1071Example) {
  // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (big-endian
  // view); on a little-endian load the same sum reads f2dd.
  const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(wire(checksum_fold(raw_sum_reference(b, 8))), 0xddf2);
  EXPECT_EQ(wire(checksum_fold(raw_sum(b, 8))), 0xddf2);
  EXPECT_EQ(wire(checksum_fold(detail::raw_sum_avx2(b, 8, 0))), 0xddf2);
}

TEST(PacketChecksum, TextbookIpv4Header) {
  // 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7: checksum b861.
  uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(wire(ipv4_header_checksum_reference(h)), 0xb861);
  EXPECT_EQ(wire(ipv4_header_checksum(h)), 0xb861);
  EXPECT_FALSE(ipv4_header_checksum_ok(h));
  h[10] = 0xb8;
  h[11] = 0x61;
  EXPECT_TRUE(ipv4_header_checksum_ok(h));
  // The stored checksum field is ignored when computing.
  EXPECT_EQ(wire(ipv4_header_checksum(h)), 0xb861);
  // Incremental: TTL 0x40 -> 0x3f changes word 4011 -> 3f11 (RFC 1624).
  uint16_t old_word, new_word;
  std::memcpy(&old_word, h + 8, 2);
  h[8] = 0x3f;
  std::memcpy(&new_word, h + 8, 2);
  uint16_t stored;
  std::memcpy(&stored, h + 10, 2);
  const uint16_t adjusted = checksum_adjust16(stored, old_word, new_word);
  EXPECT_EQ(wire(adjusted), 0xb961);
  EXPECT_EQ(adjusted, ipv4_header_checksum(h));
  EXPECT_EQ(checksum_adjust(stored, &old_word, &new_word, 2), adjusted);
}

TEST(PacketChecksum, HandComputedUdpOverIpv4) {
  // 10.0.0.1:1000 -> 10.0.0.2:2000, UDP length 10, data "hi".
  // Pseudo: 0a00+0001+0a00+0002+0011+000a = 0x141e; UDP: 03e8+07d0+000a+0000+6869 = 0x742b;
  // total 0x8849, checksum ~0x8849 = 0x77b6.
  uint8_t ip[20] = {0x45, 0, 0, 30, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  uint8_t udp[10] = {0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0a, 0x00, 0x00, 'h', 'i'};
  EXPECT_EQ(wire(ipv4_l4_checksum(ip, udp, 10, 17)), 0x77b6);
  EXPECT_EQ(wire(ipv4_l4_checksum_reference(ip, udp, 10, 17)), 0x77b6);
  EXPECT_FALSE(ipv4_l4_checksum_ok(ip, udp, 10, 17) && udp[6] != 0);
  udp[6] = 0x77;
  udp[7] = 0xb6;
  EXPECT_TRUE(ipv4_l4_checksum_ok(ip, udp, 10, 17));
  udp[9] ^= 1;
  EXPECT_FALSE(ipv4_l4_checksum_ok(ip, udp, 10, 17));
  udp[6] = udp[7] = 0;  // "no checksum" over IPv4
  EXPECT_TRUE(ipv4_l4_checksum_ok(ip, udp, 10, 17));
}

TEST(PacketChecksum, HandComputedTcpOverIpv6) {
  // ::1 -> ::2, TCP 80 -> 81, seq 1, ack 0, doff 5, flags SYN, window 0x1000, no data.
  // Pseudo: 0001 + 0002 + 0014 (length) + 0006 = 0x001d; TCP: 0050+0051+0000+0001+0000+0000+
  // 5002+1000 = 0x60a4; total 0x60c1, checksum 0x9f3e.
  uint8_t ip6[40] = {0x60};
  ip6[4 + 1] = 20;
  ip6[6] = 6;
  ip6[8 + 15] = 1;
  ip6[24 + 15] = 2;
  uint8_t tcp[20] = {0, 80, 0, 81, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x10, 0x00};
  EXPECT_EQ(wire(ipv6_l4_checksum(ip6, tcp, 20, 6)), 0x9f3e);
  EXPECT_EQ(wire(ipv6_l4_checksum_reference(ip6, tcp, 20, 6)), 0x9f3e);
  tcp[16] = 0x9f;
  tcp[17] = 0x3e;
  EXPECT_TRUE(ipv6_l4_checksum_ok(ip6, tcp, 20, 6));
  // Fields already holding a checksum do not change the computed value.
  EXPECT_EQ(wire(ipv6_l4_checksum(ip6, tcp, 20, 6)), 0x9f3e);
}

TEST(PacketChecksum, UdpZeroBecomesFfff) {
  // Choose data so the sum is 0xffff: checksum would be 0, so it is sent as ffff.
  uint8_t ip[20] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  uint8_t udp[8] = {0, 0, 0, 0, 0, 8, 0, 0};
  // Pseudo 0011 + 0008, header 0008: 0x0021; make source port 0xffde -> total ffff.
  udp[0] = 0xff;
  udp[1] = 0xde;
  EXPECT_EQ(ipv4_l4_checksum(ip, udp, 8, 17), 0xffff);
  EXPECT_EQ(ipv4_l4_checksum_reference(ip, udp, 8, 17), 0xffff);
}

TEST(PacketChecksum, FastMatchesReferenceOnRandomBuffers) {
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(70000);
  for (auto& b : buf)
    b = static_cast<uint8_t>(rng());
  const bool avx2 = best_simd_level() == SimdLevel::kAvx2;
  for (size_t len = 0; len < 600; ++len) {
    for (size_t off : {0, 1, 3}) {
      const uint32_t init = rng() & 0xffff;
      const uint32_t ref = checksum_fold(raw_sum_reference(buf.data() + off, len, init));
      ASSERT_EQ(checksum_fold(raw_sum(buf.data() + off, len, init)), ref) << len;
      ASSERT_EQ(checksum_fold(detail::raw_sum_scalar(buf.data() + off, len, init)), ref) << len;
      if (avx2) {
        ASSERT_EQ(checksum_fold(detail::raw_sum_avx2(buf.data() + off, len, init)), ref) << len;
      }
    }
  }
  for (size_t len : {4096u, 65535u, 69999u}) {
    const uint32_t ref = checksum_fold(raw_sum_reference(buf.data(), len));
    ASSERT_EQ(checksum_fold(raw_sum(buf.data(), len)), ref);
  }
  // All 0xff: the worst case for carries in the wide accumulators.
  std::vector<uint8_t> ones(70000, 0xff);
  ASSERT_EQ(checksum_fold(raw_sum(ones.data(), ones.size())),
            checksum_fold(raw_sum_reference(ones.data(), ones.size())));
}

TEST(PacketChecksum, BuiltFramesVerify) {
  using testing::build_frame;
  for (uint32_t payload = 0; payload < 64; ++payload) {
    for (uint8_t proto : {kProtoTcp, kProtoUdp}) {
      const auto f4 = build_frame({.proto = proto, .payload = payload, .seed = payload});
      const uint32_t l4_len = static_cast<uint32_t>(f4[16] << 8 | f4[17]) - 20;
      EXPECT_TRUE(ipv4_header_checksum_ok(&f4[14]));
      EXPECT_TRUE(ipv4_l4_checksum_ok(&f4[14], &f4[34], l4_len, proto));
      const auto f6 = build_frame({.l3 = testing::L3::kIpv6, .proto = proto, .payload = payload});
      EXPECT_TRUE(ipv6_l4_checksum_ok(&f6[14], &f6[54], f6[18] << 8 | f6[19], proto));
    }
  }
}

// The inline TCP/UDP checksums (pseudo-header fused with the data, checksum
// field subtracted instead of skipped) against the references: every length
// up to past the AVX2 threshold, odd offsets, random and all-zero / all-ones
// data, every protocol the functions take.
TEST(PacketChecksum, L4FastMatchesReference) {
  std::mt19937 rng(11);
  std::vector<uint8_t> buf(2100);
  for (const int fill : {-1, 0x00, 0xff}) {
    for (auto& b : buf)
      b = static_cast<uint8_t>(fill < 0 ? rng() : fill);
    for (uint32_t len = 0; len < 1600; len += len < 300 ? 1 : 7) {
      for (const size_t off : {0u, 1u, 3u}) {
        const uint8_t* ip = buf.data() + 1 + off;  // 40 bytes of "IP header"
        const uint8_t* l4 = buf.data() + 60 + off;
        for (const uint8_t proto : {kProtoTcp, kProtoUdp, kProtoIcmp, kProtoIcmpv6, uint8_t{0}}) {
          ASSERT_EQ(ipv4_l4_checksum(ip, l4, len, proto),
                    ipv4_l4_checksum_reference(ip, l4, len, proto))
              << len << " " << int{proto};
          ASSERT_EQ(ipv6_l4_checksum(ip, l4, len, proto),
                    ipv6_l4_checksum_reference(ip, l4, len, proto))
              << len << " " << int{proto};
        }
      }
    }
  }
  // 32-bit lengths (IPv6 jumbograms): the pseudo-header carries all 32 bits.
  const uint32_t big = 70000;
  std::vector<uint8_t> jumbo(big + 64);
  for (auto& b : jumbo)
    b = static_cast<uint8_t>(rng());
  for (const uint8_t proto : {kProtoTcp, kProtoUdp}) {
    ASSERT_EQ(ipv6_l4_checksum(jumbo.data(), jumbo.data() + 40, big, proto),
              ipv6_l4_checksum_reference(jumbo.data(), jumbo.data() + 40, big, proto));
    ASSERT_EQ(ipv4_l4_checksum(jumbo.data(), jumbo.data() + 40, big, proto),
              ipv4_l4_checksum_reference(jumbo.data(), jumbo.data() + 40, big, proto));
  }
}

TEST(PacketChecksum, Ipv4HeaderFastMatchesReference) {
  std::mt19937 rng(5);
  uint8_t h[60];
  for (int i = 0; i < 20000; ++i) {
    for (auto& b : h)
      b = static_cast<uint8_t>(rng());
    if (i % 2) h[0] = 0x45;  // the inline case half of the time
    ASSERT_EQ(ipv4_header_checksum(h), ipv4_header_checksum_reference(h)) << i;
  }
}

}  // namespace
}  // namespace deltaplane::packet
