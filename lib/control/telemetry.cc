#include "control/telemetry.hh"

#include "control/flow_report.hh"

#include <rte_cpuflags.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "base/version.hh"
#include "control/control_request.hh"
#include "engines/dataplane.hh"
#include "runtime/signals.hh"
#include "stats/drop_reason.hh"

namespace deltaplane::control {

namespace {

// The forwarder the commands act on. The mutex serialises the telemetry
// thread against attach/detach only; the data path never sees it.
std::mutex g_mutex;
engines::Dataplane* g_fwd = nullptr;

using Handler = int (*)(engines::Dataplane&, std::string_view params, rte_tel_data* d);

int reply_error(rte_tel_data* d, const std::string& msg) {
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_string(d, "error", msg.substr(0, RTE_TEL_MAX_STRING_LEN - 1).c_str());
  return 0;
}

void add_u64(rte_tel_data* d, const char* k, uint64_t v) {
  rte_tel_data_add_dict_u64(d, k, v);
}
void add_str(rte_tel_data* d, const char* k, const std::string& v) {
  rte_tel_data_add_dict_string(d, k, v.substr(0, RTE_TEL_MAX_STRING_LEN - 1).c_str());
}

bool no_params(std::string_view params, rte_tel_data* d) {
  if (params.empty()) return true;
  reply_error(d, "this command takes no parameter");
  return false;
}

template <Handler H>
int dispatch(const char*, const char* params, rte_tel_data* d) noexcept {
  try {
    std::lock_guard lock(g_mutex);
    if (!g_fwd) return reply_error(d, "not forwarding");
    std::string_view p = params ? std::string_view(params) : std::string_view();
    return H(*g_fwd, p, d);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "deltaplane: telemetry: %s\n", e.what());
    return -ENOMEM;  // allocation is the only thing expected to throw here
  } catch (...) {
    return -ENOMEM;
  }
}

int cmd_info(engines::Dataplane& f, std::string_view params, rte_tel_data* d) {
  if (!no_params(params, d)) return 0;
  rte_tel_data_start_dict(d);
  add_str(d, "version", std::string(version()));
  add_str(d, "git_revision", std::string(git_revision()));
  add_str(d, "build_type", std::string(build_type()));
  add_str(d, "compiler", std::string(compiler()));
  add_str(d, "dpdk_version", rte_version());
  add_str(d, "engine", std::string(config::engine_name(f.config().engine)));
  add_str(d, "model", std::string(config::model_name(f.config().model)));
  add_str(d, "validator", std::string(f.validator_name()));
  std::string flags;
  for (auto [flag, name] : {std::pair{RTE_CPUFLAG_SSE4_2, "sse4.2"},
                            {RTE_CPUFLAG_AVX2, "avx2"},
                            {RTE_CPUFLAG_AVX512F, "avx512f"},
                            {RTE_CPUFLAG_PCLMULQDQ, "pclmul"}})
    if (rte_cpu_get_flag_enabled(flag) > 0) flags += (flags.empty() ? "" : ",") + std::string(name);
  add_str(d, "cpu_flags", flags);
  add_str(d, "state", f.paused() ? "paused" : "forwarding");
  add_u64(d, "pid", static_cast<uint64_t>(getpid()));
  return 0;
}

int cmd_config(engines::Dataplane& f, std::string_view params, rte_tel_data* d) {
  if (!no_params(params, d)) return 0;
  const auto& c = f.config();
  rte_tel_data_start_dict(d);
  add_str(d, "fwd", std::string(config::engine_name(c.engine)));
  add_str(d, "port_topology", std::string(config::port_topology_name(c.topology)));
  add_u64(d, "burst", c.burst);
  add_u64(d, "rxq", c.rx_queues);
  add_u64(d, "rxd", c.rx_desc);
  add_u64(d, "txd", c.tx_desc);
  add_u64(d, "mbufs", c.mbufs);
  add_u64(d, "mbuf_cache", c.mbuf_cache);
  add_u64(d, "mbuf_size", c.mbuf_data_room);
  add_u64(d, "max_frame", c.max_frame);
  add_u64(d, "promiscuous", c.promiscuous);
  add_u64(d, "tx_retry", c.tx_retries);
  add_u64(d, "stats_period_ms", static_cast<uint64_t>(f.stats_period() * 1e3));
  add_u64(d, "duration_ms", static_cast<uint64_t>(c.duration_s * 1e3));
  add_u64(d, "max_packets", c.max_packets);
  add_u64(d, "idle_timeout_ms", static_cast<uint64_t>(c.idle_timeout_s * 1e3));
  add_str(d, "model", std::string(config::model_name(c.model)));
  add_str(d, "simd", c.simd ? std::string(simd_level_name(*c.simd)) : std::string("auto"));
  add_str(d, "csum_offload", c.csum_offload ? "auto" : "off");
  add_u64(d, "mtu", c.mtu);
  add_u64(d, "keyframe_interval", f.keyframe_interval());
  add_u64(d, "keyframe_ms", c.keyframe_ms);
  add_u64(d, "flow_capacity", c.flow_capacity);
  add_u64(d, "ring_size", c.ring_size);
  return 0;
}

int cmd_stats(engines::Dataplane& f, std::string_view params, rte_tel_data* d) {
  if (!no_params(params, d)) return 0;
  stats::Snapshot s = f.snapshot_since_reset();
  auto a = stats::account(s);
  rte_tel_data_start_dict(d);
  add_u64(d, "elapsed_ms", static_cast<uint64_t>(s.elapsed_s * 1e3));
  add_u64(d, "rx_packets", a.rx);
  add_u64(d, "tx_packets", a.tx);
  add_u64(d, "rx_bytes", s.rx_bytes());
  add_u64(d, "tx_bytes", s.tx_bytes());
  add_u64(d, "dropped", a.dropped);
  add_u64(d, "held", a.held);
  add_u64(d, "merged", a.merged);
  add_u64(d, "split", a.split);
  add_str(d, "state", f.paused() ? "paused" : "forwarding");
  return 0;
}

int cmd_drops(engines::Dataplane& f, std::string_view params, rte_tel_data* d) {
  if (!no_params(params, d)) return 0;
  stats::Snapshot s = f.snapshot_since_reset();
  rte_tel_data_start_dict(d);
  for (size_t r = 0; r < stats::kDropReasonCount; ++r)
    if (stats::is_reported(r))
      add_u64(d, std::string(stats::kDropReasonNames[r]).c_str(), s.drops[r]);
  return 0;
}

// Every codec counter (stats/counters.hh) since reset, for the bytes saved
// per coding path (deltaplane-ctl codec). All zero when no codec engine runs.
int cmd_codec(engines::Dataplane& f, std::string_view params, rte_tel_data* d) {
  if (!no_params(params, d)) return 0;
  const stats::CodecSnapshot c = f.snapshot_since_reset().codec;
  rte_tel_data_start_dict(d);
  add_u64(d, "active", c.active);
  add_u64(d, "wire_format", c.version);
#define DELTAPLANE_X(name, help) add_u64(d, #name, c.name);
  DELTAPLANE_CODEC_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
  add_u64(d, "enc_flows", c.enc_flows);
  add_u64(d, "dec_flows", c.dec_flows);
  add_u64(d, "flow_capacity", c.flow_capacity);
  return 0;
}

int cmd_ports(engines::Dataplane& f, std::string_view params, rte_tel_data* d) {
  if (!no_params(params, d)) return 0;
  stats::Snapshot s = f.snapshot_since_reset();
  rte_tel_data_start_dict(d);
  for (const auto& p : s.ports) {
    rte_tel_data* c = rte_tel_data_alloc();
    if (!c) return -ENOMEM;
    rte_tel_data_start_dict(c);
    add_str(c, "name", p.name);
    rte_tel_data_add_dict_int(c, "socket", p.socket);
    rte_eth_link link{};
    rte_eth_link_get_nowait(p.port, &link);
    add_str(c, "link", link.link_status ? "up" : "down");
    add_u64(c, "link_speed_mbps", link.link_speed);
    add_u64(c, "rx_packets", p.rx_packets);
    add_u64(c, "rx_bytes", p.rx_bytes);
    add_u64(c, "tx_packets", p.tx_packets);
    add_u64(c, "tx_bytes", p.tx_bytes);
    add_u64(c, "hw_imissed", p.hw_imissed);
    add_u64(c, "hw_ierrors", p.hw_ierrors);
    add_u64(c, "hw_oerrors", p.hw_oerrors);
    add_u64(c, "hw_rx_nombuf", p.hw_rx_nombuf);
    rte_tel_data_add_dict_container(d, std::to_string(p.port).c_str(), c, 0);
  }
  return 0;
}

int cmd_lcores(engines::Dataplane& f, std::string_view params, rte_tel_data* d) {
  if (!no_params(params, d)) return 0;
  stats::Snapshot s = f.snapshot_since_reset();
  rte_tel_data_start_dict(d);
  {
    rte_tel_data* c = rte_tel_data_alloc();
    if (!c) return -ENOMEM;
    rte_tel_data_start_dict(c);
    add_str(c, "role", "control");
    rte_tel_data_add_dict_int(c, "socket",
                              static_cast<int>(rte_lcore_to_socket_id(rte_get_main_lcore())));
    rte_tel_data_add_dict_container(d, std::to_string(rte_get_main_lcore()).c_str(), c, 0);
  }
  const auto& pl = f.placement();
  for (size_t i = 0; i < pl.lcores.size() && i < s.lcores.size(); ++i) {
    const auto& lp = pl.lcores[i];
    const auto& ls = s.lcores[i];
    rte_tel_data* c = rte_tel_data_alloc();
    if (!c) return -ENOMEM;
    rte_tel_data_start_dict(c);
    add_str(c, "role", lp.streams.empty() ? "idle" : "forward");
    rte_tel_data_add_dict_int(c, "socket", lp.socket);
    std::string q;
    for (const auto& st : lp.streams)
      q += (q.empty() ? "" : " ") + std::to_string(st.rx_port) + "/" + std::to_string(st.rx_queue) +
           ">" + std::to_string(st.tx_port) + "/" + std::to_string(st.tx_queue);
    add_str(c, "queues", q);
    add_u64(c, "rx_packets", ls.rx_packets);
    add_u64(c, "tx_packets", ls.tx_packets);
    add_u64(c, "drops", ls.drops);
    add_u64(c, "polls", ls.counters.polls);
    add_u64(c, "empty_polls", ls.counters.empty_polls);
    rte_tel_data_add_dict_container(d, std::to_string(lp.lcore).c_str(), c, 0);
  }
  return 0;
}

int cmd_mempools(engines::Dataplane& f, std::string_view params, rte_tel_data* d) {
  if (!no_params(params, d)) return 0;
  stats::Snapshot s = f.snapshot();
  rte_tel_data_start_dict(d);
  for (const auto& m : s.pools) {
    rte_tel_data* c = rte_tel_data_alloc();
    if (!c) return -ENOMEM;
    rte_tel_data_start_dict(c);
    rte_tel_data_add_dict_int(c, "socket", m.socket);
    add_u64(c, "size", m.size);
    add_u64(c, "in_use", m.in_use);
    add_u64(c, "available", m.size - m.in_use);
    rte_tel_data_add_dict_container(d, m.name.c_str(), c, 0);
  }
  return 0;
}

int cmd_rings(engines::Dataplane& f, std::string_view params, rte_tel_data* d) {
  if (!no_params(params, d)) return 0;
  stats::Snapshot s = f.snapshot();
  rte_tel_data_start_dict(d);
  add_str(d, "model", std::string(config::model_name(f.config().model)));
  for (const auto& r : s.rings) {  // none in the run-to-completion model
    rte_tel_data* c = rte_tel_data_alloc();
    if (!c) return -ENOMEM;
    rte_tel_data_start_dict(c);
    add_str(c, "sync", r.sync);
    add_u64(c, "capacity", r.capacity);
    add_u64(c, "count", r.count);
    add_u64(c, "high_water", r.high_water);
    add_u64(c, "enqueued", r.enqueued);
    add_u64(c, "full_events", r.full_events);
    add_u64(c, "dropped", r.dropped);
    rte_tel_data_add_dict_container(d, r.name.c_str(), c, 0);
  }
  return 0;
}

int cmd_flows(engines::Dataplane& f, std::string_view params, rte_tel_data* d) {
  if (!no_params(params, d)) return 0;
  const FlowReport r = flow_report(f, 10);
  rte_tel_data_start_dict(d);
  add_u64(d, "flow_tables", r.tables.size());  // 0 unless a codec engine runs
  rte_tel_data* tables = rte_tel_data_alloc();
  if (!tables) return -ENOMEM;
  rte_tel_data_start_dict(tables);
  for (const auto& t : r.tables) {
    rte_tel_data* c = rte_tel_data_alloc();
    if (!c) return -ENOMEM;
    rte_tel_data_start_dict(c);
    add_u64(c, "lcore", t.lcore);
    add_u64(c, "capacity", t.capacity);
    add_u64(c, "occupancy", t.occupancy);
    add_u64(c, "insertions", t.insertions);
    add_u64(c, "evictions", t.evictions);
    rte_tel_data_add_dict_container(tables, (t.kind + "_" + std::to_string(t.lcore)).c_str(), c, 0);
  }
  rte_tel_data_add_dict_container(d, "tables", tables, 0);
  rte_tel_data* top = rte_tel_data_alloc();
  if (!top) return -ENOMEM;
  rte_tel_data_start_dict(top);  // keyed by rank: DPDK arrays cannot hold dicts
  size_t rank = 0;
  for (const auto& t : r.top) {
    rte_tel_data* c = rte_tel_data_alloc();
    if (!c) return -ENOMEM;
    rte_tel_data_start_dict(c);
    add_u64(c, "flow_id", t.flow_id);
    add_u64(c, "lcore", t.lcore);
    add_u64(c, "packets", t.packets);
    add_u64(c, "bytes", t.bytes);
    add_str(c, "key", t.key);
    rte_tel_data_add_dict_container(top, std::to_string(++rank).c_str(), c, 0);
  }
  rte_tel_data_add_dict_container(d, "top_by_bytes", top, 0);
  return 0;
}

int cmd_latency(engines::Dataplane& f, std::string_view params, rte_tel_data* d) {
  if (!no_params(params, d)) return 0;
  stats::Snapshot s = f.snapshot();
  rte_tel_data_start_dict(d);
  add_str(d, "unit", "ns");
  if (s.latency.empty()) add_str(d, "note", "latency is measured in the pipeline model only");
  for (const auto& l : s.latency) {
    rte_tel_data* c = rte_tel_data_alloc();
    if (!c) return -ENOMEM;
    rte_tel_data_start_dict(c);
    add_u64(c, "count", l.ns.count);
    add_u64(c, "p50", static_cast<uint64_t>(l.ns.p50));
    add_u64(c, "p90", static_cast<uint64_t>(l.ns.p90));
    add_u64(c, "p99", static_cast<uint64_t>(l.ns.p99));
    add_u64(c, "p99_9", static_cast<uint64_t>(l.ns.p999));
    add_u64(c, "max", static_cast<uint64_t>(l.ns.max));
    rte_tel_data_add_dict_container(d, l.stage.c_str(), c, 0);
  }
  return 0;
}

int reply_ok(rte_tel_data* d, const std::string& what) {
  rte_tel_data_start_dict(d);
  add_str(d, "ok", what);
  return 0;
}

// One command for every operator action keeps us within DPDK's fixed table of
// telemetry callbacks (a fixed table in DPDK; driver plugins register many commands):
//   reset | stop | start | shutdown | stats_period | stats_period=<seconds>
int cmd_control(engines::Dataplane& f, std::string_view params, rte_tel_data* d) {
  const ControlRequest req = parse_control_request(params);
  if (!req.error.empty()) return reply_error(d, req.error);
  switch (req.verb) {
    case ControlVerb::kReset: f.reset_counters(); return reply_ok(d, "counters reset");
    case ControlVerb::kStop: f.pause(); return reply_ok(d, "forwarding stopped");
    case ControlVerb::kStart: f.resume(); return reply_ok(d, "forwarding started");
    case ControlVerb::kShutdown: runtime::request_stop(); return reply_ok(d, "shutting down");
    case ControlVerb::kKeyframeInterval:
      if (!config::engine_uses_codec(f.config().engine))
        return reply_error(d, "keyframe_interval: no codec engine is running");
      if (req.packets) f.set_keyframe_interval(*req.packets);
      rte_tel_data_start_dict(d);
      add_u64(d, "keyframe_interval", f.keyframe_interval());
      return 0;
    case ControlVerb::kLinkDown:
    case ControlVerb::kLinkUp: {
      const bool up = req.verb == ControlVerb::kLinkUp;
      const std::string err = f.set_link(*req.port, up);
      if (!err.empty()) return reply_error(d, err);
      return reply_ok(d, "port " + std::to_string(*req.port) + " link " + (up ? "up" : "down"));
    }
    case ControlVerb::kStatsPeriod:
      if (req.seconds) f.set_stats_period(*req.seconds);
      rte_tel_data_start_dict(d);
      add_u64(d, "stats_period_ms", static_cast<uint64_t>(f.stats_period() * 1e3));
      return 0;
  }
  return reply_error(d, "internal: unhandled control verb");
}

struct Command {
  const char* name;
  telemetry_cb fn;
  const char* help;
};

constexpr Command kCommands[] = {
    {"/deltaplane/info", dispatch<cmd_info>,
     "Version, build, CPU features, engine. No parameters."},
    {"/deltaplane/config", dispatch<cmd_config>, "Effective configuration. No parameters."},
    {"/deltaplane/stats", dispatch<cmd_stats>, "Aggregate counters since reset. No parameters."},
    {"/deltaplane/ports", dispatch<cmd_ports>, "Per-port counters and link. No parameters."},
    {"/deltaplane/lcores", dispatch<cmd_lcores>,
     "Per-lcore role, queues, counters. No parameters."},
    {"/deltaplane/drops", dispatch<cmd_drops>, "Drops by reason since reset. No parameters."},
    {"/deltaplane/mempools", dispatch<cmd_mempools>, "Mempool size and in-use. No parameters."},
    {"/deltaplane/rings", dispatch<cmd_rings>, "Inter-stage rings. No parameters."},
    {"/deltaplane/flows", dispatch<cmd_flows>, "Flow tables. No parameters."},
    {"/deltaplane/codec", dispatch<cmd_codec>,
     "Codec counters since reset (bytes per coding path). No parameters."},
    {"/deltaplane/latency", dispatch<cmd_latency>, "Latency percentiles. No parameters."},
    {"/deltaplane/control", dispatch<cmd_control>,
     // DPDK refuses help texts of 128 bytes or more.
     "reset|stop|start|shutdown|stats_period[=s]|keyframe_interval[=n]|link_down=P|link_up=P"},
};

constexpr bool help_texts_fit() {
  for (const auto& c : kCommands)
    if (std::char_traits<char>::length(c.help) >= 128) return false;  // RTE_TEL_MAX_STRING_LEN
  return true;
}
static_assert(help_texts_fit(), "DPDK rejects telemetry help texts of 128 bytes or more");

}  // namespace

void register_telemetry_commands() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const auto& c : kCommands)
      if (int rc = rte_telemetry_register_cmd(c.name, c.fn, c.help); rc != 0)
        std::fprintf(stderr,
                     "deltaplane: warning: telemetry command %s not registered (%s); the "
                     "telemetry callback table is full\n",
                     c.name, rc == -ENOENT ? "no free slot" : "invalid");
  });
}

std::vector<std::string_view> telemetry_command_names() {
  std::vector<std::string_view> v;
  for (const auto& c : kCommands)
    v.emplace_back(c.name);
  return v;
}

TelemetryAttachment::TelemetryAttachment(engines::Dataplane& fwd) {
  register_telemetry_commands();
  std::lock_guard lock(g_mutex);
  g_fwd = &fwd;
}

TelemetryAttachment::~TelemetryAttachment() {
  std::lock_guard lock(g_mutex);
  g_fwd = nullptr;
}

}  // namespace deltaplane::control
