#include "engines/generator.hh"

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>

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

template <bool kFlowgen>
int generator_lcore_main(void* arg) noexcept {
  LcoreContext& ctx = *static_cast<LcoreContext*>(arg);
  rte_mbuf* pkts[kMaxBurst];
  const uint16_t burst = ctx.burst;
  const uint16_t len = ctx.tx_pkt_len;
  const uint32_t flows = ctx.gen_flows;
  uint32_t flow = 0;
  // Token bucket: `tokens` packets may leave now; refilled from the TSC.
  const uint64_t hz = rte_get_tsc_hz();
  const double per_cycle =
      ctx.tx_rate ? static_cast<double>(ctx.tx_rate) / static_cast<double>(hz) : 0;
  double tokens = burst;
  uint64_t last = rte_rdtsc();
  alignas(64) uint8_t tmpl[9600];
  build_generated_frame(tmpl, len, 0);

  detail::RunGate gate(ctx);
  while (gate.pass()) {
    for (uint16_t si = 0; si < ctx.nb_streams; ++si) {
      const Stream& s = ctx.streams[si];
      stats::StreamCounters& sc = ctx.stream_counters[si];
      uint16_t n = burst;
      if (per_cycle > 0) {
        const uint64_t now = rte_rdtsc();
        tokens += static_cast<double>(now - last) * per_cycle;
        last = now;
        if (tokens > 2.0 * burst) tokens = 2.0 * burst;  // no bursts after idling
        if (tokens < 1) continue;
        if (tokens < n) n = static_cast<uint16_t>(tokens);
        tokens -= n;
      }
      ctx.counters.polls.add(1);
      if (rte_pktmbuf_alloc_bulk(ctx.tx_pool, pkts, n) != 0) [[unlikely]] {
        ctx.counters.empty_polls.add(1);  // pool exhausted: try again
        continue;
      }
      for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        auto* p = rte_pktmbuf_mtod(m, uint8_t*);
        if constexpr (kFlowgen) {
          build_generated_frame(p, len, flow);
          flow = flow + 1 == flows ? 0 : flow + 1;
        } else {
          std::memcpy(p, tmpl, len);
        }
        m->data_len = len;
        m->pkt_len = len;
        m->nb_segs = 1;
        m->port = s.tx_port;
      }
      const uint64_t bytes = uint64_t{n} * len;
      sc.rx_packets.add(n);  // generated
      sc.rx_bytes.add(bytes);
      const uint16_t sent = rte_eth_tx_burst(s.tx_port, s.tx_queue, pkts, n);
      if (sent == n) [[likely]] {
        sc.tx_packets.add(n);
        sc.tx_bytes.add(bytes);
      } else {
        detail::finish_tx(s, pkts, n, sent, bytes, ctx);
      }
    }
  }
  return 0;
}

template int generator_lcore_main<false>(void*) noexcept;
template int generator_lcore_main<true>(void*) noexcept;

}  // namespace deltaplane::engines
