// The synthetic frames against the scalar reference validator and checksums:
// valid frames are valid (lengths, IPv4 and L4 checksums right), invalid ones
// fail for exactly the reason the source says, and a seed repeats a stream.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "packet/validate.hh"
#include "synth/frame_source.hh"

namespace deltaplane::drivers::synth {
namespace {

packet::Options strict() {
  packet::Options o;
  o.verify_l4_checksum = true;
  o.verify_ipv4_checksum = true;
  o.drop_ttl_zero = true;
  return o;
}

TrafficSpec spec_of(const std::string& text) {
  return parse_traffic_spec(text);
}

// Every payload model, size model and address/protocol mix: all frames valid.
TEST(FrameSource, ValidFramesAreValid) {
  uint64_t checked = 0;
  for (const char* payload : {"random", "records", "binary", "repeat", "fill", "web", "mix"})
    for (const char* size : {"64", "60-1500", "imix", "1500", "9000"}) {
      const std::string text = std::string("flows=777,ipv6=0.5,tcp=0.5,payload=") + payload +
                               ",size=" + size + ",seed=11";
      FrameSource src(spec_of(text), 0, 1);
      std::vector<uint8_t> buf(src.max_frame());
      auto cur = src.cursor_at(0);
      for (int i = 0; i < 3000; ++i, src.advance(cur)) {
        FrameInfo info;
        const uint16_t len = src.build(cur, buf.data(), &info);
        packet::Parsed parsed;
        const auto v = packet::validate_reference(buf.data(), len, strict(), &parsed);
        ASSERT_EQ(v, packet::Verdict::kOk)
            << text << " frame " << i << ": " << packet::verdict_name(v) << " len " << len;
        ASSERT_EQ(len, info.len);
        ++checked;
      }
    }
  std::printf("synth: %llu valid frames checked against the reference validator\n",
              static_cast<unsigned long long>(checked));
}

// payload=web: frames carry HTTP messages of one corpus, so different flows
// carry the same bytes; payload=mix gives each flow one of three models.
TEST(FrameSource, WebContentRecursAcrossFlows) {
  FrameSource src(spec_of("flows=64,size=1000,payload=web,tcp=1,seed=2"), 0, 1);
  std::vector<uint8_t> buf(src.max_frame());
  std::map<std::string, std::set<uint32_t>> flows_of_start;
  auto cur = src.cursor_at(0);
  for (int i = 0; i < 2000; ++i, src.advance(cur)) {
    FrameInfo info;
    const uint16_t len = src.build(cur, buf.data(), &info);
    const std::string start(reinterpret_cast<const char*>(buf.data()) + 54, 16);
    EXPECT_TRUE(start.starts_with("GET /") || start.starts_with("HTTP/1.1 200 OK")) << start;
    ASSERT_EQ(len, 1000);
    flows_of_start[std::string(reinterpret_cast<const char*>(buf.data()) + 54, 200)].insert(
        info.flow);
  }
  size_t shared = 0;
  for (const auto& [text, flows] : flows_of_start)
    shared += flows.size() > 1;
  EXPECT_GT(shared, 50u);  // 2000 frames over 256 messages: most recur in several flows

  FrameSource mix(spec_of("flows=400,size=600,payload=mix,tcp=1,seed=2"), 0, 1);
  int web = 0, records = 0, other = 0;
  cur = mix.cursor_at(0);
  for (int i = 0; i < 400; ++i, mix.advance(cur)) {
    mix.build(cur, buf.data());
    const std::string head(reinterpret_cast<const char*>(buf.data()) + 54, 8);
    if (head.starts_with("GET /") || head.starts_with("HTTP/"))
      ++web;
    else if (head.starts_with("{\"seq\""))
      ++records;
    else
      ++other;
  }
  EXPECT_NEAR(web, 150, 50);
  EXPECT_NEAR(records, 150, 50);
  EXPECT_NEAR(other, 100, 50);
}

// Frame sizes follow the model; headers always fit.
TEST(FrameSource, SizeModels) {
  std::vector<uint8_t> buf(9600);
  {
    FrameSource src(spec_of("size=100-300,ipv6=0.5,tcp=0.5"), 0, 1);
    std::set<uint16_t> seen;
    for (uint64_t i = 0; i < 20000; ++i) {
      const uint16_t len = src.build(i, buf.data());
      ASSERT_GE(len, 100);
      ASSERT_LE(len, 300);
      seen.insert(len);
    }
    EXPECT_GT(seen.size(), 190u);  // the whole range is used
  }
  {
    FrameSource src(spec_of("size=imix,ipv6=0"), 0, 1);
    std::map<uint16_t, int> n;
    for (uint64_t i = 0; i < 120000; ++i)
      ++n[src.build(i, buf.data())];
    ASSERT_EQ(n.size(), 3u);
    EXPECT_NEAR(n[64] / 120000.0, 7 / 12.0, 0.01);
    EXPECT_NEAR(n[576] / 120000.0, 4 / 12.0, 0.01);
    EXPECT_NEAR(n[1500] / 120000.0, 1 / 12.0, 0.01);
  }
  {
    FrameSource src(spec_of("size=64,ipv6=1,tcp=1"), 0, 1);  // 14+40+20 > 64
    EXPECT_EQ(src.build(0, buf.data()), 74);
  }
}

// Same seed, same frames; the incremental cursor equals direct indexing; a
// different seed gives a different stream.
TEST(FrameSource, SeedRepeatsBitForBit) {
  const auto spec = spec_of("flows=1000,size=imix,ipv6=0.3,payload=random,invalid=0.05,seed=5");
  FrameSource a(spec, 1, 2), b(spec, 1, 2);
  auto other = spec;
  other.seed = 6;
  FrameSource c(other, 1, 2);
  std::vector<uint8_t> fa(1600), fb(1600), fc(1600);
  auto cur = a.cursor_at(0);
  int differ = 0;
  for (uint64_t i = 0; i < 50000; ++i, a.advance(cur)) {
    const uint16_t la = a.build(cur, fa.data());
    const uint16_t lb = b.build(i, fb.data());
    ASSERT_EQ(la, lb) << i;
    ASSERT_EQ(0, std::memcmp(fa.data(), fb.data(), la)) << "frame " << i;
    const uint16_t lc = c.build(i, fc.data());
    differ += lc != la || std::memcmp(fa.data(), fc.data(), la) != 0;
  }
  EXPECT_GT(differ, 49000);
}

// Round-robin over a permutation: each window of F frames holds every flow of
// the queue once; queues own disjoint flows that together are all of them.
TEST(FrameSource, FlowsArePermutedAndSplitAcrossQueues) {
  const auto spec = spec_of("flows=1001,seed=3");
  std::set<uint32_t> all;
  std::vector<uint8_t> buf(1600);
  for (uint16_t q = 0; q < 3; ++q) {
    FrameSource src(spec, q, 3);
    std::set<uint32_t> window;
    for (uint64_t i = 0; i < src.local_flows(); ++i) {
      FrameInfo info;
      src.build(i, buf.data(), &info);
      EXPECT_EQ(info.flow % 3, q);
      EXPECT_EQ(info.flow_seq, 0u);
      window.insert(info.flow);
    }
    EXPECT_EQ(window.size(), src.local_flows());
    FrameInfo next;
    src.build(src.local_flows(), buf.data(), &next);
    EXPECT_EQ(next.flow_seq, 1u);
    all.insert(window.begin(), window.end());
  }
  EXPECT_EQ(all.size(), 1001u);
}

// Records payload: a flow's k-th frame carries seq k; consecutive frames of a
// flow differ in a few bytes only (what the delta codec exploits).
TEST(FrameSource, RecordsChangeSlowly) {
  FrameSource src(spec_of("flows=4,size=1000,payload=records,ipv6=0,tcp=0"), 0, 1);
  std::array<std::vector<uint8_t>, 2> f{std::vector<uint8_t>(1600), std::vector<uint8_t>(1600)};
  FrameInfo a, b;
  const uint16_t len = src.build(4 * 7, f[0].data(), &a);  // frame 7 of some flow
  src.build(4 * 8, f[1].data(), &b);
  ASSERT_EQ(a.flow, b.flow);
  EXPECT_EQ(a.flow_seq, 7u);
  const std::string payload(reinterpret_cast<const char*>(f[0].data()) + 42, len - 42);
  EXPECT_EQ(payload.rfind("{\"seq\":0000000007,", 0), 0u) << payload.substr(0, 40);
  int changed = 0;
  for (uint16_t i = 0; i < len; ++i)
    changed += f[0][i] != f[1][i];
  EXPECT_GT(changed, 0);
  EXPECT_LT(changed, len / 10);
}

// Invalid frames: the reference validator's verdict is the one the source
// announces, for every kind, on IPv4 and IPv6, TCP and UDP.
TEST(FrameSource, InvalidFramesFailForTheAnnouncedReason) {
  const auto opt = strict();
  FrameSource src(spec_of("flows=5000,size=60-1500,ipv6=0.5,tcp=0.5,invalid=0.3,seed=21"), 0, 1);
  std::vector<uint8_t> buf(1600);
  std::map<InvalidKind, int> kinds;
  int invalid = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    FrameInfo info;
    const uint16_t len = src.build(static_cast<uint64_t>(i), buf.data(), &info);
    packet::Parsed parsed;
    const auto got = packet::validate_reference(buf.data(), len, opt, &parsed);
    const auto want = FrameSource::expected_verdict(info, opt);
    ASSERT_EQ(got, want) << "frame " << i << " kind " << invalid_kind_name(info.kind) << " v6 "
                         << info.ipv6 << " tcp " << info.tcp << ": got "
                         << packet::verdict_name(got);
    if (info.kind != InvalidKind::kNone) {
      ++invalid;
      ++kinds[info.kind];
    }
  }
  EXPECT_NEAR(invalid / double(n), 0.3, 0.01);
  EXPECT_EQ(kinds.size(), kInvalidKindCount);
  std::printf("synth: %d frames, %d invalid, verdicts equal to the announced ones\n", n, invalid);
}

// payload=fill: byte o of every frame's payload is the pattern's byte o, on
// every queue, whatever the frame's headers.
TEST(FrameSource, FillIsOnePatternByOffset) {
  const auto spec = spec_of("flows=100,size=imix,ipv6=0.5,tcp=0.5,payload=fill,seed=5");
  FrameSource q0(spec, 0, 2), q1(spec, 1, 2);
  std::vector<uint8_t> pattern(q0.max_frame()), other(q1.max_frame()), buf(q0.max_frame());
  q0.fill_buffer(pattern.data());
  q1.fill_buffer(other.data());
  ASSERT_EQ(pattern, other);  // one pattern for the port: its queues share buffers
  for (uint64_t i = 0; i < 5000; ++i) {
    FrameInfo info;
    const uint16_t len = (i & 1 ? q1 : q0).build(i, buf.data(), &info);
    const uint32_t hdr = 14 + (info.ipv6 ? 40 : 20) + (info.tcp ? 20 : 8);
    ASSERT_EQ(std::memcmp(buf.data() + hdr, pattern.data() + hdr, len - hdr), 0) << "frame " << i;
  }
}

// A head-only build into a buffer that holds the pattern, after other frames
// (longer headers, invalid kinds) were built into it, gives the same bytes as
// a whole build: what the generator lcores rely on.
TEST(FrameSource, HeadOnlyBuildEqualsWholeBuildOverThePattern) {
  const auto opt = strict();
  for (const char* mix : {"ipv6=0.5,tcp=0.5", "ipv6=0,tcp=0.5", "ipv6=0.3,tcp=0"})
    for (const char* size : {"64", "60-1500", "imix", "1500", "9000"}) {
      const std::string text =
          std::string("flows=333,payload=fill,invalid=0.2,") + mix + ",size=" + size + ",seed=3";
      FrameSource src(spec_of(text), 0, 1);
      // IPv6 + TCP headers end at 74 B: two lines; IPv4 (54 B) or IPv6 + UDP (62 B): one.
      ASSERT_EQ(src.head_bytes(), std::string(mix) == "ipv6=0.5,tcp=0.5" ? 128u : 64u);
      std::vector<uint8_t> reused(src.max_frame()), whole(src.max_frame());
      src.fill_buffer(reused.data());
      auto cur = src.cursor_at(0);
      uint64_t partial = 0;
      for (int i = 0; i < 4000; ++i, src.advance(cur)) {
        FrameInfo a, b;
        const uint16_t len = src.build(cur, reused.data(), &a, true);
        std::memset(whole.data(), 0xa5, whole.size());
        ASSERT_EQ(src.build(cur, whole.data(), &b), len);
        ASSERT_EQ(std::memcmp(reused.data(), whole.data(), len), 0) << text << " frame " << i;
        packet::Parsed parsed;
        ASSERT_EQ(packet::validate_reference(reused.data(), len, opt, &parsed),
                  FrameSource::expected_verdict(a, opt));
        partial += len > src.head_bytes();
      }
      if (std::string(size) != "64") {
        EXPECT_GT(partial, 0u) << text;
      }
    }
}

// restore_pattern puts back exactly [from, to) of the pattern, clipped to
// max_frame(): a buffer scribbled over there gives whole frames again.
TEST(FrameSource, RestorePatternUndoesAnInPlaceRewrite) {
  FrameSource src(spec_of("flows=50,payload=fill,size=60-1500,ipv6=0.5,tcp=0.5,seed=7"), 0, 1);
  const uint32_t max = src.max_frame();
  std::vector<uint8_t> buf(max + 64), whole(max);
  src.fill_buffer(buf.data());
  std::fill(buf.begin() + max, buf.end(), uint8_t{0x77});  // past every frame: never restored
  std::mt19937 rng(11);
  auto cur = src.cursor_at(0);
  for (int i = 0; i < 2000; ++i, src.advance(cur)) {
    const uint32_t from = rng() % (max + 64), to = from + rng() % (max + 64 - from + 1);
    std::memset(buf.data() + from, 0x3c, to - from);  // what an engine wrote
    const uint32_t put = src.restore_pattern(buf.data(), std::max(from, src.head_bytes()), to);
    ASSERT_EQ(put, std::min(to, max) > std::max(from, src.head_bytes())
                       ? std::min(to, max) - std::max(from, src.head_bytes())
                       : 0u);
    const uint16_t len = src.build(cur, buf.data(), nullptr, true);
    ASSERT_EQ(src.build(cur, whole.data()), len);
    ASSERT_EQ(std::memcmp(buf.data(), whole.data(), len), 0) << "frame " << i;
    std::fill(buf.begin() + max, buf.end(), uint8_t{0x77});
  }
  EXPECT_EQ(src.restore_pattern(buf.data(), max, max + 64), 0u);
  EXPECT_EQ(buf[max], 0x77);
}

// Other payload models ignore head_only: their payloads change per frame.
TEST(FrameSource, HeadOnlyWritesWholeFramesForOtherModels) {
  FrameSource src(spec_of("size=1500,payload=random,seed=4"), 0, 1);
  std::vector<uint8_t> a(1500, 0), b(1500, 0xff);
  ASSERT_EQ(src.build(src.cursor_at(9), a.data(), nullptr, true), 1500);
  ASSERT_EQ(src.build(src.cursor_at(9), b.data(), nullptr, true), 1500);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace deltaplane::drivers::synth
