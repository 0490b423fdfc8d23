// Each engine on hand-built bursts (mbufs from a --no-huge EAL, no ports, no
// lcores launched), the registry against the catalog, compaction after drops,
// and the lcore set's wiring from a placement and from a pipeline plan.
#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstring>
#include <memory>
#include <vector>

#include "../eal_environment.hh"
#include "../packet/frame_builder.hh"
#include "codec/v2/encoder.hh"
#include "config/app_config.hh"
#include "engines/codec_engines.hh"
#include "engines/codec_state.hh"
#include "engines/csum.hh"
#include "engines/generator.hh"
#include "engines/io.hh"
#include "engines/lcore_set.hh"
#include "engines/macswap.hh"
#include "engines/registry.hh"
#include "engines/rxonly.hh"
#include "engines/validate.hh"
#include "runtime/ring.hh"

namespace deltaplane::engines {
namespace {

using packet::testing::build_frame;
using packet::testing::Bytes;
using packet::testing::FrameSpec;

[[maybe_unused]] ::testing::Environment* const g_env =
    ::testing::AddGlobalTestEnvironment(new eal_test::Environment("dp-engines-test"));

rte_mbuf* mbuf_of(const Bytes& b) {
  rte_mbuf* m = rte_pktmbuf_alloc(eal_test::pool());
  EXPECT_NE(m, nullptr);
  std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(b.size())), b.data(), b.size());
  return m;
}

Bytes bytes_of(const rte_mbuf* m) {
  const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
  return Bytes(p, p + m->data_len);
}

// An engine's world: counters, the validator, a control block.
struct Env {
  Env() {
    env.counters = &counters;
    env.control = &control;
    env.validator = &packet::burst_validator(best_simd_level());
  }
  uint64_t drops(stats::DropReason r) const {
    return counters.drops[static_cast<size_t>(r)].load();
  }
  stats::LcoreCounters counters;
  ControlBlock control;
  EngineEnv env;
};

struct Burst {
  explicit Burst(const std::vector<Bytes>& frames) {
    for (const auto& f : frames)
      pkts.push_back(mbuf_of(f));
  }
  ~Burst() { free(); }
  void free() {
    rte_pktmbuf_free_bulk(pkts.data(), static_cast<unsigned>(n));
    n = 0;
  }
  uint16_t run(auto& engine, const Stream& s = {}) {
    n = engine.process(pkts.data(), static_cast<uint16_t>(pkts.size()), s);
    return n;
  }
  std::vector<rte_mbuf*> pkts;
  uint16_t n = 0;  // frames still owned after run()
};

FrameSpec udp(uint32_t payload, uint32_t seed) {
  FrameSpec s;
  s.proto = packet::kProtoUdp;
  s.payload = payload;
  s.seed = seed;
  return s;
}

// The option's default and the codec's are one idea in two libraries
// (config does not depend on codec): here, where both meet, they must agree.
TEST(Codec, TheOptionsDefaultLevelIsTheCodecs) {
  EXPECT_EQ(config::AppConfig{}.codec_level, codec::v2::kDefaultLevel);
}

TEST(Registry, EveryCatalogEngineHasItsLoops) {
  for (size_t i = 0; i < config::kEngineCount; ++i) {
    const auto e = static_cast<config::Engine>(i);
    const EngineMains& m = engine_mains(e);
    EXPECT_NE(m.rtc, nullptr) << config::engine_name(e);
    if (config::engine_generates(e)) {
      EXPECT_EQ(m.worker, nullptr) << config::engine_name(e);
    } else {
      EXPECT_NE(m.worker, nullptr) << config::engine_name(e);
      EXPECT_NE(m.rtc_cycles, nullptr) << config::engine_name(e);
    }
  }
}

TEST(Compact, FreesCountsAndKeepsOrder) {
  Env e;
  const unsigned before = rte_mempool_in_use_count(eal_test::pool());
  std::vector<rte_mbuf*> p;
  for (int i = 0; i < 6; ++i)
    p.push_back(mbuf_of(build_frame(udp(10, i + 1))));
  std::vector<rte_mbuf*> want = {p[0], p[2], p[5]};
  const stats::DropReason why[] = {kKeep,
                                   stats::DropReason::kRunt,
                                   kKeep,
                                   stats::DropReason::kOversize,
                                   stats::DropReason::kRunt,
                                   kKeep};
  EXPECT_EQ(compact(p.data(), 6, why, e.counters), 3);
  EXPECT_EQ(std::vector<rte_mbuf*>(p.begin(), p.begin() + 3), want);
  EXPECT_EQ(e.drops(stats::DropReason::kRunt), 2u);
  EXPECT_EQ(e.drops(stats::DropReason::kOversize), 1u);
  rte_pktmbuf_free_bulk(p.data(), 3);
  EXPECT_EQ(rte_mempool_in_use_count(eal_test::pool()), before);
}

