// One EAL for a unit-test binary that needs DPDK objects (mbufs, rings,
// rte_hash), started with --no-pci --no-huge and a file prefix of its own,
// cleaned up at exit. Tests reach mbufs through eal_test::pool().
#pragma once

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace deltaplane::eal_test {

inline rte_mempool*& pool_slot() {
  static rte_mempool* p = nullptr;
  return p;
}
inline rte_mempool* pool() {
  return pool_slot();
}

class Environment : public ::testing::Environment {
 public:
  explicit Environment(std::string name, uint16_t data_room = 2048)
      : name_(std::move(name)), data_room_(data_room) {}
  void SetUp() override {
    // --in-memory cannot be combined with --no-huge in DPDK 22.11: no shared
    // config and a unique prefix instead.
    prefix_ = "--file-prefix=" + name_ + "-" + std::to_string(getpid());
    const char* args[] = {"deltaplane-test", "--no-pci",      "--no-huge",        "-m", "512",
                          "--no-shconf",     prefix_.c_str(), "--log-level=error"};
    std::vector<char*> argv;
    for (const char* a : args)
      argv.push_back(const_cast<char*>(a));
    ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0) << "rte_eal_init failed";
    pool_slot() = rte_pktmbuf_pool_create((name_ + "_pool").c_str(), 4095, 0, 0,
                                          static_cast<uint16_t>(RTE_PKTMBUF_HEADROOM + data_room_),
                                          SOCKET_ID_ANY);
    ASSERT_NE(pool_slot(), nullptr);
  }
  void TearDown() override {
    rte_mempool_free(pool_slot());
    rte_eal_cleanup();
    std::error_code ec;  // the EAL leaves its runtime directory behind; the prefix is ours
    std::filesystem::remove_all("/var/run/dpdk/" + prefix_.substr(prefix_.find('=') + 1), ec);
  }

 private:
  std::string name_, prefix_;
  uint16_t data_room_;
};

}  // namespace deltaplane::eal_test
