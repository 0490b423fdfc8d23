// Preflight findings from a fake sysfs tree, and mempool sizing.
#include "runtime/preflight.hh"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/mempool.hh"
#include "runtime/mempool_plan.hh"

namespace deltaplane::runtime {
namespace {

namespace fs = std::filesystem;

class FakeSys : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(testing::TempDir()) / ("dp_sys_" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void put(const std::string& rel, const std::string& content) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }
  fs::path root_;
};

Level worst(const std::vector<Finding>& fs) {
  Level l = Level::kOk;
  for (const auto& f : fs)
    l = std::max(l, f.level);
  return l;
}

TEST_F(FakeSys, NoHugepagesIsFatalWithAFix) {
  put("proc/mounts", "sysfs /sys sysfs rw 0 0\n");
  auto f = read_system_facts(root_, {1});
  auto out = check_hugepages(f, MemoryPlan{});
  ASSERT_EQ(worst(out), Level::kFatal);
  EXPECT_NE(out[0].fix.find("nr_hugepages"), std::string::npos);
  EXPECT_NE(out[0].fix.find("--no-huge"), std::string::npos);
}

TEST_F(FakeSys, NoHugeModeIsInfo) {
  auto f = read_system_facts(root_, {1});
  MemoryPlan p;
  p.no_huge = true;
  EXPECT_EQ(worst(check_hugepages(f, p)), Level::kInfo);
}

TEST_F(FakeSys, EnoughHugepagesIsOk) {
  put("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "512\n");
  put("sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "500\n");
  put("sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "512\n");
  put("sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "500\n");
  put("proc/mounts", "nodev /dev/hugepages hugetlbfs rw 0 0\n");
  auto f = read_system_facts(root_, {1});
  EXPECT_EQ(f.hugepages_free, 500u);
  ASSERT_EQ(f.nodes.size(), 1u);
  MemoryPlan p;
  p.bytes_per_socket[0] = 100 << 20;
  EXPECT_EQ(worst(check_hugepages(f, p)), Level::kOk);
  p.bytes_per_socket[0] = 2000ull << 20;  // more than 500 x 2 MiB
  EXPECT_EQ(worst(check_hugepages(f, p)), Level::kFatal);
}

TEST_F(FakeSys, HugepagesOnTheWrongNodeWarn) {
  put("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "512\n");
  put("sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "512\n");
  put("sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "512\n");
  put("sys/devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages", "0\n");
  put("proc/mounts", "nodev /dev/hugepages hugetlbfs rw 0 0\n");
  auto f = read_system_facts(root_, {});
  ASSERT_EQ(f.nodes.size(), 2u);
  MemoryPlan p;
  p.bytes_per_socket[1] = 64 << 20;
  auto out = check_hugepages(f, p);
  EXPECT_EQ(worst(out), Level::kWarning);
  EXPECT_NE(out.back().message.find("NUMA node 1"), std::string::npos);
}

TEST_F(FakeSys, UnmountedHugetlbfsIsFatal) {
  put("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "512\n");
  put("sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "512\n");
  put("proc/mounts", "\n");
  auto out = check_hugepages(read_system_facts(root_, {}), MemoryPlan{});
  EXPECT_EQ(worst(out), Level::kFatal);
  EXPECT_EQ(out[0].fix, "mount -t hugetlbfs nodev /dev/hugepages");
}

TEST_F(FakeSys, GovernorAndIsolation) {
  put("sys/devices/system/cpu/isolated", "2-3\n");
  put("sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave\n");
  put("sys/devices/system/cpu/cpu2/cpufreq/scaling_governor", "performance\n");
  auto f = read_system_facts(root_, {1, 2});
  auto out = check_cpus(f, {1, 2});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].level, Level::kWarning);
  EXPECT_NE(out[0].message.find("cpu1=powersave"), std::string::npos);
  EXPECT_EQ(out[1].level, Level::kWarning);
  EXPECT_NE(out[1].message.find(" 1"), std::string::npos);
  EXPECT_EQ(check_cpus(f, {2, 3})[1].level, Level::kOk);
}

TEST(CpuList, Parses) {
  EXPECT_EQ(parse_cpu_list("0-2,5,7-8\n"), (std::vector<unsigned>{0, 1, 2, 5, 7, 8}));
  EXPECT_TRUE(parse_cpu_list("").empty());
}

TEST(Preflight, FormatsAndJson) {
  Preflight p;
  p.add({Level::kWarning, "numa", "far", "move"});
  EXPECT_FALSE(p.fatal());
  EXPECT_EQ(p.format(), "preflight: [warning] numa: far — fix: move\n");
  p.add({Level::kFatal, "hugepages", "none", ""});
  EXPECT_TRUE(p.fatal());
  JsonWriter w;
  w.begin_object();
  p.write_json(w);
  w.end_object();
  EXPECT_NE(w.str().find("\"ok\": false"), std::string::npos);
}

TEST(Mempool, SizingCoversDescriptorsCachesAndBursts) {
  PoolDemand d;
  d.rx_descriptors = 2 * 1024;
  d.tx_descriptors = 2 * 1024;
  d.lcores = 1;
  d.cache_size = 256;
  d.burst = 32;
  uint32_t n = mbufs_needed(d);
  EXPECT_GE(n, 4096u + 384 + 64);
  EXPECT_EQ((n + 1) & n, 0u) << "size should be 2^k - 1";
  d.segments_per_frame = 5;
  EXPECT_GE(mbufs_needed(d), n);
}

TEST(Mempool, DecodersHoldTheFramesOneBurstRestores) {
  PoolDemand d;
  d.lcores = 2;
  d.burst = 32;
  const uint32_t plain = mbufs_needed(d);
  d.burst_expansion = config::kMaxBurst;
  EXPECT_GE(mbufs_needed(d), plain + 2u * config::kMaxBurst);
}

TEST(Mempool, PlanCountsADecodersExpansionAndADriversRing) {
  config::AppConfig cfg;
  std::vector<PortDemand> ports{{.port = 0, .socket = 0, .rx_queues = 1, .tx_queues = 1}};
  cfg.engine = config::Engine::kIo;
  const uint32_t io = plan_mempools(cfg, ports, 2, 0, true).per_socket.at(0);
  cfg.engine = config::Engine::kDecode;
  const uint32_t decode = plan_mempools(cfg, ports, 2, 0, true).per_socket.at(0);
  EXPECT_GE(decode, io + 2u * config::kMaxBurst);
  ports[0].driver_slots = 16384;  // e.g. --wire's ring towards the port
  EXPECT_GE(plan_mempools(cfg, ports, 2, 0, true).per_socket.at(0), decode + 16384);
}

}  // namespace
}  // namespace deltaplane::runtime
