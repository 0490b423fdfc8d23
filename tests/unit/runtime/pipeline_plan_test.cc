// Pipeline stage planning: roles, rings and their sync modes, stage parsing.
#include "runtime/pipeline_plan.hh"

#include <gtest/gtest.h>

#include "base/error.hh"

namespace deltaplane::runtime {
namespace {

std::vector<LcoreInfo> lcores(std::initializer_list<unsigned> ids) {
  std::vector<LcoreInfo> v;
  for (unsigned i : ids)
    v.push_back({i, 0});
  return v;
}

TEST(PipelinePlan, AutomaticRoles) {
  config::AppConfig c;
  auto p = plan_pipeline({{0, -1}, {1, -1}}, lcores({1, 2, 3, 4}), c);
  ASSERT_EQ(p.rx.size(), 1u);
  ASSERT_EQ(p.work.size(), 2u);
  ASSERT_EQ(p.tx.size(), 1u);
  EXPECT_EQ(p.rx[0].lcore, 1u);
  EXPECT_EQ(p.tx[0].lcore, 4u);
  EXPECT_EQ(p.rx[0].rx_streams.size(), 2u);
  EXPECT_EQ(p.tx[0].tx_ports, (std::vector<uint16_t>{0, 1}));
  // One RX lcore feeds each worker ring (SP); two workers feed the TX ring (MP).
  EXPECT_TRUE(p.work_rings[0].single_producer());
  EXPECT_FALSE(p.tx_rings[0].single_producer());
  EXPECT_EQ(p.tx_lcore_of_port(1), 0u);
  EXPECT_EQ(p.tx_port_of, (std::vector<uint16_t>{1, 0}));
}

TEST(PipelinePlan, ExplicitStages) {
  config::AppConfig c;
  c.stages = "rx:1-2,work:3,tx:4;5";
  c.rx_queues = 2;
  auto p = plan_pipeline({{0, -1}, {1, -1}}, lcores({1, 2, 3, 4, 5}), c);
  EXPECT_EQ(p.rx.size(), 2u);
  EXPECT_EQ(p.rx[0].rx_streams.size(), 2u);
  EXPECT_EQ(p.rx[1].rx_streams.size(), 2u);
  EXPECT_FALSE(p.work_rings[0].single_producer());  // two RX lcores
  EXPECT_TRUE(p.tx_rings[0].single_producer());     // one worker
  EXPECT_EQ(p.tx[0].tx_ports, (std::vector<uint16_t>{0}));
  EXPECT_EQ(p.tx[1].tx_ports, (std::vector<uint16_t>{1}));
  EXPECT_EQ(p.queues[0].rx_queues, 2);
}

// An I/O lcore does RX and TX; two worker lcores make that the automatic plan.
TEST(PipelinePlan, IoLcore) {
  config::AppConfig c;
  auto p = plan_pipeline({{0, -1}, {1, -1}}, lcores({1, 2}), c);
  ASSERT_EQ(p.rx.size(), 1u);
  ASSERT_EQ(p.work.size(), 1u);
  ASSERT_EQ(p.tx.size(), 1u);
  EXPECT_EQ(p.rx[0].lcore, 1u);
  EXPECT_EQ(p.tx[0].lcore, 1u);
  EXPECT_EQ(p.work[0].lcore, 2u);
  EXPECT_TRUE(p.warnings.empty());
  c.stages = "rx:1,work:2;3,tx:1";
  p = plan_pipeline({{0, -1}}, lcores({1, 2, 3}), c);
  EXPECT_EQ(p.tx[0].lcore, 1u);
  EXPECT_FALSE(p.tx_rings[0].single_producer());  // two workers feed the I/O lcore
}

TEST(PipelinePlan, Errors) {
  config::AppConfig c;
  auto err = [&](std::vector<LcoreInfo> l) {
    try {
      plan_pipeline({{0, -1}}, l, c);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(err(lcores({1})).find("needs at least 2 worker lcores"), std::string::npos);
  c.stages = "rx:1,work:1,tx:2";
  EXPECT_EQ(err(lcores({1, 2})), "--stages: lcore 1 has two roles (only rx and tx may share one)");
  c.stages = "rx:1,work:2,tx:1;2";
  EXPECT_EQ(err(lcores({1, 2})), "--stages: lcore 2 has two roles (only rx and tx may share one)");
  c.stages = "rx:1,work:2;2,tx:1";
  EXPECT_EQ(err(lcores({1, 2})), "--stages: lcore 2 is listed twice");
  c.stages = "rx:1,work:2,tx:7";
  EXPECT_NE(err(lcores({1, 2})).find("lcore 7 is not a worker lcore"), std::string::npos);
  EXPECT_THROW(parse_stages("rx:1,work:2"), Error);
  EXPECT_THROW(parse_stages("rx:1,rx:2,work:3,tx:4"), Error);
  EXPECT_THROW(parse_stages("rx:a,work:2,tx:3"), Error);
  EXPECT_THROW(parse_stages("rx:3-1,work:2,tx:4"), Error);
  EXPECT_THROW(parse_stages("rx1,work:2,tx:4"), Error);
}

}  // namespace
}  // namespace deltaplane::runtime
