#include "engines/forwarder.hh"

#include <rte_cpuflags.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <rte_mempool.h>
#include <rte_pause.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "base/error.hh"
#include "engines/codec_engines.hh"
#include "engines/csum.hh"
#include "engines/generator.hh"
#include "engines/io.hh"
#include "engines/macswap.hh"
#include "engines/pipeline.hh"
#include "engines/rxonly.hh"
#include "engines/validate.hh"
#include "runtime/rx_timestamp.hh"
#include "runtime/signals.hh"

namespace deltaplane::engines {

template <bool kCycles>
LcoreMain rtc_main_for(config::Engine e) {
  switch (e) {
    case config::Engine::kIo: return fwd_lcore_main<IoEngine, kCycles>;
    case config::Engine::kMacswap: return fwd_lcore_main<MacswapEngine, kCycles>;
    case config::Engine::kRxonly: return fwd_lcore_main<RxonlyEngine, kCycles>;
    case config::Engine::kValidate: return fwd_lcore_main<ValidateEngine, kCycles>;
    case config::Engine::kCsum: return fwd_lcore_main<CsumEngine, kCycles>;
    case config::Engine::kTxonly: return generator_lcore_main<false>;
    case config::Engine::kFlowgen: return generator_lcore_main<true>;
    case config::Engine::kEncode: return fwd_lcore_main<EncodeEngine, kCycles>;
    case config::Engine::kDecode: return fwd_lcore_main<DecodeEngine, kCycles>;
    case config::Engine::kGateway: return fwd_lcore_main<GatewayEngine, kCycles>;
  }
  throw Error("engine not implemented");
}

LcoreMain lcore_main_for(config::Engine e, bool cycles) {
  return cycles ? rtc_main_for<true>(e) : rtc_main_for<false>(e);
}

LcoreMain work_main_for(config::Engine e) {
  switch (e) {
    case config::Engine::kIo: return pipeline_work_main<IoEngine>;
    case config::Engine::kMacswap: return pipeline_work_main<MacswapEngine>;
    case config::Engine::kRxonly: return pipeline_work_main<RxonlyEngine>;
    case config::Engine::kValidate: return pipeline_work_main<ValidateEngine>;
    case config::Engine::kCsum: return pipeline_work_main<CsumEngine>;
    case config::Engine::kEncode: return pipeline_work_main<EncodeEngine>;
    case config::Engine::kDecode: return pipeline_work_main<DecodeEngine>;
    case config::Engine::kGateway: return pipeline_work_main<GatewayEngine>;
    case config::Engine::kTxonly:
    case config::Engine::kFlowgen: break;
  }
  throw Error("--fwd txonly/flowgen: generators run in the rtc model only");
}

void Forwarder::ContextDeleter::operator()(LcoreContext* c) const noexcept {
  delete c->codec;
  c->~LcoreContext();
  rte_free(c);
}

packet::SimdLevel simd_level_for(config::Simd s) {
  switch (s) {
    case config::Simd::kScalar: return packet::SimdLevel::kScalar;
    case config::Simd::kSse: return packet::SimdLevel::kSse42;
    case config::Simd::kAvx2: return packet::SimdLevel::kAvx2;
    case config::Simd::kAuto: break;
  }
  // DPDK's view of the CPU decides, once, at start-up.
  if (rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2) > 0) return packet::SimdLevel::kAvx2;
  if (rte_cpu_get_flag_enabled(RTE_CPUFLAG_SSE4_2) > 0) return packet::SimdLevel::kSse42;
  return packet::SimdLevel::kScalar;
}