TEST(Engines, IoForwardsAsItCame) {
  Env e;
  IoEngine io(e.env);
  const std::vector<Bytes> in = {build_frame(udp(100, 1)), build_frame(udp(5, 2))};
  Burst b(in);
  ASSERT_EQ(b.run(io), 2);
  EXPECT_EQ(bytes_of(b.pkts[0]), in[0]);
  EXPECT_EQ(bytes_of(b.pkts[1]), in[1]);
}

TEST(Engines, MacswapSwapsAndDropsRunts) {
  Env e;
  MacswapEngine mac(e.env);
  std::vector<Bytes> in;
  for (int i = 0; i < 9; ++i)
    in.push_back(build_frame(udp(20, i + 1)));
  in[4].resize(10);  // too short for two addresses
  Burst b(in);
  ASSERT_EQ(b.run(mac), 8);
  EXPECT_EQ(e.drops(stats::DropReason::kRunt), 1u);
  for (int i = 0, j = 0; i < 9; ++i) {
    if (i == 4) continue;
    const Bytes out = bytes_of(b.pkts[j++]);
    EXPECT_TRUE(std::equal(out.begin(), out.begin() + 6, in[i].begin() + 6)) << i;
    EXPECT_TRUE(std::equal(out.begin() + 6, out.begin() + 12, in[i].begin())) << i;
    EXPECT_TRUE(std::equal(out.begin() + 12, out.end(), in[i].begin() + 12)) << i;
  }
}

TEST(Engines, RxonlyConsumesEverything) {
  Env e;
  RxonlyEngine rx(e.env);
  const unsigned before = rte_mempool_in_use_count(eal_test::pool());
  Burst b({build_frame(udp(1, 1)), build_frame(udp(2, 2)), build_frame(udp(3, 3))});
  EXPECT_EQ(b.run(rx), 0);
  EXPECT_EQ(e.drops(stats::DropReason::kConsumed), 3u);
  EXPECT_EQ(rte_mempool_in_use_count(eal_test::pool()), before);
}

TEST(Engines, ValidateDropsByReasonKeepsOrder) {
  Env e;
  ValidateEngine v(e.env);
  std::vector<Bytes> in;
  for (int i = 0; i < 12; ++i)
    in.push_back(build_frame(udp(40, i + 1)));
  in[3][14 + 10] ^= 0xff;  // IPv4 header checksum
  in[7][14] = 0x65;        // IP version 6 in an IPv4 frame
  in[9].resize(8);         // runt
  Burst b(in);
  ASSERT_EQ(b.run(v), 9);
  EXPECT_EQ(e.drops(stats::drop_reason_for(packet::Verdict::kIpv4BadChecksum)), 1u);
  EXPECT_EQ(e.drops(stats::drop_reason_for(packet::Verdict::kIpv4BadVersion)), 1u);
  EXPECT_EQ(e.drops(stats::drop_reason_for(packet::Verdict::kRunt)), 1u);
  std::vector<int> kept = {0, 1, 2, 4, 5, 6, 8, 10, 11};
  for (size_t j = 0; j < kept.size(); ++j)
    EXPECT_EQ(bytes_of(b.pkts[j]), in[kept[j]]) << j;
}

TEST(Engines, CsumFixesWrongChecksums) {
  Env e;
  CsumEngine cs(e.env);
  FrameSpec tcp = udp(200, 5);
  tcp.proto = packet::kProtoTcp;
  const Bytes good_udp = build_frame(udp(200, 4)), good_tcp = build_frame(tcp);
  Bytes bad_tcp = good_tcp;
  bad_tcp[14 + 20 + 16] ^= 0x55;  // TCP checksum
  Burst b({good_udp, bad_tcp});
  ASSERT_EQ(b.run(cs), 2);
  EXPECT_EQ(bytes_of(b.pkts[0]), good_udp);
  EXPECT_EQ(bytes_of(b.pkts[1]), good_tcp);
  EXPECT_EQ(e.counters.csum_l4_checked.load(), 2u);
  EXPECT_EQ(e.counters.csum_l4_fixed.load(), 1u);
}

