// deltaplane [EAL options] -- [options]
//
// Parses the arguments, runs the preflight, wires EAL, mempools, ports and the
// forwarder together, and reports. All logic lives in lib/ and drivers/.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
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
#include "control/pdump.hh"
#include "control/telemetry.hh"
#include "engines/forwarder.hh"
#include "ethdev/port.hh"
#include "runtime/eal.hh"
#include "runtime/mempool.hh"
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

std::string print_placement(const dp::runtime::Placement& pl, const dp::runtime::Topology& topo,
                            const std::vector<dp::engines::PortDesc>& ports) {
  std::string s = topo.describe();
  for (const auto& p : ports)
    s += "  port " + std::to_string(p.id) + " (" + p.name + "): socket " +
         (p.socket < 0 ? std::string("any") : std::to_string(p.socket)) + "\n";
  for (const auto& l : pl.lcores) {
    unsigned cpu = 0;
    rte_cpuset_t set = rte_lcore_cpuset(l.lcore);
    for (unsigned c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) {
        cpu = c;
        break;
      }
    s += "  lcore " + std::to_string(l.lcore) + " -> cpu " + std::to_string(cpu) + " (NUMA node " +
         std::to_string(topo.numa_node_of_cpu(cpu)) + ", EAL socket " + std::to_string(l.socket) +
         "):";
    if (l.streams.empty()) s += " idle";
    for (const auto& st : l.streams)
      s += " [rx " + std::to_string(st.rx_port) + "/" + std::to_string(st.rx_queue) + " -> tx " +
           std::to_string(st.tx_port) + "/" + std::to_string(st.tx_queue) + "]";
    s += "\n";
  }
  return s;
}

std::string print_pipeline(const dp::runtime::PipelinePlan& p) {
  std::string s = "  pipeline:";
  for (const auto* stage : {&p.rx, &p.work, &p.tx})
    for (const auto& l : *stage)
      s += " " + std::string(dp::runtime::stage_role_name(l.role)) + ":" + std::to_string(l.lcore);
  s += "\n";
  for (const auto* rings : {&p.work_rings, &p.tx_rings})
    for (const auto& r : *rings)
      s += "  ring " + r.name + ": " + std::to_string(r.producers) + " producer(s) -> " +
           std::string(dp::runtime::stage_role_name(r.consumer_role)) + " lcore " +
           std::to_string(r.consumer_lcore) + ", " + (r.single_producer() ? "SP/SC" : "MP/SC") +
           ", socket " + std::to_string(r.socket) + "\n";
  for (const auto& t : p.tx) {
    s += "  TX lcore " + std::to_string(t.lcore) + " sends on ports";
    for (auto port : t.tx_ports)
      s += " " + std::to_string(port) + "/0";
    s += "\n";
  }
  return s;
}

// What the generator lcores did: their rate alone (frames per busy second) and
// how long they waited on full rings (the consumer was the bottleneck).
std::string format_generator_line(const dp::drivers::synth::SynthPort& sp,
                                  const dp::drivers::synth::SynthStats& st) {
  const double total = st.busy_s + st.full_s + st.idle_s;
  auto pct = [&](double x) { return total > 0 ? 100.0 * x / total : 0.0; };
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "synthetic port %u: %u generator lcore(s): %.2f Mpps alone (busy %.3f s), ring "
                "full %.1f%%, idle %.1f%% of their time; delivered %llu, flushed %llu at stop",
                sp.port(), st.generator_lcores, st.mpps_alone, st.busy_s, pct(st.full_s),
                pct(st.idle_s), static_cast<unsigned long long>(st.delivered),
                static_cast<unsigned long long>(st.flushed));
  std::string s = buf;
  if (st.late)
    s += ", late " + std::to_string(st.late) +
         " (the generators could not keep up with rate=; fewer frames were offered)";
  if (st.nombuf) s += ", " + std::to_string(st.nombuf) + " bursts found no mbufs";
  if (sp.spec().payload == dp::drivers::synth::PayloadModel::kFill) {
    s += "; payload already in place in " + std::to_string(st.head_only) + " frames";
    if (st.restored)
      s += " (" + std::to_string(st.restored) + " had " +
           std::to_string(st.restored_bytes / st.restored) +
           " B per frame put back after an engine rewrote them)";
  }
  return s + "\n";
}