Forwarder::Forwarder(const config::AppConfig& cfg, const runtime::Placement& placement,
                     std::vector<PortDesc> ports, std::vector<PoolDesc> pools,
                     const runtime::PipelinePlan* pipeline)
    : cfg_(cfg),
      placement_(placement),
      ports_(std::move(ports)),
      pools_(std::move(pools)),
      stats_period_us_(static_cast<uint64_t>(cfg.stats_period_s * 1e6)) {
  control_.keyframe_interval.store(cfg.keyframe_interval);
  const packet::BurstValidator& validator = packet::burst_validator(simd_level_for(cfg.simd));
  if (cfg.simd != config::Simd::kAuto && validator.level != simd_level_for(cfg.simd))
    throw Error("--simd " + std::string(config::simd_name(cfg.simd)) +
                ": this CPU does not support it");
  validator_name_ = validator.name;
  const bool codec = config::engine_uses_codec(cfg.engine);
  uint32_t lcore_index = 0;

  auto new_context = [&](unsigned lcore, int socket) {
    void* mem = rte_zmalloc_socket("deltaplane_lcore", sizeof(LcoreContext), 64, socket);
    if (!mem) mem = rte_zmalloc("deltaplane_lcore", sizeof(LcoreContext), 64);
    if (!mem) throw Error("cannot allocate the context of lcore " + std::to_string(lcore));
    auto* ctx = new (mem) LcoreContext();
    contexts_.emplace_back(ctx);
    ctx->lcore = lcore;
    ctx->socket = socket;
    ctx->burst = cfg.burst;
    ctx->max_frame = cfg.max_frame;
    ctx->tx_retries = cfg.tx_retries;
    ctx->tx_retry_delay_us = cfg.tx_retry_delay_us;
    ctx->control = &control_;
    ctx->validator = &validator;
    ctx->validate_options.drop_unknown_ethertype = cfg.drop_unknown_ethertype;
    ctx->validate_options.drop_ttl_zero = cfg.drop_ttl_zero;
    ctx->validate_options.verify_l4_checksum = cfg.verify_l4_checksum;
    ctx->tx_pkt_len = cfg.tx_pkt_len;
    ctx->gen_flows = cfg.gen_flows;
    ctx->tx_rate = cfg.tx_rate;
    ctx->rx_csum_flags = std::any_of(ports_.begin(), ports_.end(),
                                     [](const PortDesc& p) { return p.rx_csum_flags; });
    for (const auto& p : pools_)  // generators allocate on their own socket if they can
      if (p.engines_allocate && (!ctx->tx_pool || p.socket == socket)) ctx->tx_pool = p.pool;
    return ctx;
  };
  auto add_codec = [&](LcoreContext* ctx) {
    if (!codec) return;
    const bool enc = cfg.engine != config::Engine::kDecode;
    const bool dec = cfg.engine != config::Engine::kEncode;
    ctx->codec = new CodecLcoreState(cfg, ctx->lcore, lcore_index++, ctx->socket, enc, dec);
  };
  auto stream_of = [&](uint16_t rx_port, uint16_t rx_queue, uint16_t tx_port, uint16_t tx_queue) {
    uint8_t offload = 0;
    bool stamped = false;
    for (const auto& p : ports_) {
      if (p.id == tx_port) offload = p.tx_csum_offload;
      if (p.id == rx_port) stamped = p.arrival_stamped;
    }
    return Stream{rx_port,
                  rx_queue,
                  tx_port,
                  tx_queue,
                  is_wan_port(rx_port) ? StreamRole::kWan : StreamRole::kLan,
                  offload,
                  stamped};
  };
  const int tsc_offset = runtime::rx_tsc_field_offset();
  for (const auto& p : ports_)
    if (p.id >= kMaxPorts)
      throw Error("port ids must be below " + std::to_string(kMaxPorts) + " (port " +
                  std::to_string(p.id) + ")");

  if (!pipeline) {
    for (const auto& lp : placement.lcores) {
      if (lp.streams.size() > kMaxStreamsPerLcore)
        throw Error("lcore " + std::to_string(lp.lcore) + " would poll " +
                    std::to_string(lp.streams.size()) + " queues; at most " +
                    std::to_string(kMaxStreamsPerLcore) +
                    " are supported (add lcores with -l or lower --rxq)");
      LcoreContext* ctx = new_context(lp.lcore, lp.socket);
      ctx->nb_streams = static_cast<uint16_t>(lp.streams.size());
      for (size_t i = 0; i < lp.streams.size(); ++i) {
        const auto& st = lp.streams[i];
        ctx->streams[i] = stream_of(st.rx_port, st.rx_queue, st.tx_port, st.tx_queue);
      }
      ctx->pipe.tsc_offset = tsc_offset;
      if (!lp.streams.empty()) add_codec(ctx);
    }
    return;
  }

  // Pipeline: rings first, then the three kinds of lcores wired to them.
  const runtime::PipelinePlan& plan = *pipeline;
  if (plan.work.size() > kMaxStageRings || plan.tx.size() > kMaxStageRings)
    throw Error("--stages: at most " + std::to_string(kMaxStageRings) +
                " worker and TX lcores are supported");
  for (const auto& r : plan.work_rings)
    rings_.push_back(std::make_unique<runtime::Ring>(r.name, cfg.ring_size, r.socket,
                                                     r.single_producer(), true));
  const size_t first_tx_ring = rings_.size();
  for (const auto& r : plan.tx_rings)
    rings_.push_back(std::make_unique<runtime::Ring>(r.name, cfg.ring_size, r.socket,
                                                     r.single_producer(), true));
  auto links = [&](LcoreContext* ctx, LcoreRole role) {
    ctx->pipe.role = role;
    ctx->pipe.tsc_offset = tsc_offset;
    ctx->pipe.backpressure = cfg.backpressure;
    ctx->pipe.ring_retries = cfg.ring_retries;
  };
  for (const auto& rx : plan.rx) {
    LcoreContext* ctx = new_context(rx.lcore, rx.socket);
    links(ctx, LcoreRole::kRx);
    if (rx.rx_streams.size() > kMaxStreamsPerLcore)
      throw Error("RX lcore " + std::to_string(rx.lcore) + " would poll too many queues");
    ctx->nb_streams = static_cast<uint16_t>(rx.rx_streams.size());
    for (size_t i = 0; i < rx.rx_streams.size(); ++i) {
      const auto& st = rx.rx_streams[i];
      ctx->streams[i] = stream_of(st.rx_port, st.rx_queue, st.tx_port, 0);
    }
    for (size_t w = 0; w < plan.work.size(); ++w)
      ctx->pipe.out_rings[w] = rings_[w].get();
    ctx->pipe.nb_out_rings = static_cast<uint16_t>(plan.work.size());
  }
  for (size_t w = 0; w < plan.work.size(); ++w) {
    LcoreContext* ctx = new_context(plan.work[w].lcore, plan.work[w].socket);
    links(ctx, LcoreRole::kWork);
    ctx->pipe.in_ring = rings_[w].get();
    ctx->pipe.upstream_done = &rx_done_;
    for (size_t t = 0; t < plan.tx.size(); ++t)
      ctx->pipe.out_rings[t] = rings_[first_tx_ring + t].get();
    ctx->pipe.nb_out_rings = static_cast<uint16_t>(plan.tx.size());
    for (size_t pi = 0; pi < ports_.size(); ++pi) {
      const uint16_t rx_port = ports_[pi].id, tx_port = plan.tx_port_of[pi];
      ctx->pipe.stream_of_rx_port[rx_port] = stream_of(rx_port, 0, tx_port, 0);
      ctx->pipe.out_ring_of_tx_port[tx_port] = static_cast<uint8_t>(plan.tx_lcore_of_port(tx_port));
    }
    add_codec(ctx);
  }
  for (size_t t = 0; t < plan.tx.size(); ++t) {
    const auto& tx = plan.tx[t];
    if (tx.tx_ports.size() > kMaxTxPortsPerLcore)
      throw Error("TX lcore " + std::to_string(tx.lcore) + " would own more than " +
                  std::to_string(kMaxTxPortsPerLcore) + " ports; add TX lcores");
    LcoreContext* ctx = new_context(tx.lcore, tx.socket);
    links(ctx, LcoreRole::kTx);
    ctx->pipe.in_ring = rings_[first_tx_ring + t].get();
    ctx->pipe.upstream_done = &work_done_;
    ctx->nb_streams = static_cast<uint16_t>(tx.tx_ports.size());
    for (size_t i = 0; i < tx.tx_ports.size(); ++i)
      ctx->streams[i] = Stream{kNoPort, 0, tx.tx_ports[i], 0, StreamRole::kLan};
  }
  // I/O lcores: an RX and a TX context on the same lcore run as one loop.
  for (auto& r : contexts_)
    if (r->pipe.role == LcoreRole::kRx)
      for (auto& t : contexts_)
        if (t->pipe.role == LcoreRole::kTx && t->lcore == r->lcore)
          io_lcores_.push_back({r.get(), t.get()});
}