// A flow's frames through the encoder, then the decoder: the same bytes.
TEST(Engines, EncodeThenDecodeRestoresEveryFrame) {
  config::AppConfig cfg;
  Env enc_env, dec_env;
  cfg.codec_version = 1;
  CodecLcoreState enc_state(cfg, 0, 0, SOCKET_ID_ANY, true, false, eal_test::pool());
  CodecLcoreState dec_state(cfg, 1, 1, SOCKET_ID_ANY, false, true, eal_test::pool());
  enc_env.env.codec = &enc_state;
  dec_env.env.codec = &dec_state;
  EncodeEngine enc(enc_env.env);
  DecodeEngine dec(dec_env.env);
  std::vector<Bytes> in;
  for (int i = 0; i < 40; ++i) {
    Bytes f = build_frame(udp(600, 9));         // one flow
    f[f.size() - 1] = static_cast<uint8_t>(i);  // a slowly changing payload
    in.push_back(f);
  }
  Burst b(in);
  const uint16_t n = b.run(enc);
  ASSERT_EQ(n, in.size());
  EXPECT_GT(enc_state.counters.enc_deltas.load(), 0u);
  uint64_t wire = 0;
  for (uint16_t i = 0; i < n; ++i)
    wire += b.pkts[i]->pkt_len;
  EXPECT_LT(wire, in.size() * in[0].size() / 2);
  b.n = dec.process(b.pkts.data(), n, Stream{});
  ASSERT_EQ(b.n, in.size());
  for (size_t i = 0; i < in.size(); ++i)
    EXPECT_EQ(bytes_of(b.pkts[i]), in[i]) << i;
}

TEST(Engines, GatewayEncodesLanDecodesWan) {
  config::AppConfig cfg;
  Env env;
  cfg.codec_version = 1;
  CodecLcoreState state(cfg, 0, 0, SOCKET_ID_ANY, true, true, eal_test::pool());
  env.env.codec = &state;
  GatewayEngine gw(env.env);
  const Bytes f = build_frame(udp(300, 3));
  Burst b({f});
  Stream lan;
  lan.role = StreamRole::kLan;
  ASSERT_EQ(b.run(gw, lan), 1);
  EXPECT_EQ(state.counters.enc_frames.load(), 1u);
  Stream wan;
  wan.role = StreamRole::kWan;
  b.n = gw.process(b.pkts.data(), 1, wan);
  ASSERT_EQ(b.n, 1);
  EXPECT_EQ(state.counters.dec_frames.load(), 1u);
  EXPECT_EQ(bytes_of(b.pkts[0]), f);
}

TEST(Engines, GeneratorsFillValidFrames) {
  GeneratorParams g;
  g.pkt_len = 128;
  g.flows = 3;
  std::vector<rte_mbuf*> p(6);
  ASSERT_EQ(rte_pktmbuf_alloc_bulk(eal_test::pool(), p.data(), 6), 0);
  for (auto* m : p)
    rte_pktmbuf_append(m, 128);
  auto tx = std::make_unique<TxonlyEngine>(g);
  tx->fill(p.data(), 3);
  FlowgenEngine fg(g);
  fg.fill(p.data() + 3, 3);
  packet::Options opt;
  opt.verify_l4_checksum = true;
  for (int i = 0; i < 6; ++i) {
    packet::Parsed parsed;
    EXPECT_EQ(packet::validate_reference(rte_pktmbuf_mtod(p[i], uint8_t*), 128, opt, &parsed),
              packet::Verdict::kOk)
        << i;
  }
  EXPECT_EQ(bytes_of(p[0]), bytes_of(p[1]));  // txonly: one frame
  EXPECT_NE(bytes_of(p[3]), bytes_of(p[4]));  // flowgen: one flow after another
  rte_pktmbuf_free_bulk(p.data(), 6);
}

