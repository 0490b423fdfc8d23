// Packet buffer pools: one per NUMA socket in use (as l3fwd's init_mem), each
// sized so that every RX/TX descriptor, every lcore cache and every burst in
// flight can hold an mbuf at once.
#pragma once

#include <cstdint>
#include <map>
#include <string>

struct rte_mempool;

namespace deltaplane::runtime {

struct PoolDemand {
  uint64_t rx_descriptors = 0;  // sum of rxq * rxd over the socket's ports
  uint64_t tx_descriptors = 0;  // sum of txq * txd
  unsigned lcores = 0;          // lcores that allocate/free from this pool
  uint16_t cache_size = 0;
  uint16_t burst = 32;
  uint32_t segments_per_frame = 1;  // max_frame split over data-room-sized segments
  uint32_t burst_expansion = 0;     // frames a decoding lcore may restore from one burst
};

// Number of mbufs a pool needs for `d`, rounded up to 2^n - 1 (the size the
// ring-based mempool handler uses best).
uint32_t mbufs_needed(const PoolDemand& d) noexcept;

// Non-copyable owner of one rte_mempool.
class Mempool {
 public:
  Mempool(const std::string& name, uint32_t mbufs, uint16_t cache, uint16_t data_room, int socket);
  ~Mempool();
  Mempool(const Mempool&) = delete;
  Mempool& operator=(const Mempool&) = delete;

  rte_mempool* get() const noexcept { return pool_; }
  uint32_t size() const noexcept { return size_; }
  unsigned in_use() const noexcept;
  unsigned available() const noexcept;

 private:
  rte_mempool* pool_ = nullptr;
  uint32_t size_ = 0;
};

}  // namespace deltaplane::runtime