IoLcore* Forwarder::io_lcore_of(unsigned lcore) noexcept {
  for (auto& io : io_lcores_)
    if (io.rx->lcore == lcore) return &io;
  return nullptr;
}

Forwarder::~Forwarder() {
  stop_and_wait();
}

void Forwarder::launch() {
  auto start = [&](LcoreMain fn, LcoreContext& c) {
    if (int rc = rte_eal_remote_launch(fn, &c, c.lcore); rc != 0) {
      c.stage_done.store(true);  // never ran
      stop_and_wait();
      throw Error("cannot launch lcore " + std::to_string(c.lcore) + " (busy?)");
    }
    launched_ = true;
  };
  // stop_and_wait() waits for stage_done of RX stages: only those launched.
  for (auto& c : contexts_)
    c->stage_done.store(c->pipe.role != LcoreRole::kRx);
  for (auto& c : contexts_) {
    switch (c->pipe.role) {
      case LcoreRole::kRtc:
        if (c->nb_streams) start(lcore_main_for(cfg_.engine, cfg_.cycles), *c);
        break;
      case LcoreRole::kRx:
        if (IoLcore* io = io_lcore_of(c->lcore)) {
          if (rte_eal_remote_launch(pipeline_io_main, io, c->lcore) != 0) {
            c->stage_done.store(true);
            stop_and_wait();
            throw Error("cannot launch lcore " + std::to_string(c->lcore) + " (busy?)");
          }
          launched_ = true;
        } else {
          start(pipeline_rx_main, *c);
        }
        break;
      case LcoreRole::kWork: start(work_main_for(cfg_.engine), *c); break;
      case LcoreRole::kTx:
        if (!io_lcore_of(c->lcore)) start(pipeline_tx_main, *c);  // else: its I/O lcore sends
        break;
    }
  }
}

