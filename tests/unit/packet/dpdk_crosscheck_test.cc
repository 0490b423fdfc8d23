// Cross-checks lib/packet against DPDK: checksums against rte_ipv4_cksum /
// rte_ipv4_udptcp_cksum / rte_ipv6_udptcp_cksum, and the parse of valid frames
// against rte_net_get_ptype. EAL is started once for the whole binary, with
// --no-pci --no-huge --no-shconf and a unique --file-prefix. Known, intended differences are listed
// in ptype_known_difference() and in docs/validation.md.
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_ptype.h>
#include <rte_net.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "../eal_environment.hh"
#include "frame_builder.hh"
#include "packet/checksum.hh"
#include "packet/validate.hh"

namespace deltaplane::packet::testing {
namespace {

constexpr uint16_t kDataRoom = 16384;

[[maybe_unused]] ::testing::Environment* const g_env =
    ::testing::AddGlobalTestEnvironment(new eal_test::Environment("dp-packet-test", kDataRoom));

std::filesystem::path pcap_dir() {
  const char* shared = std::getenv("DELTAPLANE_SHARED");
  return std::filesystem::path(shared ? shared : "../shared") / "pcaps";
}

std::vector<Bytes> corpus() {
  const auto dir = pcap_dir();
  std::vector<Bytes> all;
  std::error_code ec;  // no captures (a clone alone): the built frames below
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    for (Bytes& f : read_pcap_ethernet(e.path().string()))
      all.push_back(std::move(f));
  }
  // Plus built frames covering every protocol/tag combination.
  uint32_t seed = 1;
  for (L3 l3 : {L3::kIpv4, L3::kIpv6}) {
    for (uint8_t proto : {kProtoTcp, kProtoUdp, kProtoSctp, kProtoIcmp, kProtoIcmpv6}) {
      for (uint32_t payload : {0u, 1u, 33u, 1000u}) {
        all.push_back(build_frame({.l3 = l3, .proto = proto, .payload = payload, .seed = seed++}));
        all.push_back(build_frame({.vlans = {{0x8100, 7}},
                                   .l3 = l3,
                                   .proto = proto,
                                   .payload = payload,
                                   .seed = seed++}));
        all.push_back(build_frame({.vlans = {{0x88a8, 7}, {0x8100, 8}},
                                   .l3 = l3,
                                   .proto = proto,
                                   .payload = payload,
                                   .ipv4_option_bytes = 8,
                                   .tcp_option_bytes = 12,
                                   .seed = seed++}));
        all.push_back(build_frame({.l3 = l3,
                                   .proto = proto,
                                   .payload = payload,
                                   .ipv6_ext = {kProtoHopByHop, kProtoDestOpts},
                                   .seed = seed++}));
      }
    }
  }
  return all;
}

uint32_t expected_ptype(const Parsed& p) {
  uint32_t t = p.vlan_depth == 0   ? RTE_PTYPE_L2_ETHER
               : p.vlan_depth == 1 ? RTE_PTYPE_L2_ETHER_VLAN
                                   : RTE_PTYPE_L2_ETHER_QINQ;
  if (p.l3_type == L3Type::kIpv4) {
    t |= p.flags & kFlagIpOptions ? RTE_PTYPE_L3_IPV4_EXT : RTE_PTYPE_L3_IPV4;
  } else if (p.l3_type == L3Type::kIpv6) {
    t |= p.flags & kFlagIpOptions ? RTE_PTYPE_L3_IPV6_EXT : RTE_PTYPE_L3_IPV6;
  }
  if (p.l3_type == L3Type::kNone) return t;
  if (p.flags & kFlagFragment) return t | RTE_PTYPE_L4_FRAG;
  switch (p.key.proto) {
    case kProtoTcp: return t | RTE_PTYPE_L4_TCP;
    case kProtoUdp: return t | RTE_PTYPE_L4_UDP;
    case kProtoSctp: return t | RTE_PTYPE_L4_SCTP;
    default: return t;  // DPDK 22.11 only types TCP, UDP and SCTP (ICMP gets no L4 type)
  }
}

// Where DPDK 22.11's rte_net_get_ptype deliberately parses less than we do.
// Returns a reason, or nullptr if the two must agree.
const char* ptype_known_difference(const Bytes& f, const Parsed& p) {
  for (uint32_t off = 12; off < p.l2_len - 2u; off += 4) {
    if (f[off] == 0x91) return "0x9100 tag: DPDK knows only 0x8100 and 0x88a8";
  }
  if (p.l3_type == L3Type::kNone) return "non-IP: DPDK reports L2 only";
  if (p.key.proto == 4 || p.key.proto == 41 || p.key.proto == 47) {
    return "tunnel protocol: DPDK reports tunnel/inner types";
  }
  return nullptr;
}

TEST(PacketDpdk, PtypeAndHeaderLengthsOfValidFrames) {
  size_t compared = 0, skipped = 0;
  for (const Bytes& f : corpus()) {
    Parsed p;
    if (validate(f.data(), static_cast<uint32_t>(f.size()), {}, &p) != Verdict::kOk) continue;
    if (f.size() > kDataRoom) continue;
    if (ptype_known_difference(f, p)) {
      ++skipped;
      continue;
    }
    rte_mbuf* m = rte_pktmbuf_alloc(eal_test::pool());
    ASSERT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())), f.data(), f.size());
    rte_net_hdr_lens lens{};
    const uint32_t ptype =
        rte_net_get_ptype(m, &lens, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);
    rte_pktmbuf_free(m);
    ++compared;
    char name[128];
    rte_get_ptype_name(ptype, name, sizeof name);
    const std::string ctx = std::string("dpdk ") + name + " frame len " + std::to_string(f.size());
    EXPECT_EQ(ptype, expected_ptype(p)) << ctx;
    EXPECT_EQ(lens.l2_len, p.l2_len) << ctx;
    if (p.flags & kFlagFragment) continue;  // DPDK stops at the fragment header
    EXPECT_EQ(lens.l3_len, p.l4_off - p.l2_len) << ctx;
    if (p.key.proto == kProtoTcp || p.key.proto == kProtoUdp || p.key.proto == kProtoSctp) {
      EXPECT_EQ(lens.l4_len, p.payload_off - p.l4_off) << ctx;
    }
  }
  std::printf("rte_net_get_ptype: %zu valid frames compared, %zu skipped as known differences\n",
              compared, skipped);
  // Every valid frame of the captures and of the builder (the builder's alone
  // when ../shared/pcaps is absent).
  EXPECT_GT(compared, std::filesystem::is_directory(pcap_dir()) ? 2500u : 100u);
}

