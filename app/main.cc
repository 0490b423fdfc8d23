// deltaplane [EAL options] -- [options]
//
// Wires the pieces together, in order: arguments, preflight, EAL, ports,
// placement, mempools, the data plane, the control loop (or the console), the
// report. Everything else lives in lib/ and drivers/.
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/error.hh"
#include "base/json.hh"
#include "base/version.hh"
#include "config/app_config.hh"
#include "control/console.hh"
#include "control/control_loop.hh"
#include "control/pdump.hh"
#include "control/report.hh"
#include "control/telemetry.hh"
#include "engines/dataplane.hh"
#include "ethdev/port.hh"
#include "runtime/eal.hh"
#include "runtime/mempool.hh"
#include "runtime/mempool_plan.hh"
#include "runtime/pipeline_plan.hh"
#include "runtime/placement.hh"
#include "runtime/preflight.hh"
#include "runtime/signals.hh"
#include "runtime/topology.hh"
#include "stats/audit.hh"
#include "synth/synth_port.hh"
#include "wire/wire.hh"

namespace dp = deltaplane;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitAccounting = 3;

int run(int argc, char** argv) {
  // Split at "--": EAL arguments before, ours after.
  int split = argc;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--") {
      split = i;
      break;
    }
  std::vector<std::string_view> app_args(argv + std::min(split + 1, argc), argv + argc);
  std::vector<std::string_view> eal_args(argv + 1, argv + split);

  // Our own arguments first: a typo fails fast, before the EAL says anything.
  auto parsed = dp::config::parse_args(app_args);
  if (parsed.help_requested) {
    std::cout << dp::config::usage();
    return kExitOk;
  }
  dp::config::AppConfig cfg = parsed.config;
  const auto synth_specs = dp::drivers::synth::parse_port_specs(cfg.synth);
  std::optional<dp::drivers::wire::WireSpec> wire_spec;
  if (cfg.wire) {
    wire_spec = dp::drivers::wire::parse_wire_spec(*cfg.wire);
    if (cfg.rx_queues > 1)
      throw dp::Error("--wire: its ports take one RX queue each; use --rxq 1 (or --config)");
  }
  const auto eal_info = dp::runtime::inspect_eal_args(eal_args);
  if (cfg.backpressure == dp::config::Backpressure::kAuto)
    cfg.backpressure = eal_info.rx_pcaps.empty() ? dp::config::Backpressure::kRetry
                                                 : dp::config::Backpressure::kBlock;

  dp::runtime::Preflight preflight;
  for (const auto& w : dp::drivers::check_pcap_link_types(eal_info.rx_pcaps))
    preflight.add(
        {dp::runtime::Level::kWarning, "pcap", w, "convert it to Ethernet (editcap -T ether)"});
  // Hugepage and CPU facts before rte_eal_init: the EAL reserves its own share
  // (all of -m at once), after which "free" no longer says what we had.
  std::vector<unsigned> all_cpus(std::thread::hardware_concurrency());
  for (unsigned c = 0; c < all_cpus.size(); ++c)
    all_cpus[c] = c;
  const auto sys = dp::runtime::read_system_facts("/", all_cpus);
  if (!eal_info.no_huge)  // explained before the EAL trips over them
    for (const auto& f : dp::runtime::check_hugepages(sys, {}))
      if (f.level == dp::runtime::Level::kFatal)
        throw dp::Error("preflight: " + f.topic + ": " + f.message + " — fix: " + f.fix);

  std::vector<char*> eal_argv{argv[0]};
  eal_argv.insert(eal_argv.end(), argv + 1, argv + split);
  dp::runtime::install_stop_signals();
  dp::control::register_telemetry_commands();  // before the EAL's plugins fill the table
  dp::runtime::Eal eal(eal_argv);
  dp::control::PdumpServer pdump;  // dpdk-dumpcap can attach (not with --in-memory)
  if (!pdump.available())
    std::cerr << "deltaplane: live capture unavailable: " << pdump.reason() << "\n";
  // The in-process WAN link adds two ports (the next ids) before any is used.
  std::unique_ptr<dp::drivers::wire::Wire> wire;
  if (wire_spec)
    wire = std::make_unique<dp::drivers::wire::Wire>(*wire_spec, static_cast<int>(rte_socket_id()));

  // Ports, lcores, and where each lcore polls and sends.
  const std::vector<uint16_t> port_ids = dp::drivers::EthPort::ports_in_use(cfg.ports);
  std::vector<dp::runtime::PortInfo> port_infos;
  std::vector<dp::runtime::NamedPort> named;
  for (uint16_t id : port_ids) {
    port_infos.push_back({id, dp::drivers::EthPort::socket_of(id)});
    named.push_back({id, dp::drivers::EthPort::name_of(id), dp::drivers::EthPort::socket_of(id)});
  }
  if (cfg.engine == dp::config::Engine::kGateway && port_ids.size() < 2)
    throw dp::Error("--fwd gateway: needs at least one LAN and one WAN port, " +
                    std::to_string(port_ids.size()) + " port(s) available (" +
                    dp::drivers::EthPort::describe_available() + ")");
  const std::vector<unsigned> generator_lcores = dp::drivers::synth::generator_lcores(synth_specs);
  std::vector<dp::runtime::LcoreInfo> workers;
  std::vector<unsigned> worker_cpus;
  unsigned lc;
  RTE_LCORE_FOREACH_WORKER(lc) {
    if (std::find(generator_lcores.begin(), generator_lcores.end(), lc) != generator_lcores.end())
      continue;  // a synthetic source's generator, not a forwarding lcore
    workers.push_back({lc, static_cast<int>(rte_lcore_to_socket_id(lc))});
    worker_cpus.push_back(dp::runtime::first_cpu_of_lcore(lc));
  }
  std::optional<dp::runtime::PipelinePlan> pipeline;
  dp::runtime::Placement placement;
  if (cfg.model == dp::config::Model::kPipeline) {
    pipeline = dp::runtime::plan_pipeline(port_infos, workers, cfg);
    placement = dp::runtime::placement_of(*pipeline);
  } else {
    placement = dp::runtime::place(port_infos, workers, cfg);
  }
  for (const auto& w : placement.warnings)
    preflight.add(
        {w.starts_with("cross-NUMA") ? dp::runtime::Level::kWarning : dp::runtime::Level::kInfo,
         "placement", w, ""});

  // Mempools: what the ports, lcores, rings and drivers need, per socket.
  std::vector<dp::runtime::PortDemand> demands;
  for (size_t i = 0; i < port_ids.size(); ++i) {
    dp::runtime::PortDemand d;
    d.port = port_ids[i];
    d.socket = port_infos[i].socket < 0 ? static_cast<int>(rte_socket_id()) : port_infos[i].socket;
    d.rx_queues = placement.queues[i].rx_queues;
    d.tx_queues = placement.queues[i].tx_queues;
    for (const auto& ss : synth_specs)
      if (ss.port == d.port) {
        d.driver_slots =
            dp::drivers::synth::SynthPort::ring_slots(ss.spec, d.rx_queues, cfg.rx_desc);
        d.driver_lcores = static_cast<unsigned>(ss.spec.lcores.size());
        d.own_pool = dp::drivers::synth::SynthPort::needs_own_pool(ss.spec);
      }
    if (wire && (d.port == wire->port_a() || d.port == wire->port_b()))
      d.driver_slots = wire->spec().ring;  // the link's ring towards this port holds our mbufs
    demands.push_back(d);
  }
  unsigned forwarding = 0;
  for (const auto& l : placement.lcores)
    forwarding += !l.streams.empty() || pipeline;
  const uint64_t ring_slots =
      pipeline ? (pipeline->work_rings.size() + pipeline->tx_rings.size()) * cfg.ring_size : 0;
  const auto pools_plan =
      dp::runtime::plan_mempools(cfg, demands, forwarding, ring_slots, eal_info.no_huge);
  preflight.add(pools_plan.findings);
  preflight.add(dp::runtime::check_hugepages(sys, pools_plan.memory));
  preflight.add(dp::runtime::check_cpus(sys, worker_cpus));
  preflight.add(dp::runtime::check_numa(placement, port_infos));
  if (cfg.preflight_only) {
    std::cout << (cfg.json ? preflight.json() : preflight.format());
    return preflight.fatal() ? kExitError : kExitOk;
  }
  std::cerr << preflight.format();
  preflight.throw_if_fatal();

  std::map<int, std::unique_ptr<dp::runtime::Mempool>> pools;
  for (const auto& [sock, n] : pools_plan.per_socket)
    pools[sock] = std::make_unique<dp::runtime::Mempool>("dp_mbuf_s" + std::to_string(sock), n,
                                                         cfg.mbuf_cache, cfg.mbuf_data_room, sock);
  std::map<uint16_t, std::unique_ptr<dp::runtime::Mempool>> own_pools;  // synthetic generators'
  for (const auto& [port, sp] : pools_plan.own)
    own_pools[port] = std::make_unique<dp::runtime::Mempool>(
        "dp_synth" + std::to_string(port), sp.second, cfg.mbuf_cache, cfg.mbuf_data_room, sp.first);

  // Ports (declared after the pools: destroyed before them).
  std::vector<dp::drivers::EthPort> ports;
  ports.reserve(port_ids.size());
  std::vector<dp::engines::PortDesc> port_descs;
  const std::vector<bool> wan = dp::engines::wan_ports(cfg, port_ids);
  for (size_t i = 0; i < port_ids.size(); ++i) {
    ports.emplace_back(port_ids[i], dp::drivers::port_setup(cfg, placement.queues[i],
                                                            pools.at(demands[i].socket)->get()));
    const auto& ep = ports.back();
    const uint64_t tx = ep.tx_checksum_offloads();
    port_descs.push_back(
        {port_ids[i],
         ep.name(),
         ep.socket(),
         static_cast<uint8_t>((tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM ? dp::engines::kTxCsumIpv4 : 0) |
                              (tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM ? dp::engines::kTxCsumTcp : 0) |
                              (tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM ? dp::engines::kTxCsumUdp : 0)),
         ep.rx_checksum_flags(),
         false,
         wan[i],
         {}});
    for (const auto& n : ports.back().notes())
      std::cerr << "port " << port_ids[i] << ": " << n << "\n";
  }
  // The wire's impairments tap its ports (declared after them: removed first).
  std::unique_ptr<dp::drivers::wire::WireTaps> wire_taps;
  if (wire) {
    wire_taps = std::make_unique<dp::drivers::wire::WireTaps>(*wire);
    std::cerr << "port " << wire->port_a() << " (wire_a) <-> port " << wire->port_b()
              << " (wire_b): in-process WAN link, " << wire->spec().describe() << "\n";
  }
  // Synthetic traffic on net_null ports (declared after the ports: removed first).
  std::vector<std::unique_ptr<dp::drivers::synth::SynthPort>> synths;
  for (const auto& ss : synth_specs) {
    const size_t i = dp::drivers::synth::port_index(ss, port_ids);
    synths.push_back(std::make_unique<dp::drivers::synth::SynthPort>(
        ss.port, ss.spec, ports[i].rx_desc(), cfg.mbuf_data_room,
        own_pools.contains(ss.port) ? own_pools.at(ss.port)->get()
                                    : pools.at(demands[i].socket)->get()));
    const auto* sp = synths.back().get();
    port_descs[i].arrival_stamped = sp->stamps_arrivals();
    port_descs[i].extra_stats = [sp](dp::stats::PortSnapshot& ps) {
      const auto st = sp->stats();
      ps.hw_ipackets = st.delivered;  // net_null also counts the frames the model holds back
      ps.hw_imissed += st.missed;
    };
    std::cerr << "port " << ss.port << ": synthetic traffic: " << ss.spec.describe() << "\n";
  }

  if (cfg.print_topology) {
    std::cout << dp::runtime::describe_placement(placement, dp::runtime::Topology::discover(),
                                                 named);
    if (pipeline) std::cout << dp::runtime::describe(*pipeline);
  }
  std::cerr << "deltaplane " << dp::version() << " (" << dp::git_revision() << "): engine "
            << dp::config::engine_name(cfg.engine) << ", model "
            << dp::config::model_name(cfg.model)
            << (pipeline ? " (backpressure " +
                               std::string(dp::config::backpressure_name(cfg.backpressure)) + ")"
                         : std::string())
            << ", " << port_ids.size() << " port(s), " << workers.size()
            << " forwarding lcore(s), burst " << cfg.burst << "\n";
  for (const auto& p : ports)
    std::cerr << "port " << p.id() << " (" << p.name() << "): " << p.link_status() << "\n";

  std::vector<dp::engines::PoolDesc> pool_descs;
  for (const auto& [sock, pool] : pools)
    pool_descs.push_back({"dp_mbuf_s" + std::to_string(sock), sock, pool->get()});
  for (const auto& [port, pool] : own_pools)
    pool_descs.push_back(
        {"dp_synth" + std::to_string(port), pools_plan.own.at(port).first, pool->get(), false});
  dp::engines::Dataplane plane(cfg, placement, port_descs, pool_descs,
                               pipeline ? &*pipeline : nullptr);
  dp::control::PdumpQuiesce pdump_quiesce([&plane] { plane.quiesce(); });
  if (!own_pools.empty())
    plane.on_engine_change([&synths](dp::config::Engine e) {
      if (dp::config::rewrites_payload(e))
        for (auto& sp : synths)
          sp->payload_rewritten();
    });
  dp::control::TelemetryAttachment telemetry(plane);
  for (auto& sp : synths)
    sp->start_generators();
  dp::stats::Snapshot final_snap;
  if (cfg.interactive) {
    dp::control::run_console(plane, cfg.auto_start);
    final_snap = plane.snapshot();
  } else {
    final_snap = dp::control::run_until_stop(
        plane, [](const std::string& s) { std::cout << s << std::flush; });
  }
  if (!generator_lcores.empty()) {  // their rings hold mbufs until they stop
    for (auto& sp : synths)
      sp->stop_generators();
    final_snap = plane.snapshot();  // the lcores are stopped: only pools and drivers moved
  }
  if (int sig = dp::runtime::stop_signal())
    std::cerr << "deltaplane: stopping on signal " << sig << "\n";

  // The report: the table, the drivers' lines, the gateway pair's verdict, JSON.
  std::cout << dp::stats::format_summary(final_snap);
  for (const auto& sp : synths)
    std::cout << sp->describe_stats();
  std::optional<dp::stats::AuditVerdict> verdict;
  const dp::stats::WanLinkReport wan_link =
      wire_taps ? wire_taps->report() : dp::stats::WanLinkReport{};
  if (wire && cfg.audit && cfg.engine == dp::config::Engine::kGateway) {
    verdict = dp::stats::audit_verdict(final_snap, wan_link);
    std::cout << verdict->text;
  }
  std::cout << std::flush;
  if (!cfg.stats_json.empty())
    dp::control::write_summary_file(cfg.stats_json, cfg, final_snap, [&](dp::JsonWriter& w) {
      w.begin_array("synthetic");
      for (const auto& sp : synths)
        sp->write_json(w);
      w.end_array();
      if (verdict) dp::stats::write_audit_json(w, *verdict, wan_link);
    });
  const auto acc = dp::stats::account(final_snap);
  if (!acc.balanced()) {
    std::cerr << "deltaplane: accounting invariant violated: " << acc.describe() << "\n";
    return kExitAccounting;
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const dp::Error& e) {
    std::cerr << "deltaplane: error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "deltaplane: internal error: " << e.what() << "\n";
  }
  return kExitError;
}