int run(int argc, char** argv) {
  // Split at "--": EAL arguments before, ours after.
  int split = argc;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--") {
      split = i;
      break;
    }
  std::vector<std::string_view> app_args;
  for (int i = split + 1; i < argc; ++i)
    app_args.emplace_back(argv[i]);
  std::vector<std::string_view> eal_args;
  for (int i = 1; i < split; ++i)
    eal_args.emplace_back(argv[i]);

  // Our own arguments first: a typo fails fast, before the EAL says anything.
  auto parsed = dp::config::parse_args(app_args);
  if (parsed.help_requested) {
    std::cout << dp::config::usage();
    return kExitOk;
  }
  dp::config::AppConfig cfg = parsed.config;
  std::vector<dp::drivers::synth::PortSpec> synth_specs;  // checked before the EAL starts
  for (const auto& s : cfg.synth) {
    synth_specs.push_back(dp::drivers::synth::parse_port_spec(s));
    for (size_t i = 0; i + 1 < synth_specs.size(); ++i)
      if (synth_specs[i].port == synth_specs.back().port)
        throw dp::Error("--synth: port " + std::to_string(synth_specs.back().port) +
                        " is given twice");
  }

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
  std::vector<unsigned> all_cpus;
  for (unsigned c = 0; c < std::thread::hardware_concurrency(); ++c)
    all_cpus.push_back(c);
  const auto sys = dp::runtime::read_system_facts("/", all_cpus);

  // Hugepage problems are explained before the EAL trips over them.
  if (!eal_info.no_huge) {
    dp::runtime::MemoryPlan early;
    for (const auto& f : dp::runtime::check_hugepages(sys, early))
      if (f.level == dp::runtime::Level::kFatal)
        throw dp::Error("preflight: " + f.topic + ": " + f.message + " — fix: " + f.fix);
  }

  std::vector<char*> eal_argv{argv[0]};
  for (int i = 1; i < split; ++i)
    eal_argv.push_back(argv[i]);
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

  // Ports in use.
  std::vector<uint16_t> port_ids =
      cfg.ports.empty() ? dp::drivers::EthPort::available() : cfg.ports;
  if (port_ids.empty())
    throw dp::Error(
        "no ports: add virtual devices (--no-pci --vdev net_null0 ...) or NICs (-a PCI) before "
        "'--'");
  std::vector<dp::runtime::PortInfo> port_infos;
  std::vector<dp::engines::PortDesc> port_descs;
  for (uint16_t id : port_ids) {
    if (!dp::drivers::EthPort::exists(id))
      throw dp::Error("--ports: port " + std::to_string(id) + " does not exist (" +
                      dp::drivers::EthPort::describe_available() + ")");
    port_infos.push_back({id, dp::drivers::EthPort::socket_of(id)});
    port_descs.push_back(
        {id, dp::drivers::EthPort::name_of(id), dp::drivers::EthPort::socket_of(id)});
  }

  if (cfg.engine == dp::config::Engine::kGateway && port_ids.size() < 2)
    throw dp::Error("--fwd gateway: needs at least one LAN and one WAN port, " +
                    std::to_string(port_ids.size()) + " port(s) available (" +
                    dp::drivers::EthPort::describe_available() + ")");

  std::vector<dp::runtime::LcoreInfo> workers;
  std::vector<unsigned> worker_cpus;
  unsigned lc;
  std::vector<unsigned> generator_lcores;  // --synth ...,lcore=: not for forwarding
  for (const auto& ss : synth_specs)
    for (unsigned l : ss.spec.lcores) {
      if (std::find(generator_lcores.begin(), generator_lcores.end(), l) != generator_lcores.end())
        throw dp::Error("--synth: generator lcore " + std::to_string(l) + " is given twice");
      generator_lcores.push_back(l);
    }
  RTE_LCORE_FOREACH_WORKER(lc) {
    if (std::find(generator_lcores.begin(), generator_lcores.end(), lc) != generator_lcores.end())
      continue;
    workers.push_back({lc, static_cast<int>(rte_lcore_to_socket_id(lc))});
    rte_cpuset_t set = rte_lcore_cpuset(lc);
    for (unsigned c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) {
        worker_cpus.push_back(c);
        break;
      }
  }
  // Placement: rtc lcores poll queues; the pipeline gives lcores stage roles.
  dp::runtime::Placement placement;
  std::optional<dp::runtime::PipelinePlan> pipeline;
  if (cfg.model == dp::config::Model::kPipeline) {
    pipeline = dp::runtime::plan_pipeline(port_infos, workers, cfg);
    placement.queues = pipeline->queues;
    placement.warnings = pipeline->warnings;
    for (const auto* stage : {&pipeline->rx, &pipeline->work, &pipeline->tx})
      for (const auto& l : *stage)
        if (std::none_of(placement.lcores.begin(), placement.lcores.end(),
                         [&](const auto& x) { return x.lcore == l.lcore; }))  // I/O lcores once
          placement.lcores.push_back({l.lcore, l.socket, l.rx_streams});
  } else {
    placement = dp::runtime::place(port_infos, workers, cfg);
  }
  for (const auto& w : placement.warnings)
    preflight.add(
        {w.starts_with("cross-NUMA") ? dp::runtime::Level::kWarning : dp::runtime::Level::kInfo,
         "placement", w, ""});

  // Mempool demand per socket: descriptors of the socket's ports, its lcores.
  const uint32_t segs = (cfg.max_frame + cfg.mbuf_data_room - 1) / cfg.mbuf_data_room;
  std::map<int, dp::runtime::PoolDemand> demand;
  auto sock_of_port = [&](size_t i) {
    int s = port_infos[i].socket;
    return s < 0 ? static_cast<int>(rte_socket_id()) : s;
  };
  for (size_t i = 0; i < port_infos.size(); ++i) {
    auto& d = demand[sock_of_port(i)];
    d.rx_descriptors += uint64_t{placement.queues[i].rx_queues} * cfg.rx_desc;
    d.tx_descriptors += uint64_t{placement.queues[i].tx_queues} * cfg.tx_desc;
    d.cache_size = cfg.mbuf_cache;
    d.burst = cfg.burst;
    d.segments_per_frame = segs;
  }
  for (const auto& l : placement.lcores)
    for (auto& [sock, d] : demand) {
      (void)sock;
      if (!l.streams.empty() || pipeline) ++d.lcores;
    }
  if (pipeline) {  // every ring may be full of mbufs
    const uint64_t rings = pipeline->work_rings.size() + pipeline->tx_rings.size();
    for (auto& [sock, d] : demand) {
      (void)sock;
      d.rx_descriptors += rings * cfg.ring_size / demand.size();
    }
  }
  // Generator lcores: their frame and refill rings full, their caches. With
  // payload=fill they get a pool of their own (its buffers keep the pattern),
  // which must also cover every ring, cache and TX descriptor the frames pass.
  std::map<uint16_t, std::pair<int, uint32_t>> synth_pools;  // port -> socket, mbufs
  for (const auto& ss : synth_specs) {
    if (ss.spec.lcores.empty()) continue;
    for (size_t i = 0; i < port_infos.size(); ++i) {
      if (port_infos[i].id != ss.port) continue;
      const uint64_t rings = uint64_t{placement.queues[i].rx_queues} * 2 *  // frames + refill
                             (ss.spec.ring ? ss.spec.ring : cfg.rx_desc);
      const auto gens = static_cast<uint32_t>(ss.spec.lcores.size());
      if (!dp::drivers::synth::SynthPort::needs_own_pool(ss.spec)) {
        auto& d = demand[sock_of_port(i)];
        d.rx_descriptors += rings;
        d.lcores += gens;
        continue;
      }
      dp::runtime::PoolDemand own;
      own.rx_descriptors = rings;
      for (const auto& [sock, d] : demand) {
        (void)sock;
        own.tx_descriptors += d.tx_descriptors;
        own.lcores += d.lcores;
        if (pipeline) own.rx_descriptors += d.rx_descriptors;  // includes the stage rings
      }
      own.lcores += gens;
      own.cache_size = cfg.mbuf_cache;
      own.burst = cfg.burst;
      synth_pools[ss.port] = {sock_of_port(i), dp::runtime::mbufs_needed(own)};
    }
  }
  dp::runtime::MemoryPlan mem_plan;
  mem_plan.no_huge = eal_info.no_huge;
  std::map<int, uint32_t> pool_sizes;
  for (auto& [sock, d] : demand) {
    uint32_t need = dp::runtime::mbufs_needed(d);
    uint32_t n = cfg.mbufs ? cfg.mbufs : need;
    pool_sizes[sock] = n;
    if (sock >= 0 && sock < 8)
      mem_plan.bytes_per_socket[sock] = uint64_t{n} * (cfg.mbuf_data_room + 128 + 192);
    for (const auto& [port, sp] : synth_pools)
      if (sp.first == sock && sock >= 0 && sock < 8)
        mem_plan.bytes_per_socket[sock] += uint64_t{sp.second} * (cfg.mbuf_data_room + 128 + 192);
    if (cfg.mbufs && cfg.mbufs < need)
      preflight.add({dp::runtime::Level::kWarning, "mempool",
                     "--mbufs " + std::to_string(cfg.mbufs) + " on socket " + std::to_string(sock) +
                         " is below the " + std::to_string(need) +
                         " that ports x queues x descriptors + caches need; RX will starve "
                         "(rx_nombuf) under load",
                     "raise --mbufs or lower --rxd/--txd/--rxq"});
    else
      preflight.add({dp::runtime::Level::kOk, "mempool",
                     "socket " + std::to_string(sock) + ": " + std::to_string(n) + " mbufs of " +
                         std::to_string(cfg.mbuf_data_room) +
                         " B (ports x queues x descriptors + caches need " + std::to_string(need) +
                         ")",
                     ""});
  }
  preflight.add(dp::runtime::check_hugepages(sys, mem_plan));
  preflight.add(dp::runtime::check_cpus(sys, worker_cpus));
  bool numa_ok = true;
  for (const auto& l : placement.lcores)
    for (const auto& st : l.streams)
      for (const auto& p : port_infos)
        if (p.id == st.rx_port && p.socket >= 0 && p.socket != l.socket) numa_ok = false;
  if (numa_ok)
    preflight.add({dp::runtime::Level::kOk, "numa",
                   "every forwarding lcore is on the NUMA node of the ports it polls", ""});

  if (cfg.preflight_only) {
    if (cfg.json) {
      dp::JsonWriter w;
      w.begin_object();
      preflight.write_json(w);
      w.end_object();
      std::cout << w.str();
    } else {
      std::cout << preflight.format();
    }
    return preflight.fatal() ? kExitError : kExitOk;
  }
  std::cerr << preflight.format();
  if (preflight.fatal()) {
    for (const auto& f : preflight.findings())
      if (f.level == dp::runtime::Level::kFatal)
        throw dp::Error("preflight: " + f.topic + ": " + f.message +
                        (f.fix.empty() ? "" : " — fix: " + f.fix));
  }

  // Mempools, one per socket in use.
  std::map<int, std::unique_ptr<dp::runtime::Mempool>> pools;
  for (auto& [sock, n] : pool_sizes)
    pools[sock] = std::make_unique<dp::runtime::Mempool>("dp_mbuf_s" + std::to_string(sock), n,
                                                         cfg.mbuf_cache, cfg.mbuf_data_room, sock);
  std::map<uint16_t, std::unique_ptr<dp::runtime::Mempool>> own_pools;  // synthetic generators'
  for (const auto& [port, sp] : synth_pools)
    own_pools[port] = std::make_unique<dp::runtime::Mempool>(
        "dp_synth" + std::to_string(port), sp.second, cfg.mbuf_cache, cfg.mbuf_data_room, sp.first);

  // Ports (declared after the pools: destroyed before them).
  std::vector<dp::drivers::EthPort> ports;
  ports.reserve(port_ids.size());
  for (size_t i = 0; i < port_ids.size(); ++i) {
    dp::drivers::PortSetup ps;
    ps.rx_queues = placement.queues[i].rx_queues;
    ps.tx_queues = placement.queues[i].tx_queues;
    ps.rx_desc = cfg.rx_desc;
    ps.tx_desc = cfg.tx_desc;
    ps.max_frame = cfg.max_frame;
    ps.mbuf_data_room = cfg.mbuf_data_room;
    ps.promiscuous = cfg.promiscuous;
    ps.link_wait_ms = cfg.link_wait_ms;
    ps.checksum_offload = cfg.csum_offload;
    ps.pool = pools.at(sock_of_port(i))->get();
    ports.emplace_back(port_ids[i], ps);
    port_descs[i].rx_csum_flags = ports.back().rx_checksum_flags();
    const uint64_t tx = ports.back().tx_checksum_offloads();
    port_descs[i].tx_csum_offload =
        static_cast<uint8_t>((tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM ? dp::engines::kTxCsumIpv4 : 0) |
                             (tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM ? dp::engines::kTxCsumTcp : 0) |
                             (tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM ? dp::engines::kTxCsumUdp : 0));
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
    size_t i = 0;
    while (i < port_ids.size() && port_ids[i] != ss.port)
      ++i;
    if (i == port_ids.size())
      throw dp::Error("--synth: port " + std::to_string(ss.port) + " is not in use (" +
                      dp::drivers::EthPort::describe_available() + ")");
    synths.push_back(std::make_unique<dp::drivers::synth::SynthPort>(
        ss.port, ss.spec, ports[i].rx_desc(), cfg.mbuf_data_room,
        own_pools.contains(ss.port) ? own_pools.at(ss.port)->get()
                                    : pools.at(sock_of_port(i))->get()));
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
    std::cout << print_placement(placement, dp::runtime::Topology::discover(), port_descs);
    if (pipeline) std::cout << print_pipeline(*pipeline);
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
        {"dp_synth" + std::to_string(port), synth_pools.at(port).first, pool->get(), false});
  dp::engines::Forwarder fwd(cfg, placement, port_descs, pool_descs,
                             pipeline ? &*pipeline : nullptr);
  if (!own_pools.empty())
    fwd.on_engine_change([&synths](dp::config::Engine e) {
      if (dp::config::rewrites_payload(e))
        for (auto& sp : synths)
          sp->payload_rewritten();
    });
  dp::control::TelemetryAttachment telemetry(fwd);
  dp::stats::Snapshot final_snap;
  for (auto& sp : synths)
    sp->start_generators();
  if (cfg.interactive) {
    dp::control::run_console(fwd, cfg.auto_start);
    final_snap = fwd.snapshot();
  } else {
    final_snap = fwd.run([](const std::string& s) { std::cout << s << std::flush; });
  }
  if (!generator_lcores.empty()) {  // their rings hold mbufs until they stop
    for (auto& sp : synths)
      sp->stop_generators();
    final_snap.pools = fwd.snapshot().pools;
  }
  if (int sig = dp::runtime::stop_signal())
    std::cerr << "deltaplane: stopping on signal " << sig << "\n";

  std::cout << dp::stats::format_summary(final_snap) << std::flush;
  for (const auto& sp : synths) {
    const auto st = sp->stats();
    std::cout << "synthetic port " << sp->port() << ": generated " << st.generated << " frames ("
              << st.bytes << " B, " << st.invalid << " invalid on purpose), missed " << st.missed
              << (sp->spec().tx_rate ? ", sink took " + std::to_string(st.tx_taken) + " refused " +
                                           std::to_string(st.tx_refused)
                                     : std::string())
              << "\n";
    if (st.generator_lcores) std::cout << format_generator_line(*sp, st);
  }
  // Both ends of a gateway pair in this process: the end-to-end verdict.
  std::optional<dp::stats::AuditVerdict> verdict;
  dp::stats::WanLinkReport wan;
  if (wire) {
    for (const auto& d : {wire_taps->a_to_b(), wire_taps->b_to_a()}) {
      wan.carried += d.frames;
      wan.lost += d.lost;
      wan.flipped += d.flipped;
      wan.duplicated += d.duplicated;
      wan.reordered += d.swapped;
    }
    wan.in_flight = wire->in_flight();
    if (cfg.audit && cfg.engine == dp::config::Engine::kGateway) {
      verdict = dp::stats::audit_verdict(final_snap, wan);
      std::cout << verdict->text << std::flush;
    }
  }
  const auto acc = dp::stats::account(final_snap);
  if (!cfg.stats_json.empty()) {
    dp::JsonWriter w;
    w.begin_object();
    w.value("deltaplane_version", dp::version()).value("git_revision", dp::git_revision());
    w.value("engine", dp::config::engine_name(cfg.engine));
    w.value("burst", unsigned{cfg.burst});
    w.value("tsc_hz", rte_get_tsc_hz());  // turns cycles_per_packet into time
    dp::stats::write_summary_json(w, final_snap);
    w.begin_array("synthetic");
    for (const auto& sp : synths) {
      const auto st = sp->stats();
      w.begin_object();
      w.value("port", unsigned{sp->port()}).value("spec", sp->spec().describe());
      w.value("generated", st.generated).value("bytes", st.bytes).value("missed", st.missed);
      w.value("invalid", st.invalid).value("tx_taken", st.tx_taken);
      w.value("tx_refused", st.tx_refused);
      if (st.generator_lcores) {
        w.value("generator_lcores", st.generator_lcores).value("delivered", st.delivered);
        w.value("flushed", st.flushed).value("late", st.late).value("nombuf", st.nombuf);
        w.value("head_only", st.head_only).value("restored", st.restored);
        w.value("restored_bytes", st.restored_bytes);
        w.value("generator_busy_s", st.busy_s).value("generator_full_s", st.full_s);
        w.value("generator_idle_s", st.idle_s);
        w.value("generator_mpps_alone", st.mpps_alone);
      }
      w.end_object();
    }
    w.end_array();
    if (verdict) dp::stats::write_audit_json(w, *verdict, wan);
    w.end_object();
    std::ofstream out(cfg.stats_json);
    if (!out) throw dp::Error("--stats-json: cannot write '" + cfg.stats_json + "'");
    out << w.str();
  }
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
