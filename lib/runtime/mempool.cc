#include "runtime/mempool.hh"

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <bit>

#include "base/error.hh"

namespace deltaplane::runtime {

uint32_t mbufs_needed(const PoolDemand& d) noexcept {
  // A mempool cache may hold up to 1.5x its size; each lcore also holds up to
  // two bursts (one received, one being retried) of multi-segment frames, and
  // a decoder the frames it restores from one burst of tunnel packets.
  uint64_t n = d.rx_descriptors + d.tx_descriptors;
  n += uint64_t{d.lcores} * (d.cache_size * 3 / 2 + 2u * d.burst * d.segments_per_frame +
                             uint64_t{d.burst_expansion} * d.segments_per_frame);
  n += 512;  // slack for the control path and pdump/telemetry clones
  uint64_t pow2 = std::bit_ceil(n + 1);
  return static_cast<uint32_t>(std::min<uint64_t>(pow2 - 1, UINT32_MAX));
}

Mempool::Mempool(const std::string& name, uint32_t mbufs, uint16_t cache, uint16_t data_room,
                 int socket)
    : size_(mbufs) {
  pool_ = rte_pktmbuf_pool_create(name.c_str(), mbufs, cache, 0,
                                  static_cast<uint16_t>(data_room + RTE_PKTMBUF_HEADROOM), socket);
  if (!pool_) {
    double mib = static_cast<double>(mbufs) * (data_room + RTE_PKTMBUF_HEADROOM + 192) / 1048576.0;
    throw Error("cannot create mempool '" + name + "' of " + std::to_string(mbufs) + " mbufs (~" +
                std::to_string(static_cast<int>(mib)) + " MiB) on socket " +
                std::to_string(socket) + ": " + rte_strerror(rte_errno) +
                " — reserve more hugepages on that node (echo N > "
                "/sys/devices/system/node/node" +
                std::to_string(socket < 0 ? 0 : socket) +
                "/hugepages/hugepages-2048kB/nr_hugepages), raise -m with --no-huge, or lower "
                "--mbufs/--rxd/--txd");
  }
}

Mempool::~Mempool() {
  rte_mempool_free(pool_);
}

unsigned Mempool::in_use() const noexcept {
  return rte_mempool_in_use_count(pool_);
}
unsigned Mempool::available() const noexcept {
  return rte_mempool_avail_count(pool_);
}

}  // namespace deltaplane::runtime
