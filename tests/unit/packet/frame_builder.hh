// Test helper: builds Ethernet frames (VLAN tags, IPv4 with options, IPv6 with
// extension headers, TCP/UDP/ICMP/SCTP) with correct lengths and checksums, so
// a test can start from a valid frame and break exactly one thing. Also reads
// the Ethernet frames of a pcap/pcapng file. Tests and benchmarks only.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "packet/checksum.hh"
#include "packet/protocol.hh"

namespace deltaplane::packet::testing {

using Bytes = std::vector<uint8_t>;

enum class L3 { kIpv4, kIpv6, kArp };

struct FrameSpec {
  std::vector<std::pair<uint16_t, uint16_t>> vlans;  // (TPID, TCI), outermost first
  L3 l3 = L3::kIpv4;
  uint8_t proto = kProtoTcp;
  uint32_t payload = 0;            // bytes after the L4 header
  uint32_t ipv4_option_bytes = 0;  // multiple of 4, <= 40
  uint8_t ttl = 64;
  uint16_t frag_offset = 0;  // 8-byte units (IPv4 or IPv6 fragment header)
  bool more_fragments = false;
  bool dont_fragment = true;
  std::vector<uint8_t> ipv6_ext;  // next-header values of extension headers, in order
  uint32_t tcp_option_bytes = 0;  // multiple of 4, <= 40
  uint32_t pad_to = 60;           // Ethernet minimum without FCS
  uint32_t seed = 1;              // varies addresses, ports and payload bytes
};

inline void put16(Bytes& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v >> 8);
  b[off + 1] = static_cast<uint8_t>(v);
}

inline uint32_t l4_header_len(const FrameSpec& s) {
  switch (s.proto) {
    case kProtoTcp: return 20 + s.tcp_option_bytes;
    case kProtoUdp:
    case kProtoIcmp:
    case kProtoIcmpv6: return 8;
    case kProtoSctp: return 12;
    default: return 0;
  }
}

