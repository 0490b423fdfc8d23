#include "engines/generator.hh"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

namespace deltaplane::engines {

void build_generated_frame(uint8_t* p, uint16_t len, uint32_t flow) noexcept {
  auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
  const rte_ether_addr dst = {{0x02, 0, 0, 0, 0, 0x02}}, src = {{0x02, 0, 0, 0, 0, 0x01}};
  eth->dst_addr = dst;
  eth->src_addr = src;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
  const uint16_t ip_len = static_cast<uint16_t>(len - RTE_ETHER_HDR_LEN);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->type_of_service = 0;
  ip->total_length = rte_cpu_to_be_16(ip_len);
  ip->packet_id = 0;
  ip->fragment_offset = 0;
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_UDP;
  ip->src_addr = rte_cpu_to_be_32(0xC6120000u | (flow & 0xffff));  // 198.18.0.0/15 (RFC 2544)
  ip->dst_addr = rte_cpu_to_be_32(0xC6130001u);
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  udp->src_port = rte_cpu_to_be_16(static_cast<uint16_t>(1024 + (flow >> 16) % 60000));
  udp->dst_port = rte_cpu_to_be_16(9);  // discard
  udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(ip_len - sizeof(rte_ipv4_hdr)));
  udp->dgram_cksum = 0;  // optional over IPv4
  std::memset(udp + 1, 0, len - RTE_ETHER_HDR_LEN - sizeof(rte_ipv4_hdr) - sizeof(rte_udp_hdr));
}

}  // namespace deltaplane::engines
