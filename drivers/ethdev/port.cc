#include "ethdev/port.hh"

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <algorithm>

#include "base/error.hh"

namespace deltaplane::drivers {

namespace {

[[noreturn]] void fail(uint16_t id, const std::string& what, int rc) {
  throw Error("port " + std::to_string(id) + " (" + EthPort::name_of(id) + "): " + what + ": " +
              rte_strerror(rc < 0 ? -rc : rc));
}

}  // namespace

std::vector<uint16_t> EthPort::available() {
  std::vector<uint16_t> ids;
  uint16_t p;
  RTE_ETH_FOREACH_DEV(p) ids.push_back(p);
  return ids;
}

std::vector<uint16_t> EthPort::ports_in_use(const std::vector<uint16_t>& wanted) {
  std::vector<uint16_t> ids = wanted.empty() ? available() : wanted;
  if (ids.empty())
    throw Error(
        "no ports: add virtual devices (--no-pci --vdev net_null0 ...) or NICs (-a PCI) before "
        "'--'");
  for (uint16_t id : ids)
    if (!exists(id))
      throw Error("--ports: port " + std::to_string(id) + " does not exist (" +
                  describe_available() + ")");
  return ids;
}

PortSetup port_setup(const config::AppConfig& cfg, const runtime::PortQueues& queues,
                     rte_mempool* pool) {
  PortSetup ps;
  ps.rx_queues = queues.rx_queues;
  ps.tx_queues = queues.tx_queues;
  ps.rx_desc = cfg.rx_desc;
  ps.tx_desc = cfg.tx_desc;
  ps.max_frame = cfg.max_frame;
  ps.mbuf_data_room = cfg.mbuf_data_room;
  ps.promiscuous = cfg.promiscuous;
  ps.link_wait_ms = cfg.link_wait_ms;
  ps.checksum_offload = cfg.csum_offload;
  ps.pool = pool;
  return ps;
}

bool EthPort::exists(uint16_t id) {
  return rte_eth_dev_is_valid_port(id) != 0;
}

std::string EthPort::name_of(uint16_t id) {
  char name[RTE_ETH_NAME_MAX_LEN] = "?";
  rte_eth_dev_get_name_by_port(id, name);
  return name;
}

int EthPort::socket_of(uint16_t id) {
  return rte_eth_dev_socket_id(id);
}

std::string EthPort::describe_available() {
  auto ids = available();
  if (ids.empty()) return "no ports were probed";
  std::string s = std::to_string(ids.size()) + " port(s) probed:";
  for (auto id : ids)
    s += " " + std::to_string(id) + "=" + name_of(id);
  return s;
}

EthPort::EthPort(uint16_t id, const PortSetup& setup) : id_(id) {
  if (!rte_eth_dev_is_valid_port(id))
    throw Error("port " + std::to_string(id) + " does not exist (" + describe_available() + ")");
  name_ = name_of(id);
  socket_ = rte_eth_dev_socket_id(id);

  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(id, &info); rc != 0) fail(id, "cannot read device info", rc);
  if (setup.rx_queues > info.max_rx_queues)
    throw Error("port " + std::to_string(id) + " (" + name_ +
                "): " + std::to_string(setup.rx_queues) + " RX queues requested, the device has " +
                std::to_string(info.max_rx_queues));
  if (setup.tx_queues > info.max_tx_queues)
    throw Error("port " + std::to_string(id) + " (" + name_ + "): needs " +
                std::to_string(setup.tx_queues) + " TX queues (one per forwarding lcore), the " +
                "device has " + std::to_string(info.max_tx_queues) + "; use fewer lcores");

