// Summaries and the accounting invariant.
#include "stats/snapshot.hh"

#include <gtest/gtest.h>

#include "stats/counters.hh"

namespace deltaplane::stats {
namespace {

Snapshot sample() {
  Snapshot s;
  s.elapsed_s = 2;
  PortSnapshot p0;
  p0.port = 0;
  p0.name = "net_null0";
  p0.rx_packets = 100;
  p0.rx_bytes = 6400;
  p0.tx_packets = 40;
  PortSnapshot p1 = p0;
  p1.port = 1;
  p1.rx_packets = 0;
  p1.rx_bytes = 0;
  p1.tx_packets = 50;
  s.ports = {p0, p1};
  s.drops[static_cast<size_t>(DropReason::kTxFull)] = 7;
  s.drops[static_cast<size_t>(DropReason::kOversize)] = 3;
  return s;
}

TEST(Accounting, BalancedWhenEveryFrameIsAccountedFor) {
  Snapshot s = sample();
  Accounting a = account(s);
  EXPECT_EQ(a.rx, 100u);
  EXPECT_EQ(a.tx, 90u);
  EXPECT_EQ(a.dropped, 10u);
  EXPECT_TRUE(a.balanced());
  EXPECT_EQ(a.describe(), "rx 100 = tx 90 + dropped 10 + held 0: balanced");
  s.held = 1;
  EXPECT_FALSE(account(s).balanced());
}

TEST(Summary, NamesDropsAndShowsInvariant) {
  std::string t = format_summary(sample());
  EXPECT_NE(t.find("tx_full"), std::string::npos);
  EXPECT_NE(t.find("oversize"), std::string::npos);
  EXPECT_NE(t.find("balanced"), std::string::npos);
  EXPECT_NE(t.find("net_null0"), std::string::npos);
}

TEST(Summary, PeriodicRates) {
  Snapshot prev = sample();
  Snapshot now = sample();
  now.elapsed_s = 3;
  now.ports[0].rx_packets += 2'000'000;
  now.ports[0].rx_bytes += 2'000'000 * 64;
  std::string t = format_periodic(now, prev);
  EXPECT_NE(t.find("2.000"), std::string::npos) << t;  // 2 Mpps
  EXPECT_NE(t.find("1.024"), std::string::npos) << t;  // 1.024 Gbit/s
}

TEST(Summary, Json) {
  JsonWriter w;
  w.begin_object();
  write_summary_json(w, sample());
  w.end_object();
  const std::string& j = w.str();
  EXPECT_NE(j.find("\"rx_packets\": 100"), std::string::npos) << j;
  EXPECT_NE(j.find("\"tx_full\": 7"), std::string::npos);
  EXPECT_NE(j.find("\"balanced\": true"), std::string::npos);
}

TEST(Counters, SingleWriterAdd) {
  Counter c;
  c.add(5);
  c.add(7);
  EXPECT_EQ(c.load(), 12u);
  static_assert(sizeof(StreamCounters) == 64);
  static_assert(alignof(LcoreCounters) == 64);
}

TEST(DropReasons, NamesAreStableAndUnique) {
  EXPECT_EQ(drop_reason_name(DropReason::kTxFull), "tx_full");
  for (size_t i = 0; i < kDropReasonCount; ++i)
    for (size_t j = i + 1; j < kDropReasonCount; ++j)
      EXPECT_NE(kDropReasonNames[i], kDropReasonNames[j]);
}

}  // namespace
}  // namespace deltaplane::stats