void Forwarder::start() {
  if (launched_) return;
  if (!start_tsc_) start_tsc_ = rte_get_tsc_cycles();
  // Codec engines chosen at the console get their per-lcore state now.
  if (config::engine_uses_codec(cfg_.engine)) {
    uint32_t index = 0;
    for (auto& c : contexts_) {
      const bool forwards =
          c->pipe.role == LcoreRole::kWork || (c->pipe.role == LcoreRole::kRtc && c->nb_streams);
      if (forwards && !c->codec)
        c->codec = new CodecLcoreState(cfg_, c->lcore, index, c->socket, true, true);
      if (forwards) ++index;
    }
  }
  rx_done_.store(false);
  work_done_.store(false);
  for (auto& c : contexts_)
    c->paused_ack.store(false);
  control_.state.store(RunState::kRunning);
  launch();
}

void Forwarder::stop() noexcept {
  stop_and_wait();
}

void Forwarder::set_engine(config::Engine e) {
  if (launched_) throw Error("stop forwarding first");
  cfg_.engine = e;
  if (engine_listener_) engine_listener_(e);
}

void Forwarder::on_engine_change(std::function<void(config::Engine)> listener) {
  engine_listener_ = std::move(listener);
  if (engine_listener_) engine_listener_(cfg_.engine);
}

void Forwarder::set_burst(uint16_t burst) {
  if (launched_) throw Error("stop forwarding first");
  if (burst == 0 || burst > kMaxBurst) throw Error("burst must be 1.." + std::to_string(kMaxBurst));
  cfg_.burst = burst;
  for (auto& c : contexts_)
    c->burst = burst;
}