  rte_eth_conf conf{};
  if (setup.rx_queues > 1) {
    uint64_t want = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
    uint64_t hf = want & info.flow_type_rss_offloads;
    if (hf) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = hf;
    } else {
      notes_.push_back("device has no RSS; frames spread over RX queues as the driver decides");
    }
  }
  // MTU from the longest frame we forward (Ethernet header + CRC not included).
  uint32_t mtu = setup.max_frame > RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN
                     ? setup.max_frame - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN
                     : RTE_ETHER_MIN_MTU;
  // ethdev checks both the MTU and the frame it implies (MTU + L2 overhead)
  // against the device's limits.
  uint32_t limit = info.max_mtu;
  if (info.max_rx_pktlen > RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN)
    limit = std::min<uint32_t>(limit, info.max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN);
  if (mtu > limit) {
    // Virtual devices report fixed limits that need not be the link's (af_packet
    // says 1500 whatever its interface has, and takes what the interface gets).
    notes_.push_back("MTU " + std::to_string(mtu) + " is above the " + std::to_string(limit) +
                     " the driver reports; configured " + std::to_string(limit) +
                     " (whether longer frames arrive is up to the device)");
    mtu = limit;
  }
  conf.rxmode.mtu = mtu;
  if (setup.max_frame > setup.mbuf_data_room) {
    if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
      conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
    if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
      conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  }
  if (setup.checksum_offload) {
    // The NIC checks checksums on RX (mbuf flags the validator trusts) and
    // fills them on TX; whatever it cannot do stays in software.
    conf.rxmode.offloads |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM;
    rx_csum_ = info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
    tx_csum_ = info.tx_offload_capa & (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
                                       RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
    conf.txmode.offloads |= tx_csum_;
    if (!tx_csum_)
      notes_.push_back("no TX checksum offload on this device: checksums are computed in software");
  }
  if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) {
    // Safe: one mempool per socket, and mbufs are never shared (refcnt 1).
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
  }

  if (int rc = rte_eth_dev_configure(id, setup.rx_queues, setup.tx_queues, &conf); rc != 0)
    fail(id,
         "cannot configure " + std::to_string(setup.rx_queues) + " RX / " +
             std::to_string(setup.tx_queues) + " TX queues",
         rc);

  rx_desc_ = setup.rx_desc;
  tx_desc_ = setup.tx_desc;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &rx_desc_, &tx_desc_); rc != 0)
    fail(id, "cannot adjust descriptor counts", rc);
  if (rx_desc_ != setup.rx_desc || tx_desc_ != setup.tx_desc)
    notes_.push_back("descriptors clamped to the device limits: rxd " + std::to_string(rx_desc_) +
                     ", txd " + std::to_string(tx_desc_));

  unsigned sock = socket_ < 0 ? SOCKET_ID_ANY : static_cast<unsigned>(socket_);
  rte_eth_rxconf rxconf = info.default_rxconf;
  rxconf.offloads = conf.rxmode.offloads;
  for (uint16_t q = 0; q < setup.rx_queues; ++q)
    if (int rc = rte_eth_rx_queue_setup(id, q, rx_desc_, sock, &rxconf, setup.pool); rc != 0)
      fail(id, "cannot set up RX queue " + std::to_string(q), rc);
  rte_eth_txconf txconf = info.default_txconf;
  txconf.offloads = conf.txmode.offloads;
  for (uint16_t q = 0; q < setup.tx_queues; ++q)
    if (int rc = rte_eth_tx_queue_setup(id, q, tx_desc_, sock, &txconf); rc != 0)
      fail(id, "cannot set up TX queue " + std::to_string(q), rc);

  if (int rc = rte_eth_dev_start(id); rc != 0) fail(id, "cannot start", rc);
  started_ = true;

  if (setup.promiscuous) {
    int rc = rte_eth_promiscuous_enable(id);
    if (rc != 0 && rc != -ENOTSUP)
      notes_.push_back(std::string("promiscuous mode not enabled: ") + rte_strerror(-rc));
  }

  if (setup.link_wait_ms) {
    uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * setup.link_wait_ms / 1000;
    rte_eth_link link{};
    while (true) {
      if (rte_eth_link_get_nowait(id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP) break;
      if (rte_get_timer_cycles() > deadline) {
        notes_.push_back("link still down after " + std::to_string(setup.link_wait_ms) +
                         " ms; forwarding starts anyway");
        break;
      }
      rte_delay_ms(50);
    }
  }
}

EthPort::EthPort(EthPort&& o) noexcept
    : id_(o.id_),
      started_(o.started_),
      name_(std::move(o.name_)),
      socket_(o.socket_),
      rx_desc_(o.rx_desc_),
      tx_desc_(o.tx_desc_),
      notes_(std::move(o.notes_)),
      tx_csum_(o.tx_csum_),
      rx_csum_(o.rx_csum_) {
  o.started_ = false;
  o.id_ = RTE_MAX_ETHPORTS;
}

EthPort::~EthPort() {
  if (id_ >= RTE_MAX_ETHPORTS) return;
  if (started_) rte_eth_dev_stop(id_);
  rte_eth_dev_close(id_);  // also flushes writers such as net_pcap's tx_pcap
}

std::string EthPort::link_status() const {
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(id_, &link) != 0) return "unknown";
  if (link.link_status != RTE_ETH_LINK_UP) return "link down";
  std::string speed = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN
                          ? std::string("unknown speed")
                          : std::to_string(link.link_speed) + " Mbps";
  return "link up, " + speed + (link.link_duplex ? ", full duplex" : ", half duplex");
}

std::vector<std::string> check_pcap_link_types(const std::vector<std::string>& files) {
  std::vector<std::string> warnings;
  for (const auto& f : files) {
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t* p = pcap_open_offline(f.c_str(), err);
    if (!p) {
      warnings.push_back("rx_pcap " + f + ": cannot open (" + err + ")");
      continue;
    }
    int dlt = pcap_datalink(p);
    if (dlt != DLT_EN10MB) {
      const char* name = pcap_datalink_val_to_name(dlt);
      warnings.push_back("rx_pcap " + f + " has link type " + (name ? name : "?") + " (" +
                         std::to_string(dlt) +
                         "), not Ethernet: net_pcap will misread its frames as Ethernet; expect "
                         "them to be dropped as invalid or forwarded as garbage");
    }
    pcap_close(p);
  }
  return warnings;
}

}  // namespace deltaplane::drivers
