// Lcore/queue placement: pairing, NUMA affinity, explicit maps, TX queues.
#include "runtime/placement.hh"

#include <gtest/gtest.h>

#include "base/error.hh"

namespace deltaplane::runtime {
namespace {

using config::AppConfig;
using config::PortTopology;

std::string error_of(const std::vector<PortInfo>& p, const std::vector<LcoreInfo>& l,
                     const AppConfig& c) {
  try {
    place(p, l, c);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Topology, PairsChainsLoops) {
  EXPECT_EQ(tx_ports_for({0, 1, 2, 3}, PortTopology::kAuto), (std::vector<uint16_t>{1, 0, 3, 2}));
  EXPECT_EQ(tx_ports_for({0}, PortTopology::kAuto), (std::vector<uint16_t>{0}));
  EXPECT_EQ(tx_ports_for({0, 1, 2}, PortTopology::kAuto), (std::vector<uint16_t>{1, 2, 0}));
  EXPECT_EQ(tx_ports_for({4, 7}, PortTopology::kLoop), (std::vector<uint16_t>{4, 7}));
  EXPECT_EQ(tx_ports_for({0, 1, 2}, PortTopology::kChained), (std::vector<uint16_t>{1, 2, 0}));
  EXPECT_THROW(tx_ports_for({0, 1, 2}, PortTopology::kPaired), Error);
}

TEST(Placement, OneLcoreTwoPorts) {
  AppConfig c;
  auto pl = place({{0, -1}, {1, -1}}, {{1, 0}}, c);
  ASSERT_EQ(pl.lcores.size(), 1u);
  ASSERT_EQ(pl.lcores[0].streams.size(), 2u);
  EXPECT_EQ(pl.lcores[0].streams[0].rx_port, 0);
  EXPECT_EQ(pl.lcores[0].streams[0].tx_port, 1);
  EXPECT_EQ(pl.lcores[0].streams[1].tx_port, 0);
  EXPECT_EQ(pl.queues[0].rx_queues, 1);
  EXPECT_EQ(pl.queues[0].tx_queues, 1);
  EXPECT_TRUE(pl.warnings.empty());
}

TEST(Placement, EachLcoreOwnsItsTxQueue) {
  AppConfig c;
  c.rx_queues = 2;
  auto pl = place({{0, 0}, {1, 0}}, {{1, 0}, {2, 0}}, c);
  // 4 RX queues spread evenly, each lcore sends to each port on its own queue.
  EXPECT_EQ(pl.lcores[0].streams.size(), 2u);
  EXPECT_EQ(pl.lcores[1].streams.size(), 2u);
  EXPECT_EQ(pl.queues[0].tx_queues, 2);
  EXPECT_EQ(pl.queues[1].tx_queues, 2);
  for (const auto& l : pl.lcores)
    for (const auto& s : l.streams)
      EXPECT_EQ(s.tx_queue, l.lcore == 1 ? 0 : 1);
}

TEST(Placement, PrefersLcoresOnThePortSocket) {
  AppConfig c;
  auto pl = place({{0, 1}, {1, 0}}, {{1, 0}, {2, 1}}, c);
  EXPECT_EQ(pl.lcores[0].streams.at(0).rx_port, 1);  // lcore 1 on socket 0
  EXPECT_EQ(pl.lcores[1].streams.at(0).rx_port, 0);  // lcore 2 on socket 1
  EXPECT_TRUE(pl.warnings.empty());
}

TEST(Placement, WarnsOnCrossNode) {
  AppConfig c;
  auto pl = place({{0, 1}}, {{1, 0}}, c);
  ASSERT_EQ(pl.warnings.size(), 1u);
  EXPECT_NE(pl.warnings[0].find("cross-NUMA"), std::string::npos);
}

TEST(Placement, IdleLcoreIsReported) {
  AppConfig c;
  auto pl = place({{0, -1}}, {{1, 0}, {2, 0}}, c);
  ASSERT_EQ(pl.warnings.size(), 1u);
  EXPECT_NE(pl.warnings[0].find("lcore 2 has no RX queue"), std::string::npos);
}

TEST(Placement, ExplicitMap) {
  AppConfig c;
  c.queue_map = config::parse_queue_map("(0,0,1),(0,1,2),(1,0,2)");
  auto pl = place({{0, -1}, {1, -1}}, {{1, 0}, {2, 0}}, c);
  EXPECT_EQ(pl.queues[0].rx_queues, 2);
  EXPECT_EQ(pl.queues[1].rx_queues, 1);
  ASSERT_EQ(pl.lcores[1].streams.size(), 2u);
  EXPECT_EQ(pl.lcores[1].streams[1].rx_port, 1);
}

TEST(Placement, ExplicitMapErrors) {
  AppConfig c;
  c.queue_map = config::parse_queue_map("(0,0,3)");
  EXPECT_EQ(error_of({{0, -1}}, {{1, 0}}, c),
            "--config: lcore 3 is not a worker lcore (enable it with -l/--lcores; the main lcore "
            "does not forward)");
  c.queue_map = config::parse_queue_map("(0,1,1)");
  EXPECT_EQ(error_of({{0, -1}}, {{1, 0}}, c),
            "--config: port 0 queue 0 is not mapped to any lcore (queues must be 0..N-1)");
  c.queue_map = config::parse_queue_map("(5,0,1)");
  EXPECT_EQ(error_of({{0, -1}}, {{1, 0}}, c), "--config: port 5 is not a port in use");
  // An unpolled port is fine as a TX destination (TX-only), a mistake otherwise.
  c.queue_map = config::parse_queue_map("(0,0,1)");
  c.topology = PortTopology::kLoop;
  EXPECT_EQ(error_of({{0, -1}, {1, -1}}, {{1, 0}}, c),
            "--config: port 1 has no queue mapped (map it or leave it out with --ports)");
  c.topology = PortTopology::kPaired;
  const Placement pl = place({{0, -1}, {1, -1}}, {{1, 0}}, c);
  EXPECT_EQ(pl.queues[1].rx_queues, 0);
  EXPECT_EQ(pl.queues[1].tx_queues, 1);
  ASSERT_EQ(pl.warnings.size(), 1u);
  EXPECT_EQ(pl.warnings[0], "port 1 is TX-only: no lcore polls its RX queues (--config)");
}

TEST(Placement, NeedsWorkersAndPorts) {
  AppConfig c;
  EXPECT_EQ(error_of({{0, -1}}, {}, c),
            "no worker lcore: the main lcore only controls, so give at least two lcores (e.g. "
            "-l 0-1)");
  EXPECT_EQ(error_of({}, {{1, 0}}, c),
            "no ports to forward on (add --no-pci --vdev ... or -a PCI_ADDRESS)");
}

}  // namespace
}  // namespace deltaplane::runtime
