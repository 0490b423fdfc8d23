#include "engines/lcore_set.hh"

#include <rte_malloc.h>

#include <algorithm>
#include <new>

#include "base/error.hh"
#include "codec/simd.hh"
#include "engines/codec_state.hh"
#include "runtime/ring.hh"
#include "runtime/rx_timestamp.hh"

namespace deltaplane::engines {

const packet::BurstValidator& select_simd(const std::optional<SimdLevel>& level) {
  if (level && !simd_level_supported(*level))
    throw Error("--simd " + std::string(simd_level_name(*level)) +
                ": this CPU does not support it");
  const SimdLevel l = level.value_or(best_simd_level());
  codec::set_simd_level(l);
  return packet::burst_validator(l);
}

void LcoreSet::Deleter::operator()(void* p) const noexcept {
  rte_free(p);
}

template <class T>
T* LcoreSet::make(unsigned lcore, int socket, LcoreRole role) {
  void* mem = rte_zmalloc_socket("deltaplane_lcore", sizeof(T), 64, socket);
  if (!mem) mem = rte_zmalloc("deltaplane_lcore", sizeof(T), 64);  // any socket rather than none
  if (!mem) throw Error("cannot allocate the context of lcore " + std::to_string(lcore));
  memory_.emplace_back(mem);
  T* ctx = new (mem) T();
  destroy_.emplace_back([ctx] { ctx->~T(); });
  init_core(ctx->core, lcore, socket);
  LcoreSlot slot;
  slot.role = role;
  slot.context = ctx;
  slot.core = &ctx->core;
  if constexpr (requires { ctx->streams; }) slot.streams = &ctx->streams;
  if constexpr (requires { ctx->out; }) slot.out = &ctx->out;
  if constexpr (requires { ctx->latency; }) slot.latency = &ctx->latency;
  if constexpr (requires { ctx->env; }) {
    slot.env = &ctx->env;
    init_env(ctx->env, ctx->core);
  }
  if constexpr (requires { ctx->io; }) init_io(ctx->io);
  slots_.push_back(slot);
  return ctx;
}

void LcoreSet::init_core(LcoreCore& core, unsigned lcore, int socket) const {
  core.lcore = lcore;
  core.socket = socket;
  core.burst = cfg_.burst;
  core.control = &control_;
}

void LcoreSet::init_env(EngineEnv& env, LcoreCore& core) const {
  env.counters = &core.counters;
  env.control = &control_;
  env.validator = validator_;
  env.validate_options.drop_unknown_ethertype = cfg_.drop_unknown_ethertype;
  env.validate_options.drop_ttl_zero = cfg_.drop_ttl_zero;
  env.validate_options.verify_l4_checksum = cfg_.verify_l4_checksum;
  env.rx_csum_flags =
      std::any_of(ports_.begin(), ports_.end(), [](const PortDesc& p) { return p.rx_csum_flags; });
}

void LcoreSet::init_io(IoParams& io) const {
  io.max_frame = cfg_.max_frame;
  io.tx_retries = cfg_.tx_retries;
  io.tx_retry_delay_us = cfg_.tx_retry_delay_us;
  io.tsc_offset = tsc_offset_;
}

Stream LcoreSet::stream_of(uint16_t rx_port, uint16_t rx_queue, uint16_t tx_port,
                           uint16_t tx_queue) const {
  Stream s{rx_port, rx_queue, tx_port, tx_queue, StreamRole::kLan, 0, false};
  for (const auto& p : ports_) {
    if (p.id == tx_port) s.tx_csum_offload = p.tx_csum_offload;
    if (p.id == rx_port) {
      s.stamped = p.arrival_stamped;
      if (p.wan) s.role = StreamRole::kWan;
    }
  }
  return s;
}

LcoreSet::LcoreSet(const config::AppConfig& cfg, const runtime::Placement& placement,
                   const std::vector<PortDesc>& ports, const std::vector<PoolDesc>& pools,
                   const ControlBlock& control, const runtime::PipelinePlan* pipeline)
    : cfg_(cfg),
      ports_(ports),
      pools_(pools),
      control_(control),
      validator_(&select_simd(cfg.simd)),
      tsc_offset_(runtime::rx_tsc_field_offset()) {
  for (const auto& p : ports)
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
      auto* ctx = make<RtcContext>(lp.lcore, lp.socket, LcoreRole::kRtc);
      ctx->streams.nb = static_cast<uint16_t>(lp.streams.size());
      for (size_t i = 0; i < lp.streams.size(); ++i) {
        const auto& st = lp.streams[i];
        ctx->streams.streams[i] = stream_of(st.rx_port, st.rx_queue, st.tx_port, st.tx_queue);
      }
      ctx->gen.pkt_len = cfg.tx_pkt_len;
      ctx->gen.flows = cfg.gen_flows;
      ctx->gen.rate = cfg.tx_rate;
      for (const auto& p : pools)  // generators allocate on their own socket if they can
        if (p.engines_allocate && (!ctx->gen.pool || p.socket == lp.socket)) ctx->gen.pool = p.pool;
    }
    ensure_codec_state(cfg, cfg.engine);
    return;
  }

  // Pipeline: rings first, then the three kinds of lcores wired to them.
  const runtime::PipelinePlan& plan = *pipeline;
  if (plan.work.size() > kMaxStageRings || plan.tx.size() > kMaxStageRings)
    throw Error("--stages: at most " + std::to_string(kMaxStageRings) +
                " worker and TX lcores are supported");
  for (const auto* rings : {&plan.work_rings, &plan.tx_rings})
    for (const auto& r : *rings)
      rings_.push_back(std::make_unique<runtime::Ring>(r.name, cfg.ring_size, r.socket,
                                                       r.single_producer(), true));
  const size_t first_tx_ring = plan.work_rings.size();
  auto ring_out = [&](RingOut& out, size_t first, size_t n) {
    for (size_t i = 0; i < n; ++i)
      out.rings[i] = rings_[first + i].get();
    out.nb = static_cast<uint16_t>(n);
    out.backpressure = cfg.backpressure;
    out.retries = cfg.ring_retries;
  };
  for (const auto& rx : plan.rx) {
    if (rx.rx_streams.size() > kMaxStreamsPerLcore)
      throw Error("RX lcore " + std::to_string(rx.lcore) + " would poll too many queues");
    auto* ctx = make<RxStageContext>(rx.lcore, rx.socket, LcoreRole::kRx);
    ctx->streams.nb = static_cast<uint16_t>(rx.rx_streams.size());
    for (size_t i = 0; i < rx.rx_streams.size(); ++i) {
      const auto& st = rx.rx_streams[i];
      ctx->streams.streams[i] = stream_of(st.rx_port, st.rx_queue, st.tx_port, 0);
    }
    ring_out(ctx->out, 0, plan.work.size());
  }
  for (size_t w = 0; w < plan.work.size(); ++w) {
    auto* ctx = make<WorkerContext>(plan.work[w].lcore, plan.work[w].socket, LcoreRole::kWork);
    ctx->tsc_offset = tsc_offset_;
    ctx->in = rings_[w].get();
    ctx->upstream_done = &rx_done;
    ring_out(ctx->out, first_tx_ring, plan.tx.size());
    for (size_t pi = 0; pi < ports.size(); ++pi) {
      const uint16_t rx_port = ports[pi].id, tx_port = plan.tx_port_of[pi];
      ctx->stream_of_rx_port[rx_port] = stream_of(rx_port, 0, tx_port, 0);
      ctx->out_ring_of_tx_port[tx_port] = static_cast<uint8_t>(plan.tx_lcore_of_port(tx_port));
    }
  }
  for (size_t t = 0; t < plan.tx.size(); ++t) {
    const auto& tx = plan.tx[t];
    if (tx.tx_ports.size() > kMaxTxPortsPerLcore)
      throw Error("TX lcore " + std::to_string(tx.lcore) + " would own more than " +
                  std::to_string(kMaxTxPortsPerLcore) + " ports; add TX lcores");
    auto* ctx = make<TxStageContext>(tx.lcore, tx.socket, LcoreRole::kTx);
    ctx->in = rings_[first_tx_ring + t].get();
    ctx->upstream_done = &work_done;
    ctx->streams.nb = static_cast<uint16_t>(tx.tx_ports.size());
    for (size_t i = 0; i < tx.tx_ports.size(); ++i)
      ctx->streams.streams[i] = Stream{kNoPort, 0, tx.tx_ports[i], 0, StreamRole::kLan, 0, false};
  }
  // I/O lcores: an RX and a TX context on the same lcore run as one loop.
  for (const auto& r : slots_)
    if (r.role == LcoreRole::kRx)
      for (const auto& t : slots_)
        if (t.role == LcoreRole::kTx && t.core->lcore == r.core->lcore)
          io_lcores_.push_back(
              {static_cast<RxStageContext*>(r.context), static_cast<TxStageContext*>(t.context)});
  ensure_codec_state(cfg, cfg.engine);
}