TEST(PacketDpdk, ChecksumsMatchDpdk) {
  size_t n4 = 0, n6 = 0;
  auto check = [&](Bytes f) {
    Parsed p;
    if (validate(f.data(), static_cast<uint32_t>(f.size()), {.verify_ipv4_checksum = false}, &p) !=
            Verdict::kOk ||
        (p.flags & kFlagFragment)) {
      return;
    }
    uint8_t* ip = f.data() + p.l2_len;
    uint8_t* l4 = f.data() + p.l4_off;
    const int csum_off = l4_checksum_offset(p.key.proto);
    if (p.l3_type == L3Type::kIpv4) {
      ip[10] = ip[11] = 0;
      const uint16_t dpdk = rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip));
      ASSERT_EQ(ipv4_header_checksum(ip), dpdk);
      ASSERT_EQ(ipv4_header_checksum_reference(ip), dpdk);
      if (p.key.proto == kProtoTcp || p.key.proto == kProtoUdp) {
        l4[csum_off] = l4[csum_off + 1] = 0;
        const uint32_t l4_len = p.l3_end - p.l4_off;  // DPDK uses the IP payload length
        const uint16_t d4 = rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip), l4);
        ASSERT_EQ(ipv4_l4_checksum(ip, l4, l4_len, p.key.proto), d4);
        ASSERT_EQ(ipv4_l4_checksum_reference(ip, l4, l4_len, p.key.proto), d4);
        std::memcpy(l4 + csum_off, &d4, 2);
        ASSERT_TRUE(ipv4_l4_checksum_ok(ip, l4, l4_len, p.key.proto));
        ++n4;
      }
    } else if (p.l3_type == L3Type::kIpv6 && !(p.flags & kFlagIpOptions) &&
               (p.key.proto == kProtoTcp || p.key.proto == kProtoUdp)) {
      l4[csum_off] = l4[csum_off + 1] = 0;
      const uint32_t l4_len = p.l3_end - p.l4_off;
      const uint16_t d6 = rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr*>(ip), l4);
      ASSERT_EQ(ipv6_l4_checksum(ip, l4, l4_len, p.key.proto), d6);
      ASSERT_EQ(ipv6_l4_checksum_reference(ip, l4, l4_len, p.key.proto), d6);
      ++n6;
    }
  };
  for (const Bytes& f : corpus())
    check(f);
  std::mt19937 rng(11);
  for (int i = 0; i < 20000; ++i) {
    const uint8_t proto = rng() % 2 ? kProtoTcp : kProtoUdp;
    check(build_frame({.l3 = rng() % 2 ? L3::kIpv4 : L3::kIpv6,
                       .proto = proto,
                       .payload = static_cast<uint32_t>(rng() % 1500),
                       .ipv4_option_bytes = static_cast<uint32_t>(rng() % 11) * 4,
                       .seed = static_cast<uint32_t>(rng())}));
  }
  std::printf("checksums equal to DPDK's: %zu IPv4 and %zu IPv6 L4 segments\n", n4, n6);
}

}  // namespace
}  // namespace deltaplane::packet::testing