void Forwarder::stop_and_wait() noexcept {
  control_.state.store(RunState::kStopping);
  if (!launched_) return;
  // Stop in pipeline order: RX first, then each stage once its input is drained.
  auto wait_role = [&](LcoreRole role) {
    for (auto& c : contexts_)
      if (c->pipe.role == role && (role != LcoreRole::kRtc || c->nb_streams))
        rte_eal_wait_lcore(c->lcore);
  };
  wait_role(LcoreRole::kRtc);
  // RX stages report through a flag: an I/O lcore's loop keeps sending until
  // the workers are done, so its lcore cannot be waited for yet.
  for (auto& c : contexts_)
    if (c->pipe.role == LcoreRole::kRx)
      while (!c->stage_done.load(std::memory_order_acquire))
        rte_pause();
  rx_done_.store(true, std::memory_order_release);
  wait_role(LcoreRole::kWork);
  work_done_.store(true, std::memory_order_release);
  wait_role(LcoreRole::kTx);
  wait_role(LcoreRole::kRx);  // returns at once for lcores already collected
  launched_ = false;
}

uint64_t Forwarder::rx_total() const noexcept {
  uint64_t t = 0;
  for (const auto& c : contexts_)
    for (uint16_t i = 0; i < c->nb_streams; ++i)
      t += c->stream_counters[i].rx_packets.load();
  return t;
}

bool Forwarder::is_wan_port(uint16_t port) const noexcept {
  if (cfg_.engine != config::Engine::kGateway) return false;
  if (!cfg_.wan_ports.empty())
    return std::find(cfg_.wan_ports.begin(), cfg_.wan_ports.end(), port) != cfg_.wan_ports.end();
  // Default: the second port of each pair (ports in use, in order).
  for (size_t i = 0; i < ports_.size(); ++i)
    if (ports_[i].id == port) return i % 2 == 1;
  return false;
}

double Forwarder::elapsed() const noexcept {
  if (!start_tsc_) return 0;
  return static_cast<double>(rte_get_tsc_cycles() - start_tsc_) /
         static_cast<double>(rte_get_tsc_hz());
}

void Forwarder::pause() noexcept {
  RunState expected = RunState::kRunning;
  control_.state.compare_exchange_strong(expected, RunState::kPaused);
  // Return once every lcore that polls ports has finished its burst, so RX
  // counters read after pause() stay frozen (bounded wait: 200 ms). Only they
  // acknowledge (RunGate): pipeline workers and TX stages drain their rings.
  const uint64_t deadline = rte_get_tsc_cycles() + rte_get_tsc_hz() / 5;
  for (const auto& c : contexts_) {
    const bool polls = c->pipe.role == LcoreRole::kRtc || c->pipe.role == LcoreRole::kRx;
    if (!launched_ || c->nb_streams == 0 || !polls) continue;
    while (!c->paused_ack.load(std::memory_order_acquire) && rte_get_tsc_cycles() < deadline)
      rte_pause();
  }
}
void Forwarder::resume() noexcept {
  RunState expected = RunState::kPaused;
  control_.state.compare_exchange_strong(expected, RunState::kRunning);
}
bool Forwarder::paused() const noexcept {
  return control_.state.load() == RunState::kPaused;
}

std::string Forwarder::set_link(uint16_t port, bool up) {
  if (std::none_of(ports_.begin(), ports_.end(), [&](const PortDesc& p) { return p.id == port; }))
    return "port " + std::to_string(port) + " is not in use";
  const int rc = up ? rte_eth_dev_set_link_up(port) : rte_eth_dev_set_link_down(port);
  if (rc != 0)
    return "port " + std::to_string(port) + ": the driver cannot set its link " +
           (up ? "up" : "down") + " (" + rte_strerror(-rc) + ")";
  poll_links();
  return {};
}

void Forwarder::poll_links() {
  for (const auto& p : ports_) {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(p.id, &link) != 0) continue;
    const uint8_t down = link.link_status == RTE_ETH_LINK_DOWN;
    if (control_.link_down[p.id].exchange(down, std::memory_order_relaxed) != down)
      std::fprintf(stderr, "deltaplane: port %u (%s) link %s\n", p.id, p.name.c_str(),
                   down ? "down: its TX frames are dropped as link_down" : "up");
  }
}

void Forwarder::set_keyframe_interval(uint32_t packets) noexcept {
  control_.keyframe_interval.store(packets, std::memory_order_relaxed);
}
uint32_t Forwarder::keyframe_interval() const noexcept {
  return control_.keyframe_interval.load(std::memory_order_relaxed);
}

