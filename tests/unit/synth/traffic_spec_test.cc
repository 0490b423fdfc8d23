#include <gtest/gtest.h>

#include "base/error.hh"
#include "synth/traffic_spec.hh"

namespace deltaplane::drivers::synth {
namespace {

TEST(TrafficSpec, Defaults) {
  const TrafficSpec s = parse_traffic_spec("");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.flows, 1024u);
  EXPECT_EQ(s.size_model, SizeModel::kFixed);
  EXPECT_EQ(s.size_min, 64);
  EXPECT_EQ(s.payload, PayloadModel::kRecords);
  EXPECT_EQ(s.kinds.size(), kInvalidKindCount);  // all kinds unless told
  EXPECT_EQ(s.rate, 0u);
}

TEST(TrafficSpec, EveryKey) {
  const TrafficSpec s = parse_traffic_spec(
      "seed=9,flows=2M,size=100-900,ipv6=0.25,tcp=1,payload=binary,invalid=0.5,"
      "kinds=ttl0/runt,rate=2.5M,ring=512,count=10k,tx-rate=1G,bank=4k,lcore=3-5");
  EXPECT_EQ(s.seed, 9u);
  EXPECT_EQ(s.flows, 2000000u);
  EXPECT_EQ(s.size_model, SizeModel::kRange);
  EXPECT_EQ(s.size_min, 100);
  EXPECT_EQ(s.size_max, 900);
  EXPECT_DOUBLE_EQ(s.ipv6, 0.25);
  EXPECT_DOUBLE_EQ(s.tcp, 1.0);
  EXPECT_EQ(s.payload, PayloadModel::kBinary);
  EXPECT_DOUBLE_EQ(s.invalid, 0.5);
  ASSERT_EQ(s.kinds.size(), 2u);
  EXPECT_EQ(s.kinds[0], InvalidKind::kTtlZero);
  EXPECT_EQ(s.kinds[1], InvalidKind::kRunt);
  EXPECT_EQ(s.rate, 2500000u);
  EXPECT_EQ(s.ring, 512u);
  EXPECT_EQ(s.count, 10000u);
  EXPECT_EQ(s.tx_rate, 1000000000u);
  EXPECT_EQ(s.bank, 4000u);
  EXPECT_EQ(s.lcores, (std::vector<unsigned>{3, 4, 5}));
  EXPECT_EQ(parse_traffic_spec("size=imix").size_model, SizeModel::kImix);
  EXPECT_EQ(parse_traffic_spec("lcore=2").lcores, std::vector<unsigned>{2});
  EXPECT_TRUE(parse_traffic_spec("").lcores.empty());  // frames built in rx_burst
  EXPECT_NE(s.describe().find(" lcore=3-5"), std::string::npos);
}

TEST(TrafficSpec, PortSpec) {
  const PortSpec p = parse_port_spec("3:flows=7");
  EXPECT_EQ(p.port, 3);
  EXPECT_EQ(p.spec.flows, 7u);
  EXPECT_EQ(parse_port_spec("0").spec.flows, 1024u);
}

// One precise message per mistake, naming the key.
TEST(TrafficSpec, BadInputNamesTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"flows=0", "flows: 0 is out of range"},
      {"flows=abc", "flows: expected a whole number"},
      {"flows=1.5", "flows: expected a whole number"},
      {"size=10", "size: 10 is out of range"},
      {"size=900-100", "size: range 900-100 is upside down"},
      {"ipv6=1.5", "ipv6: expected a fraction 0..1"},
      {"tcp=-0.1", "tcp: expected a fraction 0..1"},
      {"payload=zip", "payload: expected random, records, binary, repeat, fill, web or mix"},
      {"kinds=ttl0/bogus", "kinds: unknown kind 'bogus'"},
      {"rate=fast", "rate: expected a whole number (k/M/G suffix allowed)"},
      {"rate=2T", "rate: expected a whole number"},
      {"colour=red", "colour: unknown key"},
      {"flows", "flows: expected key=value"},
      {"ring=0", "ring: 0 is out of range"},
      {"bank=0", "bank: 0 is out of range"},
      {"bank=2M", "bank: 2M is out of range"},
      {"lcore=", "lcore: expected a whole number"},
      {"lcore=5-2", "lcore: range 5-2 is upside down"},
      {"lcore=2-x", "lcore: expected a whole number"},
      {"lcore=4096", "lcore: 4096 is out of range"},
  };
  for (const auto& [text, msg] : cases) {
    try {
      parse_traffic_spec(text);
      ADD_FAILURE() << text << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(msg), std::string::npos)
          << text << " -> " << e.what() << " (wanted: " << msg << ")";
    }
  }
  EXPECT_THROW(parse_port_spec("x:flows=1"), Error);
  EXPECT_THROW(parse_port_spec(":flows=1"), Error);
  EXPECT_THROW(parse_port_spec("70000:flows=1"), Error);
}

}  // namespace
}  // namespace deltaplane::drivers::synth