LcoreSet::~LcoreSet() {
  for (auto it = destroy_.rbegin(); it != destroy_.rend(); ++it)
    (*it)();
}

IoLcore* LcoreSet::io_lcore_of(unsigned lcore) noexcept {
  for (auto& io : io_lcores_)
    if (io.rx->core.lcore == lcore) return &io;
  return nullptr;
}

void LcoreSet::ensure_codec_state(const config::AppConfig& cfg, config::Engine engine) {
  if (!config::engine_uses_codec(engine)) return;
  const bool enc = config::has_trait(engine, config::kEncodes);
  const bool dec = config::has_trait(engine, config::kDecodes);
  uint32_t index = 0;  // the high bits of the flow ids each lcore assigns
  for (auto& s : slots_) {
    const bool runs_engine = s.env && (s.role == LcoreRole::kWork || s.streams->nb > 0);
    if (!runs_engine) continue;
    CodecLcoreState* have = s.env->codec;
    if (!have || (enc && !have->encodes()) || (dec && !have->decodes())) {
      // The console switched to an engine that needs the other half: both.
      const bool both = have != nullptr;
      std::erase_if(codec_, [have](const auto& c) { return c.get() == have; });
      rte_mempool* pool = nullptr;  // an engine pool, on the lcore's socket if there is one
      for (const auto& p : pools_)
        if (p.engines_allocate && (!pool || p.socket == s.core->socket)) pool = p.pool;
      // The ports this lcore encodes towards: each gets its own stream (v2).
      std::vector<uint16_t> encode_ports;
      auto add = [&](const Stream& st) {
        const bool encodes =
            engine == config::Engine::kGateway ? st.role == StreamRole::kLan : true;
        if (encodes &&
            std::find(encode_ports.begin(), encode_ports.end(), st.tx_port) == encode_ports.end())
          encode_ports.push_back(st.tx_port);
      };
      if (s.role == LcoreRole::kWork) {
        const auto* w = static_cast<const WorkerContext*>(s.context);
        for (const auto& p : ports_)
          if (p.id < kMaxPorts) add(w->stream_of_rx_port[p.id]);
      } else {
        for (uint16_t i = 0; i < s.streams->nb; ++i)
          add(s.streams->streams[i]);
      }
      codec_.push_back(std::make_unique<CodecLcoreState>(
          cfg, s.core->lcore, index, s.core->socket, enc || both, dec || both, pool, encode_ports));
      s.env->codec = codec_.back().get();
    }
    ++index;
  }
}

void LcoreSet::set_burst(uint16_t burst) noexcept {
  for (auto& s : slots_)
    s.core->burst = burst;
}

}  // namespace deltaplane::engines