namespace {
std::string format_key(const packet::FlowKey& k) {
  char a[64], b[64];
  auto addr = [](const uint8_t* x, bool v4, char* out) {
    if (v4)
      std::snprintf(out, 64, "%u.%u.%u.%u", x[12], x[13], x[14], x[15]);
    else
      std::snprintf(out, 64, "%x:%x:%x:%x:%x:%x:%x:%x", x[0] << 8 | x[1], x[2] << 8 | x[3],
                    x[4] << 8 | x[5], x[6] << 8 | x[7], x[8] << 8 | x[9], x[10] << 8 | x[11],
                    x[12] << 8 | x[13], x[14] << 8 | x[15]);
  };
  const bool v4 = k.ip_version == 4;
  addr(k.src, v4, a);
  addr(k.dst, v4, b);
  return "proto " + std::to_string(k.proto) + " " + a + ":" + std::to_string(k.src_port) + " > " +
         b + ":" + std::to_string(k.dst_port) + " vlan " + std::to_string(k.vlan[0]);
}
}  // namespace

FlowReport Forwarder::flow_report(size_t top_n) const {
  FlowReport r;
  for (const auto& c : contexts_) {
    if (!c->codec) continue;
    const CodecLcoreState& st = *c->codec;
    for (const auto* t : {st.enc_table.get(), st.dec_table.get()}) {
      if (!t) continue;
      r.tables.push_back({c->lcore, t == st.enc_table.get() ? "encoder" : "decoder", t->capacity(),
                          t->occupancy(), t->insertions(), t->evictions()});
    }
    if (!st.enc_table) continue;
    for (uint32_t slot = 0; slot < st.enc_table->capacity(); ++slot) {
      const EncoderFlow& f = (*st.enc_flows)[slot];
      const uint64_t bytes = f.bytes.load();
      if (bytes == 0) continue;
      TopFlow tf{c->lcore, st.params.lcore_index << 22 | slot, f.packets.load(), bytes, {}};
      auto min =
          std::min_element(r.top.begin(), r.top.end(),
                           [](const TopFlow& x, const TopFlow& y) { return x.bytes < y.bytes; });
      if (r.top.size() >= top_n && min->bytes >= bytes) continue;
      if (const auto* k =
              static_cast<const packet::FlowKey*>(st.enc_table->key_at(static_cast<int32_t>(slot))))
        tf.key = format_key(*k);
      if (r.top.size() < top_n)
        r.top.push_back(std::move(tf));
      else
        *min = std::move(tf);
    }
  }
  std::sort(r.top.begin(), r.top.end(),
            [](const TopFlow& x, const TopFlow& y) { return x.bytes > y.bytes; });
  return r;
}

void Forwarder::set_stats_period(double seconds) noexcept {
  stats_period_us_.store(static_cast<uint64_t>(seconds * 1e6));
}
double Forwarder::stats_period() const noexcept {
  return static_cast<double>(stats_period_us_.load()) / 1e6;
}

void Forwarder::reset_counters() {
  stats::Snapshot now = snapshot();
  std::lock_guard lock(baseline_mutex_);
  baseline_ = std::move(now);
}

stats::Snapshot Forwarder::snapshot_since_reset() const {
  stats::Snapshot now = snapshot();
  std::lock_guard lock(baseline_mutex_);
  return subtract(now, baseline_);
}