inline Bytes build_frame(const FrameSpec& s) {
  Bytes f;
  uint32_t x = s.seed * 2654435761u + 12345;
  auto rnd = [&x]() {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return static_cast<uint8_t>(x);
  };
  for (int i = 0; i < 12; ++i)
    f.push_back(rnd() & 0xfe);  // unicast MACs
  for (auto [tpid, tci] : s.vlans) {
    f.push_back(static_cast<uint8_t>(tpid >> 8));
    f.push_back(static_cast<uint8_t>(tpid));
    f.push_back(static_cast<uint8_t>(tci >> 8));
    f.push_back(static_cast<uint8_t>(tci));
  }
  const uint16_t et = s.l3 == L3::kIpv4   ? kEtherTypeIpv4
                      : s.l3 == L3::kIpv6 ? kEtherTypeIpv6
                                          : kEtherTypeArp;
  f.push_back(static_cast<uint8_t>(et >> 8));
  f.push_back(static_cast<uint8_t>(et));
  const size_t l3 = f.size();
  if (s.l3 == L3::kArp) {
    const uint8_t arp[8] = {0, 1, 8, 0, 6, 4, 0, 1};
    f.insert(f.end(), arp, arp + 8);
    for (int i = 0; i < 20; ++i)
      f.push_back(rnd());
    if (f.size() < s.pad_to) f.resize(s.pad_to, 0);
    return f;
  }
  const uint32_t l4h = l4_header_len(s);
  size_t l4 = 0;
  if (s.l3 == L3::kIpv4) {
    const uint32_t ihl = 20 + s.ipv4_option_bytes;
    f.resize(l3 + ihl, 0);
    f[l3] = static_cast<uint8_t>(0x40 | (ihl / 4));
    put16(f, l3 + 2, static_cast<uint16_t>(ihl + l4h + s.payload));
    put16(f, l3 + 4, static_cast<uint16_t>(s.seed));
    put16(f, l3 + 6,
          static_cast<uint16_t>((s.dont_fragment ? 0x4000 : 0) | (s.more_fragments ? 0x2000 : 0) |
                                (s.frag_offset & 0x1fff)));
    f[l3 + 8] = s.ttl;
    f[l3 + 9] = s.proto;
    for (int i = 12; i < 20; ++i)
      f[l3 + i] = rnd();
    for (uint32_t i = 20; i < ihl; ++i)
      f[l3 + i] = 0x01;  // NOP options
    l4 = f.size();
  } else {
    f.resize(l3 + 40, 0);
    f[l3] = 0x60;
    f[l3 + 7] = 64;
    for (int i = 8; i < 40; ++i)
      f[l3 + i] = rnd();
    uint8_t* next = &f[l3 + 6];
    for (uint8_t type : s.ipv6_ext) {
      *next = type;
      const size_t off = f.size();
      const size_t size = type == kProtoAh ? 16 : 8;
      f.resize(off + size, 0);
      if (type == kProtoAh) {
        f[off + 1] = 2;  // (2 + 2) * 4 = 16 bytes
      } else if (type == kProtoFragment) {
        put16(f, off + 2, static_cast<uint16_t>((s.frag_offset << 3) | (s.more_fragments ? 1 : 0)));
        put16(f, off + 4, static_cast<uint16_t>(s.seed));
      } else {
        f[off + 2] = 1;  // PadN option filling the rest of the 8 bytes
        f[off + 3] = 4;
      }
      next = &f[off];
    }
    *next = s.proto;
    l4 = f.size();
  }
  f.resize(l4 + l4h, 0);
  for (uint32_t i = 0; i < s.payload; ++i)
    f.push_back(rnd());
  const uint32_t l4_len = static_cast<uint32_t>(f.size() - l4);
  if (s.l3 == L3::kIpv6) put16(f, l3 + 4, static_cast<uint16_t>(f.size() - l3 - 40));
  const bool later_fragment = s.frag_offset != 0;
  if (!later_fragment) {
    if (s.proto == kProtoTcp || s.proto == kProtoUdp || s.proto == kProtoSctp) {
      put16(f, l4, static_cast<uint16_t>(1024 + (s.seed % 50000)));
      put16(f, l4 + 2, static_cast<uint16_t>(s.seed % 7 == 0 ? 443 : 80 + s.seed % 3));
    }
    if (s.proto == kProtoTcp) {
      f[l4 + 12] = static_cast<uint8_t>(((20 + s.tcp_option_bytes) / 4) << 4);
      f[l4 + 13] = 0x18;  // PSH ACK
      for (uint32_t i = 20; i < l4h; ++i)
        f[l4 + i] = 0x01;
    } else if (s.proto == kProtoUdp) {
      put16(f, l4 + 4, static_cast<uint16_t>(l4_len));
    } else if (s.proto == kProtoIcmp || s.proto == kProtoIcmpv6) {
      f[l4] = s.proto == kProtoIcmp ? 8 : 128;  // echo request
    }
    const int csum_off = l4_checksum_offset(s.proto);
    const bool icmp_mismatch = (s.proto == kProtoIcmp && s.l3 != L3::kIpv4) ||
                               (s.proto == kProtoIcmpv6 && s.l3 != L3::kIpv6);
    if (csum_off >= 0 && !icmp_mismatch && !s.more_fragments && f.size() >= l4 + csum_off + 2) {
      const uint16_t c = s.l3 == L3::kIpv4 ? ipv4_l4_checksum(&f[l3], &f[l4], l4_len, s.proto)
                                           : ipv6_l4_checksum(&f[l3], &f[l4], l4_len, s.proto);
      std::memcpy(&f[l4 + csum_off], &c, 2);
    }
  }
  if (s.l3 == L3::kIpv4) {
    const uint16_t c = ipv4_header_checksum(&f[l3]);
    std::memcpy(&f[l3 + 10], &c, 2);
  }
  if (f.size() < s.pad_to) f.resize(s.pad_to, 0);
  return f;
}

// Recompute the IPv4 header checksum of a frame whose IPv4 header is at l3.
inline void fix_ipv4_checksum(Bytes& f, size_t l3) {
  f[l3 + 10] = f[l3 + 11] = 0;
  const uint16_t c = ipv4_header_checksum(&f[l3]);
  std::memcpy(&f[l3 + 10], &c, 2);
}

// Ethernet frames of one capture file; empty for other link types.
inline std::vector<Bytes> read_pcap_ethernet(const std::string& path, bool* is_ethernet = nullptr) {
  std::vector<Bytes> frames;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) return frames;
  const bool eth = pcap_datalink(p) == DLT_EN10MB;
  if (is_ethernet) *is_ethernet = eth;
  if (eth) {
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1)
      frames.emplace_back(d, d + h->caplen);
  }
  pcap_close(p);
  return frames;
}

}  // namespace deltaplane::packet::testing
