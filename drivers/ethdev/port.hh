// An ethdev port (real NIC or vdev) configured, started and, on destruction,
// stopped and closed. Queue and descriptor counts are clamped to what the device
// supports; RSS is enabled when it has more than one RX queue.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/app_config.hh"
#include "runtime/placement.hh"

struct rte_mempool;

namespace deltaplane::drivers {

struct PortSetup {
  uint16_t rx_queues = 1, tx_queues = 1;
  uint16_t rx_desc = 1024, tx_desc = 1024;
  uint32_t max_frame = 9600;
  uint16_t mbuf_data_room = 2048;
  bool checksum_offload = false;  // ask for RX checksum flags and TX checksum offload
  bool promiscuous = true;
  uint32_t link_wait_ms = 2000;
  rte_mempool* pool = nullptr;
};

class EthPort {
 public:
  EthPort(uint16_t id, const PortSetup& setup);  // configures and starts; throws Error
  ~EthPort();
  EthPort(const EthPort&) = delete;
  EthPort& operator=(const EthPort&) = delete;
  EthPort(EthPort&& o) noexcept;
  EthPort& operator=(EthPort&&) = delete;

  uint16_t id() const noexcept { return id_; }
  const std::string& name() const noexcept { return name_; }
  int socket() const noexcept { return socket_; }
  uint16_t rx_desc() const noexcept { return rx_desc_; }
  uint16_t tx_desc() const noexcept { return tx_desc_; }
  const std::vector<std::string>& notes() const noexcept { return notes_; }
  // TX checksum offloads in effect (RTE_ETH_TX_OFFLOAD_{IPV4,TCP,UDP}_CKSUM bits).
  uint64_t tx_checksum_offloads() const noexcept { return tx_csum_; }
  // RX IPv4 checksum offload in effect (mbufs carry RTE_MBUF_F_RX_IP_CKSUM_* flags).
  bool rx_checksum_flags() const noexcept { return rx_csum_ != 0; }
  std::string link_status() const;

  // Ports the EAL probed, and a readable list of them for error messages.
  static std::vector<uint16_t> available();
  // `wanted` (--ports), or every probed port when empty; throws Error naming
  // what exists when a port does not, or when there is none.
  static std::vector<uint16_t> ports_in_use(const std::vector<uint16_t>& wanted);
  static std::string describe_available();
  static bool exists(uint16_t id);
  static std::string name_of(uint16_t id);
  static int socket_of(uint16_t id);  // -1 when the device does not know

 private:
  uint16_t id_;
  bool started_ = false;
  std::string name_;
  int socket_ = -1;
  uint16_t rx_desc_ = 0, tx_desc_ = 0;
  std::vector<std::string> notes_;  // clamping and capability notes for the log
  uint64_t tx_csum_ = 0;
  uint64_t rx_csum_ = 0;
};

// A port's set-up from the configuration and its placement.
PortSetup port_setup(const config::AppConfig& cfg, const runtime::PortQueues& queues,
                     rte_mempool* pool);

// Warnings for rx_pcap files net_pcap would misread (it treats every capture as
// Ethernet, whatever its link type). Empty when all files are Ethernet.
std::vector<std::string> check_pcap_link_types(const std::vector<std::string>& files);

}  // namespace deltaplane::drivers