stats::Snapshot subtract(const stats::Snapshot& now, const stats::Snapshot& base) {
  stats::Snapshot d = now;
  if (base.ports.size() != now.ports.size() || base.lcores.size() != now.lcores.size()) return d;
  d.elapsed_s = now.elapsed_s - base.elapsed_s;
  for (size_t i = 0; i < d.ports.size(); ++i) {
    auto& p = d.ports[i];
    const auto& b = base.ports[i];
    p.rx_packets -= b.rx_packets;
    p.rx_bytes -= b.rx_bytes;
    p.tx_packets -= b.tx_packets;
    p.tx_bytes -= b.tx_bytes;
    p.hw_ipackets -= b.hw_ipackets;
    p.hw_opackets -= b.hw_opackets;
    p.hw_imissed -= b.hw_imissed;
    p.hw_ierrors -= b.hw_ierrors;
    p.hw_oerrors -= b.hw_oerrors;
    p.hw_rx_nombuf -= b.hw_rx_nombuf;
  }
  for (size_t i = 0; i < d.lcores.size(); ++i) {
    auto& l = d.lcores[i];
    const auto& b = base.lcores[i];
    l.rx_packets -= b.rx_packets;
    l.tx_packets -= b.tx_packets;
    l.drops -= b.drops;
    l.polls -= b.polls;
    l.empty_polls -= b.empty_polls;
  }
  for (size_t r = 0; r < d.drops.size(); ++r)
    d.drops[r] -= base.drops[r];
#define DELTAPLANE_X(name, help) d.codec.name -= base.codec.name;
  DELTAPLANE_CODEC_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
  d.cycles_rx -= base.cycles_rx;
  d.cycles_engine -= base.cycles_engine;
  d.cycles_tx -= base.cycles_tx;
  d.cycles_packets -= base.cycles_packets;
  d.csum_offloaded -= base.csum_offloaded;
  d.csum_ipv4_checked -= base.csum_ipv4_checked;
  d.csum_ipv4_fixed -= base.csum_ipv4_fixed;
  d.csum_l4_checked -= base.csum_l4_checked;
  d.csum_l4_fixed -= base.csum_l4_fixed;
  return d;
}

stats::Snapshot Forwarder::snapshot() const {
  stats::Snapshot s;
  s.elapsed_s = elapsed();
  if (!rings_.empty()) {
    for (const auto& r : rings_) {
      stats::RingSnapshot rs;
      rs.name = r->name();
      rs.sync = r->single_producer() ? "SP/SC" : "MP/SC";
      rs.capacity = r->capacity();
      rs.count = r->count();
      s.held += rs.count;
      for (const auto& c : contexts_)
        for (uint16_t i = 0; i < c->pipe.nb_out_rings; ++i)
          if (c->pipe.out_rings[i] == r.get()) {
            const auto& rc = c->pipe.ring_counters[i];
            rs.high_water = std::max(rs.high_water, rc.high_water.load());
            rs.enqueued += rc.enqueued.load();
            rs.full_events += rc.full_events.load();
            rs.dropped += rc.dropped.load();
          }
      s.rings.push_back(rs);
    }
    const double ns_per_cycle = 1e9 / static_cast<double>(rte_get_tsc_hz());
    stats::HistogramMerge to_worker, to_tx;
    for (const auto& c : contexts_) {
      if (c->pipe.role == LcoreRole::kWork) to_worker.add(c->latency);
      if (c->pipe.role == LcoreRole::kTx) to_tx.add(c->latency);
    }
    s.latency.push_back({"rx_to_worker", to_worker.summarize(ns_per_cycle)});
    s.latency.push_back({"rx_to_tx", to_tx.summarize(ns_per_cycle)});
  } else if (std::any_of(ports_.begin(), ports_.end(),
                         [](const PortDesc& p) { return p.arrival_stamped; })) {
    stats::HistogramMerge to_tx;
    for (const auto& c : contexts_)
      to_tx.add(c->latency);
    s.latency.push_back(
        {"arrival_to_tx", to_tx.summarize(1e9 / static_cast<double>(rte_get_tsc_hz()))});
  }
  for (const auto& pd : pools_)
    s.pools.push_back({pd.name, pd.socket, pd.pool->size, rte_mempool_in_use_count(pd.pool)});
  for (const auto& p : ports_) {
    stats::PortSnapshot ps;
    ps.port = p.id;
    ps.name = p.name;
    ps.socket = p.socket;
    rte_eth_stats hw{};
    if (rte_eth_stats_get(p.id, &hw) == 0) {
      ps.hw_ipackets = hw.ipackets;
      ps.hw_opackets = hw.opackets;
      ps.hw_imissed = hw.imissed;
      ps.hw_ierrors = hw.ierrors;
      ps.hw_oerrors = hw.oerrors;
      ps.hw_rx_nombuf = hw.rx_nombuf;
    }
    if (p.extra_stats) p.extra_stats(ps);
    s.ports.push_back(ps);
  }
  auto port_slot = [&](uint16_t id) -> stats::PortSnapshot* {
    for (auto& p : s.ports)
      if (p.port == id) return &p;
    return nullptr;
  };
  for (const auto& c : contexts_) {
    stats::LcoreSnapshot ls;
    ls.lcore = c->lcore;
    ls.socket = c->socket;
    ls.polls = c->counters.polls.load();
    ls.empty_polls = c->counters.empty_polls.load();
    s.cycles_rx += c->counters.cycles_rx.load();
    s.cycles_engine += c->counters.cycles_engine.load();
    s.cycles_tx += c->counters.cycles_tx.load();
    s.cycles_packets += c->counters.cycles_packets.load();
    s.csum_offloaded += c->counters.csum_offloaded.load();
    s.csum_ipv4_checked += c->counters.csum_ipv4_checked.load();
    s.csum_ipv4_fixed += c->counters.csum_ipv4_fixed.load();
    s.csum_l4_checked += c->counters.csum_l4_checked.load();
    s.csum_l4_fixed += c->counters.csum_l4_fixed.load();
    for (uint16_t i = 0; i < c->nb_streams; ++i) {
      const auto& sc = c->stream_counters[i];
      const auto& st = c->streams[i];
      uint64_t rx = sc.rx_packets.load(), tx = sc.tx_packets.load();
      ls.rx_packets += rx;
      ls.tx_packets += tx;
      if (auto* p = port_slot(st.rx_port)) {
        p->rx_packets += rx;
        p->rx_bytes += sc.rx_bytes.load();
      }
      if (auto* p = port_slot(st.tx_port)) {
        p->tx_packets += tx;
        p->tx_bytes += sc.tx_bytes.load();
      }
    }
    if (c->codec) {
      s.codec.active = true;
      s.codec.add(c->codec->counters);
      s.codec.flow_capacity = cfg_.flow_capacity;
      if (c->codec->enc_table) s.codec.enc_flows += c->codec->enc_table->occupancy();
      if (c->codec->dec_table) s.codec.dec_flows += c->codec->dec_table->occupancy();
    }
    for (size_t r = 0; r < stats::kDropReasonCount; ++r) {
      uint64_t d = c->counters.drops[r].load();
      s.drops[r] += d;
      ls.drops += d;
    }
    // An I/O lcore's RX and TX contexts are one lcore.
    auto same = std::find_if(s.lcores.begin(), s.lcores.end(),
                             [&](const stats::LcoreSnapshot& o) { return o.lcore == ls.lcore; });
    if (same == s.lcores.end()) {
      s.lcores.push_back(ls);
    } else {
      same->rx_packets += ls.rx_packets;
      same->tx_packets += ls.tx_packets;
      same->drops += ls.drops;
      same->polls += ls.polls;
      same->empty_polls += ls.empty_polls;
    }
  }
  return s;
}

