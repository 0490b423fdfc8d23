// Hand-written frames, at least one per verdict, each run through every
// implementation (reference, fast scalar, scalar/SSE4.2/AVX2 bursts).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "check_all.hh"
#include "frame_builder.hh"
#include "packet/validate.hh"

namespace deltaplane::packet::testing {
namespace {

struct Case {
  std::string name;
  Bytes frame;
  Options opt;
  Verdict expected;
};

constexpr size_t kL3 = 14;  // untagged IP header offset

Bytes with(Bytes f, size_t off, uint8_t v) {
  f[off] = v;
  return f;
}

Bytes set16(Bytes f, size_t off, uint16_t v, bool fix_ipv4 = false) {
  put16(f, off, v);
  if (fix_ipv4) fix_ipv4_checksum(f, kL3);
  return f;
}

Bytes truncated(Bytes f, size_t n) {
  f.resize(n);
  return f;
}

std::vector<Case> cases() {
  const Options def;
  Options drop_unknown;
  drop_unknown.drop_unknown_ethertype = true;
  Options keep_ttl0;
  keep_ttl0.drop_ttl_zero = false;
  Options l4;
  l4.verify_l4_checksum = true;
  Options no_ip_csum;
  no_ip_csum.verify_ipv4_checksum = false;

  const Bytes tcp4 = build_frame({.payload = 100});
  const Bytes udp4 = build_frame({.proto = kProtoUdp, .payload = 20});
  const Bytes tcp6 = build_frame({.l3 = L3::kIpv6, .payload = 100});
  const Bytes udp6 = build_frame({.l3 = L3::kIpv6, .proto = kProtoUdp, .payload = 3});
  std::vector<Case> c;

  // ok
  c.push_back({"tcp4", tcp4, def, Verdict::kOk});
  c.push_back({"tcp4_l4csum", tcp4, l4, Verdict::kOk});
  c.push_back({"udp4_l4csum", udp4, l4, Verdict::kOk});
  c.push_back({"tcp6_l4csum", tcp6, l4, Verdict::kOk});
  c.push_back({"udp6_l4csum", udp6, l4, Verdict::kOk});
  c.push_back({"udp4_no_checksum", set16(udp4, 14 + 20 + 6, 0), l4, Verdict::kOk});
  c.push_back({"icmp4", build_frame({.proto = kProtoIcmp, .payload = 56}), l4, Verdict::kOk});
  c.push_back({"icmp6", build_frame({.l3 = L3::kIpv6, .proto = kProtoIcmpv6, .payload = 56}), l4,
               Verdict::kOk});
  c.push_back({"sctp4", build_frame({.proto = kProtoSctp, .payload = 16}), def, Verdict::kOk});
  c.push_back({"gre4_other", build_frame({.proto = 47, .payload = 24}), def, Verdict::kOk});
  c.push_back(
      {"ipv4_options", build_frame({.payload = 10, .ipv4_option_bytes = 40}), l4, Verdict::kOk});
  c.push_back(
      {"tcp_options", build_frame({.payload = 10, .tcp_option_bytes = 40}), l4, Verdict::kOk});
  c.push_back({"vlan", build_frame({.vlans = {{0x8100, 100}}, .payload = 10}), def, Verdict::kOk});
  c.push_back({"qinq_88a8", build_frame({.vlans = {{0x88a8, 10}, {0x8100, 20}}, .l3 = L3::kIpv6}),
               l4, Verdict::kOk});
  c.push_back(
      {"qinq_9100", build_frame({.vlans = {{0x9100, 10}, {0x8100, 20}}}), def, Verdict::kOk});
  c.push_back({"arp_pass", build_frame({.l3 = L3::kArp}), def, Verdict::kOk});
  c.push_back({"ipv6_ext_chain",
               build_frame({.l3 = L3::kIpv6,
                            .proto = kProtoUdp,
                            .payload = 9,
                            .ipv6_ext = {kProtoHopByHop, kProtoDestOpts, kProtoRouting, kProtoAh,
                                         kProtoDestOpts}}),
               def, Verdict::kOk});
  c.push_back({"ipv6_first_fragment",
               build_frame({.l3 = L3::kIpv6,
                            .proto = kProtoUdp,
                            .payload = 100,
                            .more_fragments = true,
                            .ipv6_ext = {kProtoFragment}}),
               l4, Verdict::kOk});
  c.push_back({"ipv6_later_fragment",
               build_frame({.l3 = L3::kIpv6,
                            .proto = kProtoUdp,
                            .payload = 100,
                            .frag_offset = 100,
                            .ipv6_ext = {kProtoFragment}}),
               l4, Verdict::kOk});
  c.push_back({"ipv6_no_next_header",
               set16(build_frame({.l3 = L3::kIpv6, .proto = kProtoNoNext}), 18, 0), def,
               Verdict::kOk});
  c.push_back({"ipv4_first_fragment",
               build_frame({.payload = 100, .more_fragments = true, .dont_fragment = false}), def,
               Verdict::kOk});
  c.push_back({"ipv4_later_fragment",
               build_frame({.proto = kProtoUdp, .payload = 100, .frag_offset = 185}), l4,
               Verdict::kOk});
  c.push_back({"ttl0_allowed", build_frame({.ttl = 0}), keep_ttl0, Verdict::kOk});
  c.push_back({"bad_ip_csum_not_checked", with(tcp4, kL3 + 10, tcp4[kL3 + 10] ^ 1), no_ip_csum,
               Verdict::kOk});
  c.push_back({"udp_shorter_than_ip", set16(udp4, 14 + 20 + 4, 9), def, Verdict::kOk});

  // runt
  c.push_back({"runt_13", truncated(tcp4, 13), def, Verdict::kRunt});
  c.push_back({"runt_ipv4_header", truncated(tcp4, 14 + 19), def, Verdict::kRunt});
  c.push_back({"runt_ipv6_header", truncated(tcp6, 14 + 39), def, Verdict::kRunt});
  c.push_back(
      {"runt_vlan_tag", truncated(build_frame({.vlans = {{0x8100, 1}}}), 17), def, Verdict::kRunt});
  // unknown_ethertype
  c.push_back(
      {"arp_drop", build_frame({.l3 = L3::kArp}), drop_unknown, Verdict::kUnknownEthertype});
  c.push_back({"llc_drop", set16(build_frame({.l3 = L3::kArp}), 12, 0x0040), drop_unknown,
               Verdict::kUnknownEthertype});
  // vlan_too_deep
  c.push_back({"three_tags", build_frame({.vlans = {{0x88a8, 1}, {0x8100, 2}, {0x8100, 3}}}), def,
               Verdict::kVlanTooDeep});
  // IPv4 header
  c.push_back({"ipv4_version_6", with(tcp4, kL3, 0x65), def, Verdict::kIpv4BadVersion});
  c.push_back({"ipv4_ihl_4", with(tcp4, kL3, 0x44), def, Verdict::kIpv4BadIhl});
  c.push_back(
      {"ipv4_total_gt_frame", set16(tcp4, kL3 + 2, 1000, true), def, Verdict::kIpv4BadTotalLength});
  c.push_back(
      {"ipv4_total_lt_ihl", set16(tcp4, kL3 + 2, 19, true), def, Verdict::kIpv4BadTotalLength});
  c.push_back(
      {"ipv4_total_zero_tso", set16(tcp4, kL3 + 2, 0, true), def, Verdict::kIpv4BadTotalLength});
  c.push_back({"ipv4_ihl_past_frame", with(truncated(tcp4, 40), kL3, 0x4f), def,
               Verdict::kIpv4BadTotalLength});
  c.push_back({"ipv4_bad_checksum", with(tcp4, kL3 + 10, tcp4[kL3 + 10] ^ 1), def,
               Verdict::kIpv4BadChecksum});
  c.push_back({"ipv4_ttl_zero", build_frame({.ttl = 0}), def, Verdict::kIpv4TtlZero});
  // fragments
  {
    Bytes f = build_frame({.payload = 100, .more_fragments = true});
    c.push_back({"tcp_first_fragment_16", set16(f, kL3 + 2, 20 + 16, true), def,
                 Verdict::kIpv4FragTooShort});
    Bytes u = build_frame({.proto = kProtoUdp, .payload = 100, .more_fragments = true});
    c.push_back(
        {"udp_first_fragment_7", set16(u, kL3 + 2, 20 + 7, true), def, Verdict::kIpv4FragTooShort});
  }
  c.push_back({"tcp_offset_1", build_frame({.payload = 100, .frag_offset = 1}), def,
               Verdict::kIpv4FragBadOffset});
  c.push_back({"ping_of_death",
               build_frame({.proto = kProtoIcmp, .payload = 100, .frag_offset = 8190}), def,
               Verdict::kIpv4FragBadOffset});
  // IPv6 header
  c.push_back({"ipv6_version_4", with(tcp6, kL3, 0x40), def, Verdict::kIpv6BadVersion});
  c.push_back(
      {"ipv6_payload_gt_frame", set16(tcp6, kL3 + 4, 1000), def, Verdict::kIpv6BadPayloadLength});
  c.push_back(
      {"ipv6_jumbo_payload_0", set16(tcp6, kL3 + 4, 0), def, Verdict::kIpv6BadPayloadLength});
  c.push_back({"ipv6_ext_9",
               build_frame({.l3 = L3::kIpv6, .ipv6_ext = std::vector<uint8_t>(9, kProtoDestOpts)}),
               def, Verdict::kIpv6ExtTooLong});
  c.push_back({"ipv6_ext_8_ok",
               build_frame({.l3 = L3::kIpv6, .ipv6_ext = std::vector<uint8_t>(8, kProtoDestOpts)}),
               def, Verdict::kOk});
  {
    Bytes f = build_frame({.l3 = L3::kIpv6, .proto = kProtoUdp, .ipv6_ext = {kProtoHopByHop}});
    c.push_back(
        {"ipv6_hbh_len_past_end", with(f, 14 + 40 + 1, 3), def, Verdict::kIpv6ExtTruncated});
    Bytes g = build_frame({.l3 = L3::kIpv6, .proto = kProtoNoNext, .ipv6_ext = {kProtoRouting}});
    c.push_back({"ipv6_ext_under_8", set16(g, kL3 + 4, 4), def, Verdict::kIpv6ExtTruncated});
  }
  // TCP / UDP / L4
  c.push_back({"tcp_doff_4", with(tcp4, 14 + 20 + 12, 0x40), def, Verdict::kTcpBadDataOffset});
  c.push_back({"tcp_doff_past_end", with(build_frame({}), 14 + 20 + 12, 0xf0), def,
               Verdict::kTcpBadDataOffset});
  c.push_back({"udp_len_7", set16(udp4, 14 + 20 + 4, 7), def, Verdict::kUdpBadLength});
  c.push_back({"udp_len_past_ip", set16(udp4, 14 + 20 + 4, 29), def, Verdict::kUdpBadLength});
  c.push_back({"tcp_bad_checksum", with(tcp4, 14 + 20 + 16, tcp4[14 + 20 + 16] ^ 0x80), l4,
               Verdict::kL4BadChecksum});
  c.push_back({"udp6_zero_checksum", set16(udp6, 14 + 40 + 6, 0), l4, Verdict::kL4BadChecksum});
  {
    const Bytes f = build_frame({.proto = kProtoIcmp, .payload = 8});
    c.push_back({"icmp4_bad_checksum", with(f, 14 + 20 + 8, f[14 + 20 + 8] ^ 0x77), l4,
                 Verdict::kL4BadChecksum});
  }
  c.push_back({"tcp_truncated", set16(tcp4, kL3 + 2, 20 + 19, true), def, Verdict::kL4Truncated});
  c.push_back({"udp6_truncated",
               set16(build_frame({.l3 = L3::kIpv6, .proto = kProtoUdp}), kL3 + 4, 7), def,
               Verdict::kL4Truncated});
  c.push_back({"sctp_truncated", set16(build_frame({.proto = kProtoSctp}), kL3 + 2, 20 + 11, true),
               def, Verdict::kL4Truncated});
  c.push_back({"ipv6_first_fragment_no_l4",
               set16(build_frame({.l3 = L3::kIpv6,
                                  .proto = kProtoTcp,
                                  .more_fragments = true,
                                  .ipv6_ext = {kProtoFragment}}),
                     kL3 + 4, 8 + 10),
               def, Verdict::kL4Truncated});
  return c;
}

TEST(PacketValidateEdge, EveryCaseMatchesAndEveryVerdictIsCovered) {
  std::set<Verdict> seen;
  for (const Case& k : cases()) {
    Verdict v;
    const std::string err = check_frame(k.frame, k.opt, &v);
    EXPECT_EQ(err, "") << k.name;
    EXPECT_EQ(verdict_name(v), verdict_name(k.expected)) << k.name;
    seen.insert(v);
  }
  for (size_t i = 0; i < kVerdictCount; ++i) {
    EXPECT_TRUE(seen.count(static_cast<Verdict>(i)))
        << "no test yields " << verdict_name(static_cast<Verdict>(i));
  }
}

TEST(PacketValidateEdge, ParsedFieldsOfTaggedTcp) {
  const Bytes f = build_frame({.vlans = {{0x88a8, 0x2123}, {0x8100, 0x0045}},
                               .payload = 7,
                               .tcp_option_bytes = 12,
                               .seed = 14});
  Parsed p;
  ASSERT_EQ(validate_reference(f.data(), static_cast<uint32_t>(f.size()), {}, &p), Verdict::kOk);
  EXPECT_EQ(p.l2_len, 22);
  EXPECT_EQ(p.l3_off(), 22);
  EXPECT_EQ(p.l4_off, 42);
  EXPECT_EQ(p.payload_off, 42 + 32);
  EXPECT_EQ(p.l3_end, 42u + 32 + 7);
  EXPECT_EQ(p.vlan_depth, 2);
  EXPECT_EQ(p.key.vlan[0], 0x123);
  EXPECT_EQ(p.key.vlan[1], 0x045);
  EXPECT_EQ(p.key.ip_version, 4);
  EXPECT_EQ(p.l4_proto(), kProtoTcp);
  EXPECT_EQ(p.l3_type, L3Type::kIpv4);
  EXPECT_EQ(p.ethertype, kEtherTypeIpv4);
  EXPECT_EQ(p.key.src_port, 1024 + 14);
  EXPECT_EQ(p.key.dst_port, 443);
  EXPECT_EQ(p.key.src[10], 0xff);
  EXPECT_EQ(p.key.src[12], f[22 + 12]);
  EXPECT_EQ(p.key.dst[15], f[22 + 19]);
  EXPECT_EQ(p.flags, 0);
}

TEST(PacketValidateEdge, ParsedFieldsOfFragmentsAndPadding) {
  Parsed p;
  const Bytes later = build_frame({.proto = kProtoUdp, .payload = 100, .frag_offset = 185});
  ASSERT_EQ(validate(later.data(), static_cast<uint32_t>(later.size()), {}, &p), Verdict::kOk);
  EXPECT_EQ(p.flags, kFlagFragment | kFlagLaterFragment);
  EXPECT_EQ(p.l4_off, 34);
  EXPECT_EQ(p.payload_off, 34);
  EXPECT_EQ(p.key.src_port, 0);
  // 20 + 8 + 1 = 29 bytes of IP in a 60-byte frame: the rest is padding.
  const Bytes small = build_frame({.proto = kProtoUdp, .payload = 1});
  ASSERT_EQ(small.size(), 60u);
  ASSERT_EQ(validate(small.data(), 60, {}, &p), Verdict::kOk);
  EXPECT_EQ(p.l3_end, 14u + 29);
  const Bytes arp = build_frame({.l3 = L3::kArp});
  ASSERT_EQ(validate(arp.data(), static_cast<uint32_t>(arp.size()), {}, &p), Verdict::kOk);
  EXPECT_EQ(p.l3_type, L3Type::kNone);
  EXPECT_EQ(p.ethertype, kEtherTypeArp);
  EXPECT_EQ(p.l4_off, 14);
  EXPECT_EQ(p.key.ip_version, 0);
}

TEST(PacketVerdict, NamesAreStableAndUnique) {
  EXPECT_EQ(static_cast<int>(Verdict::kOk), 0);
  EXPECT_EQ(verdict_name(Verdict::kOk), "ok");
  EXPECT_EQ(verdict_name(Verdict::kIpv4FragBadOffset), "ipv4_frag_bad_offset");
  EXPECT_EQ(verdict_name(Verdict::kL4Truncated), "l4_truncated");
  EXPECT_EQ(verdict_name(static_cast<Verdict>(kVerdictCount)), "invalid");
  std::set<std::string_view> names;
  for (size_t i = 0; i < kVerdictCount; ++i)
    names.insert(verdict_name(static_cast<Verdict>(i)));
  EXPECT_EQ(names.size(), kVerdictCount);
}

TEST(PacketDispatch, LevelsClampToTheCpu) {
  const SimdLevel best = best_simd_level();
  EXPECT_EQ(burst_validator(SimdLevel::kScalar).level, SimdLevel::kScalar);
  EXPECT_EQ(burst_validator(SimdLevel::kAvx2).level, best);
  EXPECT_EQ(simd_level_name(SimdLevel::kSse42), "sse42");
  std::printf("best SIMD level on this CPU: %s\n", std::string(simd_level_name(best)).c_str());
}

TEST(PacketFlowHash, DependsOnEveryField) {
  FlowKey a{};
  const uint64_t h0 = flow_hash(a);
  std::set<uint64_t> hs{h0};
  for (size_t i = 0; i < 42; ++i) {  // all but the reserved bytes
    FlowKey b = a;
    reinterpret_cast<uint8_t*>(&b)[i] ^= 1;
    hs.insert(flow_hash(b));
  }
  EXPECT_EQ(hs.size(), 43u);
  EXPECT_NE(flow_hash(a, 1), h0);
}

}  // namespace
}  // namespace deltaplane::packet::testing