// The contexts of a placement: one per lcore, streams as placed, the
// gateway's WAN role from the ports, generator parameters.
TEST(LcoreSet, RunToCompletionFromPlacement) {
  config::AppConfig cfg;
  cfg.engine = config::Engine::kGateway;
  cfg.tx_pkt_len = 200;
  runtime::Placement pl;
  pl.lcores = {{1, 0, {{0, 0, 1, 0}, {1, 0, 0, 0}}}, {2, 0, {}}};
  pl.queues = {{0, 1, 1}, {1, 1, 1}};
  std::vector<PortDesc> ports(2);
  ports[0].id = 0;
  ports[1].id = 1;
  ports[1].wan = true;
  const std::vector<PoolDesc> pools = {{"p", 0, eal_test::pool(), true}};
  ControlBlock control;
  LcoreSet set(cfg, pl, ports, pools, control, nullptr);
  ASSERT_EQ(set.slots().size(), 2u);
  const LcoreSlot& s = set.slots()[0];
  EXPECT_EQ(s.role, LcoreRole::kRtc);
  EXPECT_EQ(s.core->lcore, 1u);
  ASSERT_EQ(s.streams->nb, 2);
  EXPECT_EQ(s.streams->streams[0].role, StreamRole::kLan);
  EXPECT_EQ(s.streams->streams[1].role, StreamRole::kWan);
  EXPECT_EQ(s.streams->streams[1].tx_port, 0);
  ASSERT_NE(s.env->codec, nullptr);               // the gateway's lcore gets codec state...
  EXPECT_EQ(set.slots()[1].env->codec, nullptr);  // ...an idle one none
  const auto* ctx = static_cast<const RtcContext*>(s.context);
  EXPECT_EQ(ctx->gen.pkt_len, 200);
  EXPECT_EQ(ctx->gen.pool, eal_test::pool());
  EXPECT_EQ(ctx->core.control, &control);
}

// The pipeline's wiring: rings per worker and TX lcore with the producer
// mode their producers call for, workers routing by TX port, I/O lcores.
TEST(LcoreSet, PipelineFromPlan) {
  config::AppConfig cfg;
  cfg.model = config::Model::kPipeline;
  cfg.stages = "rx:1,work:2-3,tx:1";
  cfg.ring_size = 256;
  const std::vector<runtime::PortInfo> ports_info = {{0, 0}, {1, 0}};
  const std::vector<runtime::LcoreInfo> workers = {{1, 0}, {2, 0}, {3, 0}};
  const runtime::PipelinePlan plan = runtime::plan_pipeline(ports_info, workers, cfg);
  const runtime::Placement pl = runtime::placement_of(plan);
  std::vector<PortDesc> ports(2);
  ports[0].id = 0;
  ports[1].id = 1;
  ControlBlock control;
  LcoreSet set(cfg, pl, ports, {}, control, &plan);
  EXPECT_TRUE(set.pipeline());
  ASSERT_EQ(set.rings().size(), plan.work_rings.size() + plan.tx_rings.size());
  for (size_t i = 0; i < plan.work_rings.size(); ++i)
    EXPECT_EQ(set.rings()[i]->single_producer(), plan.work_rings[i].single_producer());
  size_t rx = 0, work = 0, tx = 0;
  for (const auto& s : set.slots()) {
    if (s.role == LcoreRole::kRx) {
      ++rx;
      EXPECT_EQ(s.out->nb, 2);  // one ring per worker
      EXPECT_EQ(s.out->backpressure, cfg.backpressure);
    } else if (s.role == LcoreRole::kWork) {
      ++work;
      const auto* w = static_cast<const WorkerContext*>(s.context);
      EXPECT_EQ(w->upstream_done, &set.rx_done);
      EXPECT_EQ(s.out->nb, 1);  // one TX lcore
      EXPECT_EQ(w->stream_of_rx_port[0].tx_port, 1);
      EXPECT_EQ(w->stream_of_rx_port[1].tx_port, 0);
    } else if (s.role == LcoreRole::kTx) {
      ++tx;
      EXPECT_EQ(s.streams->nb, 2);  // both ports
    }
  }
  EXPECT_EQ(rx, 1u);
  EXPECT_EQ(work, 2u);
  EXPECT_EQ(tx, 1u);
  ASSERT_NE(set.io_lcore_of(1), nullptr);  // RX and TX on lcore 1: one I/O loop
  EXPECT_EQ(set.io_lcore_of(2), nullptr);
}

}  // namespace
}  // namespace deltaplane::engines