stats::Snapshot Forwarder::run(const std::function<void(const std::string&)>& print) {
  start_tsc_ = rte_get_tsc_cycles();
  launch();
  stats::Snapshot prev = snapshot();
  double last_print = 0;
  uint64_t last_rx = 0;
  double last_rx_change = 0;

  double last_link_poll = 0;
  while (!runtime::stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const double t = elapsed();
    if (t - last_link_poll >= 0.1) {  // a cable pull shows within 100 ms
      poll_links();
      last_link_poll = t;
    }
    if (cfg_.duration_s > 0 && t >= cfg_.duration_s) break;
    const uint64_t rx = rx_total();
    if (cfg_.max_packets && rx >= cfg_.max_packets) break;
    if (paused()) last_rx_change = t;  // a stopped appliance is not idle
    if (rx != last_rx) {
      last_rx = rx;
      last_rx_change = t;
    } else if (cfg_.idle_timeout_s > 0 && t - last_rx_change >= cfg_.idle_timeout_s) {
      break;
    }
    const double period = stats_period();
    if (!cfg_.quiet && period > 0 && t - last_print >= period) {
      stats::Snapshot now = snapshot_since_reset();
      if (now.elapsed_s < prev.elapsed_s) prev = {};  // counters were reset
      print(stats::format_periodic(now, prev));
      prev = std::move(now);
      last_print = t;
    }
  }
  stop_and_wait();
  return snapshot();
}

}  // namespace deltaplane::engines
