#include "stats/snapshot.hh"

#include <cstdio>
#include <numeric>

namespace deltaplane::stats {

namespace {

template <class F>
uint64_t sum_ports(const Snapshot& s, F f) {
  uint64_t t = 0;
  for (const auto& p : s.ports)
    t += f(p);
  return t;
}

std::string fmt(const char* f, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

double rate(uint64_t now, uint64_t prev, double dt) {
  return dt > 0 && now >= prev ? static_cast<double>(now - prev) / dt : 0.0;
}

}  // namespace

uint64_t Snapshot::rx_packets() const noexcept {
  return sum_ports(*this, [](const PortSnapshot& p) { return p.rx_packets; });
}
uint64_t Snapshot::tx_packets() const noexcept {
  return sum_ports(*this, [](const PortSnapshot& p) { return p.tx_packets; });
}
uint64_t Snapshot::rx_bytes() const noexcept {
  return sum_ports(*this, [](const PortSnapshot& p) { return p.rx_bytes; });
}
uint64_t Snapshot::tx_bytes() const noexcept {
  return sum_ports(*this, [](const PortSnapshot& p) { return p.tx_bytes; });
}
uint64_t Snapshot::dropped() const noexcept {
  return std::accumulate(drops.begin(), drops.end(), uint64_t{0});
}

void LcoreTotals::add(const LcoreCounters& c) noexcept {
#define DELTAPLANE_X(name, help) name += c.name.load();
  DELTAPLANE_LCORE_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
}
void LcoreTotals::add(const LcoreTotals& t) noexcept {
#define DELTAPLANE_X(name, help) name += t.name;
  DELTAPLANE_LCORE_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
}
void LcoreTotals::subtract(const LcoreTotals& t) noexcept {
#define DELTAPLANE_X(name, help) name -= t.name;
  DELTAPLANE_LCORE_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
}

void add_lcore(Snapshot& s, unsigned lcore, int socket, const LcoreCounters& c,
               const StreamView* streams, size_t nb_streams) {
  LcoreSnapshot ls;
  ls.lcore = lcore;
  ls.socket = socket;
  ls.counters.add(c);
  for (size_t i = 0; i < nb_streams; ++i) {
    const StreamView& v = streams[i];
    const uint64_t rx = v.counters->rx_packets.load(), tx = v.counters->tx_packets.load();
    ls.rx_packets += rx;
    ls.tx_packets += tx;
    for (auto& p : s.ports) {
      if (p.port == v.rx_port) {
        p.rx_packets += rx;
        p.rx_bytes += v.counters->rx_bytes.load();
      }
      if (p.port == v.tx_port) {
        p.tx_packets += tx;
        p.tx_bytes += v.counters->tx_bytes.load();
      }
    }
  }
  for (size_t r = 0; r < kDropReasonCount; ++r) {
    const uint64_t d = c.drops[r].load();
    s.drops[r] += d;
    ls.drops += d;
  }
  s.totals.add(ls.counters);
  for (auto& o : s.lcores)
    if (o.lcore == lcore) {
      o.rx_packets += ls.rx_packets;
      o.tx_packets += ls.tx_packets;
      o.drops += ls.drops;
      o.counters.add(ls.counters);
      return;
    }
  s.lcores.push_back(ls);
}

Snapshot subtract(const Snapshot& now, const Snapshot& base) {
  Snapshot d = now;
  if (base.ports.size() != now.ports.size() || base.lcores.size() != now.lcores.size()) return d;
  d.elapsed_s = now.elapsed_s - base.elapsed_s;
  for (size_t i = 0; i < d.ports.size(); ++i) {
#define DELTAPLANE_X(name) d.ports[i].name -= base.ports[i].name;
    DELTAPLANE_PORT_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
  }
  for (size_t i = 0; i < d.lcores.size(); ++i) {
    auto& l = d.lcores[i];
    const auto& b = base.lcores[i];
    l.rx_packets -= b.rx_packets;
    l.tx_packets -= b.tx_packets;
    l.drops -= b.drops;
    l.counters.subtract(b.counters);
  }
  for (size_t r = 0; r < d.drops.size(); ++r)
    d.drops[r] -= base.drops[r];
#define DELTAPLANE_X(name, help) d.codec.name -= base.codec.name;
  DELTAPLANE_CODEC_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
  d.totals.subtract(base.totals);
  return d;
}

void CodecSnapshot::add(const CodecCounters& c) noexcept {
#define DELTAPLANE_X(name, help) name += c.name.load();
  DELTAPLANE_CODEC_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
}

double CodecSnapshot::encoder_ratio() const noexcept {
  return enc_bytes_out ? static_cast<double>(enc_bytes_in) / static_cast<double>(enc_bytes_out)
                       : 1.0;
}

namespace {
std::string format_pipeline(const Snapshot& s) {
  std::string o;
  for (const auto& r : s.rings)
    o += fmt("  ring %-12s %-5s %6llu/%llu now, high-water %llu, full %llu, dropped %llu\n",
             r.name.c_str(), r.sync.c_str(), (unsigned long long)r.count,
             (unsigned long long)r.capacity, (unsigned long long)r.high_water,
             (unsigned long long)r.full_events, (unsigned long long)r.dropped);
  for (const auto& l : s.latency)
    if (l.ns.count)
      o += fmt(
          "  latency %-13s p50 %.0f ns, p90 %.0f, p99 %.0f, p99.9 %.0f, max %.0f (%llu frames)\n",
          l.stage.c_str(), l.ns.p50, l.ns.p90, l.ns.p99, l.ns.p999, l.ns.max,
          (unsigned long long)l.ns.count);
  return o;
}

double percent(uint64_t part, uint64_t whole) noexcept {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// Wire format 2: what each coding path took and made.
std::string format_codec_v2(const CodecSnapshot& c) {
  using ull = unsigned long long;
  std::string o;
  if (c.enc_frames)
    o += fmt(
        "  encoder (v2): %llu frames, %llu B in -> %llu B out (%.1f%% of original), %llu "
        "tunnel packets (%.1f frames each)\n"
        "    headers: %llu compressed (%llu B -> %llu B), %llu new context, %llu whole\n"
        "    payload: %llu B delta, %llu B matched, %llu B literals -> %llu B, %llu B raw\n"
        "    %llu frames transient, %llu split, %llu bypass; flows %llu (new %llu, evicted "
        "%llu)\n",
        (ull)c.enc_frames, (ull)c.enc_bytes_in, (ull)c.enc_bytes_out,
        percent(c.enc_bytes_out, c.enc_bytes_in), (ull)c.v2_packets,
        c.v2_packets
            ? static_cast<double>(c.enc_frames - c.enc_bypass) / static_cast<double>(c.v2_packets)
            : 0.0,
        (ull)c.v2_hdr_compressed, (ull)c.v2_hdr_bytes_in, (ull)c.v2_hdr_bytes_out,
        (ull)c.v2_hdr_new_context, (ull)c.v2_hdr_whole, (ull)c.v2_aligned_bytes,
        (ull)c.v2_match_bytes, (ull)c.v2_literal_bytes, (ull)c.v2_literal_bytes_out,
        (ull)c.v2_raw_bytes, (ull)c.v2_transient, (ull)c.v2_split, (ull)c.enc_bypass,
        (ull)c.enc_flows, (ull)c.enc_flows_new, (ull)c.enc_flow_evictions);
  if (c.dec_frames)
    o +=
        fmt("  decoder (v2): %llu tunnel packets -> %llu frames, %llu B in -> %llu B out; "
            "passthrough %llu; %llu history bytes never received\n",
            (ull)c.v2_dec_packets, (ull)c.v2_dec_frames, (ull)c.dec_bytes_in, (ull)c.dec_bytes_out,
            (ull)c.dec_passthrough, (ull)c.v2_dec_hole_bytes);
  return o;
}

std::string format_codec(const CodecSnapshot& c) {
  if (c.version == 2) return format_codec_v2(c);
  std::string o;
  if (c.enc_frames)
    o +=
        fmt("  encoder: %llu frames, %llu B in -> %llu B out (%.1f%% of original, ratio %.2f); "
            "keyframes %llu, deltas %llu, raw %llu, bypass %llu; flows %llu (new %llu, "
            "evicted %llu)\n",
            (unsigned long long)c.enc_frames, (unsigned long long)c.enc_bytes_in,
            (unsigned long long)c.enc_bytes_out,
            c.enc_bytes_in
                ? 100.0 * static_cast<double>(c.enc_bytes_out) / static_cast<double>(c.enc_bytes_in)
                : 0.0,
            c.encoder_ratio(), (unsigned long long)c.enc_keyframes,
            (unsigned long long)c.enc_deltas, (unsigned long long)c.enc_raw,
            (unsigned long long)c.enc_bypass, (unsigned long long)c.enc_flows,
            (unsigned long long)c.enc_flows_new, (unsigned long long)c.enc_flow_evictions);
  if (c.dec_frames)
    o +=
        fmt("  decoder: %llu frames, %llu B in -> %llu B out; keyframes %llu, deltas %llu, raw "
            "%llu, passthrough %llu; flows %llu (evicted %llu)\n",
            (unsigned long long)c.dec_frames, (unsigned long long)c.dec_bytes_in,
            (unsigned long long)c.dec_bytes_out, (unsigned long long)c.dec_keyframes,
            (unsigned long long)c.dec_deltas, (unsigned long long)c.dec_raw,
            (unsigned long long)c.dec_passthrough, (unsigned long long)c.dec_flows,
            (unsigned long long)c.dec_flow_evictions);
  return o;
}
}  // namespace

Accounting account(const Snapshot& s) noexcept {
  return {s.rx_packets(), s.tx_packets(),         s.dropped(),
          s.held,         s.totals.frames_merged, s.totals.frames_split};
}

std::string Accounting::describe() const {
  if (merged == 0 && split == 0)
    return fmt("rx %llu = tx %llu + dropped %llu + held %llu: %s", (unsigned long long)rx,
               (unsigned long long)tx, (unsigned long long)dropped, (unsigned long long)held,
               balanced() ? "balanced" : "VIOLATED");
  return fmt("rx %llu + split %llu = tx %llu + merged %llu + dropped %llu + held %llu: %s",
             (unsigned long long)rx, (unsigned long long)split, (unsigned long long)tx,
             (unsigned long long)merged, (unsigned long long)dropped, (unsigned long long)held,
             balanced() ? "balanced" : "VIOLATED");
}

std::string format_periodic(const Snapshot& now, const Snapshot& prev) {
  double dt = now.elapsed_s - prev.elapsed_s;
  std::string o = fmt("---- deltaplane stats at %.1f s ----\n", now.elapsed_s);
  o += fmt("  %-6s %-16s %14s %14s %10s %10s %9s %9s %12s\n", "port", "name", "rx-packets",
           "tx-packets", "rx-Mpps", "tx-Mpps", "rx-Gbps", "tx-Gbps", "hw-missed");
  for (size_t i = 0; i < now.ports.size(); ++i) {
    const auto& p = now.ports[i];
    const PortSnapshot zero{};
    const auto& q = i < prev.ports.size() ? prev.ports[i] : zero;
    o += fmt("  %-6u %-16.16s %14llu %14llu %10.3f %10.3f %9.3f %9.3f %12llu\n", p.port,
             p.name.c_str(), (unsigned long long)p.rx_packets, (unsigned long long)p.tx_packets,
             rate(p.rx_packets, q.rx_packets, dt) / 1e6, rate(p.tx_packets, q.tx_packets, dt) / 1e6,
             rate(p.rx_bytes, q.rx_bytes, dt) * 8 / 1e9, rate(p.tx_bytes, q.tx_bytes, dt) * 8 / 1e9,
             (unsigned long long)(p.hw_imissed + p.hw_rx_nombuf));
  }
  o += fmt("  %-6s %14s %14s %10s %10s %12s\n", "lcore", "rx-packets", "tx-packets", "rx-Mpps",
           "drops", "idle-polls%");
  for (size_t i = 0; i < now.lcores.size(); ++i) {
    const auto& l = now.lcores[i];
    const LcoreSnapshot zero{};
    const auto& q = i < prev.lcores.size() ? prev.lcores[i] : zero;
    uint64_t polls = l.counters.polls - q.counters.polls,
             empty = l.counters.empty_polls - q.counters.empty_polls;
    o += fmt("  %-6u %14llu %14llu %10.3f %10llu %12.1f\n", l.lcore,
             (unsigned long long)l.rx_packets, (unsigned long long)l.tx_packets,
             rate(l.rx_packets, q.rx_packets, dt) / 1e6, (unsigned long long)l.drops,
             polls ? 100.0 * static_cast<double>(empty) / static_cast<double>(polls) : 0.0);
  }
  std::string drops;
  for (size_t r = 0; r < kDropReasonCount; ++r)
    if (now.drops[r])
      drops += fmt(" %s=%llu", std::string(kDropReasonNames[r]).c_str(),
                   (unsigned long long)now.drops[r]);
  o += "  drops:" + (drops.empty() ? std::string(" none") : drops) + "\n";
  if (now.codec.active) {
    o += format_codec(now.codec);
    const double in = rate(now.codec.enc_bytes_in, prev.codec.enc_bytes_in, dt) * 8 / 1e9;
    const double out = rate(now.codec.enc_bytes_out, prev.codec.enc_bytes_out, dt) * 8 / 1e9;
    if (in > 0)
      o +=
          fmt("  WAN: %.3f Gbit/s of LAN frames sent as %.3f Gbit/s (%.1f%%), saving %.3f Gbit/s\n",
              in, out, 100.0 * out / in, in - out);
  }
  o += format_pipeline(now);
  return o;
}

std::string format_summary(const Snapshot& s) {
  std::string o = fmt("==== deltaplane summary after %.3f s ====\n", s.elapsed_s);
  o += fmt("  %-6s %-22s %14s %14s %16s %16s %10s %10s\n", "port", "name", "rx-packets",
           "tx-packets", "rx-bytes", "tx-bytes", "hw-missed", "hw-errors");
  for (const auto& p : s.ports)
    o += fmt("  %-6u %-22.22s %14llu %14llu %16llu %16llu %10llu %10llu\n", p.port, p.name.c_str(),
             (unsigned long long)p.rx_packets, (unsigned long long)p.tx_packets,
             (unsigned long long)p.rx_bytes, (unsigned long long)p.tx_bytes,
             (unsigned long long)(p.hw_imissed + p.hw_rx_nombuf),
             (unsigned long long)(p.hw_ierrors + p.hw_oerrors));
  o += fmt("  %-6s %14s %14s %12s\n", "lcore", "rx-packets", "tx-packets", "drops");
  for (const auto& l : s.lcores)
    o += fmt("  %-6u %14llu %14llu %12llu\n", l.lcore, (unsigned long long)l.rx_packets,
             (unsigned long long)l.tx_packets, (unsigned long long)l.drops);
  o += "  drops by reason:\n";
  bool any = false;
  for (size_t r = 0; r < kDropReasonCount; ++r)
    if (s.drops[r]) {
      any = true;
      o += fmt("    %-24s %14llu  (%s)\n", std::string(kDropReasonNames[r]).c_str(),
               (unsigned long long)s.drops[r], std::string(kDropReasonHelp[r]).c_str());
    }
  if (!any) o += "    none\n";
  double t = s.elapsed_s > 0 ? s.elapsed_s : 1;
  o += fmt("  average: rx %.3f Mpps, tx %.3f Mpps, rx %.3f Gbit/s (L2)\n",
           static_cast<double>(s.rx_packets()) / t / 1e6,
           static_cast<double>(s.tx_packets()) / t / 1e6,
           static_cast<double>(s.rx_bytes()) * 8 / t / 1e9);
  if (s.codec.active) o += format_codec(s.codec);
  o += format_pipeline(s);
  const LcoreTotals& lt = s.totals;
  if (lt.cycles_packets) {
    const double n = static_cast<double>(lt.cycles_packets);
    o += fmt(
        "  cycles per packet: rx+admit %.1f, engine %.1f, tx %.1f, total %.1f (TSC, --cycles)\n",
        static_cast<double>(lt.cycles_rx) / n, static_cast<double>(lt.cycles_engine) / n,
        static_cast<double>(lt.cycles_tx) / n,
        static_cast<double>(lt.cycles_rx + lt.cycles_engine + lt.cycles_tx) / n);
  }
  if (lt.csum_offloaded)
    o += fmt("  checksums: %llu frames left to the NIC's TX checksum offload\n",
             (unsigned long long)lt.csum_offloaded);
  if (lt.csum_ipv4_checked || lt.csum_l4_checked)
    o +=
        fmt("  checksums: IPv4 header %llu checked, %llu fixed; TCP/UDP %llu checked, %llu fixed\n",
            (unsigned long long)lt.csum_ipv4_checked, (unsigned long long)lt.csum_ipv4_fixed,
            (unsigned long long)lt.csum_l4_checked, (unsigned long long)lt.csum_l4_fixed);
  o += "  accounting: " + account(s).describe() + "\n";
  return o;
}

void write_summary_json(JsonWriter& w, const Snapshot& s) {
  Accounting a = account(s);
  w.value("elapsed_s", s.elapsed_s);
  w.begin_object("totals")
      .value("rx_packets", a.rx)
      .value("tx_packets", a.tx)
      .value("rx_bytes", s.rx_bytes())
      .value("tx_bytes", s.tx_bytes())
      .value("dropped", a.dropped)
      .value("held", a.held)
      .value("merged", a.merged)
      .value("split", a.split)
      .value("balanced", a.balanced())
      .end_object();
  if (s.codec.active) {
    w.begin_object("codec");
#define DELTAPLANE_X(name, help) w.value(#name, s.codec.name);
    DELTAPLANE_CODEC_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
    w.value("enc_flows", s.codec.enc_flows);
    w.value("dec_flows", s.codec.dec_flows);
    w.value("flow_capacity", s.codec.flow_capacity);
    w.value("encoder_ratio", s.codec.encoder_ratio());
    w.value("version", s.codec.version);
    w.end_object();
  }
  w.begin_array("rings");
  for (const auto& r : s.rings)
    w.begin_object()
        .value("name", r.name)
        .value("sync", r.sync)
        .value("capacity", r.capacity)
        .value("count", r.count)
        .value("high_water", r.high_water)
        .value("enqueued", r.enqueued)
        .value("full_events", r.full_events)
        .value("dropped", r.dropped)
        .end_object();
  w.end_array();
  w.begin_object("latency_ns");
  for (const auto& l : s.latency)
    w.begin_object(l.stage)
        .value("count", l.ns.count)
        .value("p50", l.ns.p50)
        .value("p90", l.ns.p90)
        .value("p99", l.ns.p99)
        .value("p99_9", l.ns.p999)
        .value("max", l.ns.max)
        .end_object();
  w.end_object();
  const LcoreTotals& t = s.totals;
  if (t.cycles_packets) {
    const double n = static_cast<double>(t.cycles_packets);
    w.begin_object("cycles_per_packet")
        .value("rx", static_cast<double>(t.cycles_rx) / n)
        .value("engine", static_cast<double>(t.cycles_engine) / n)
        .value("tx", static_cast<double>(t.cycles_tx) / n)
        .end_object();
  }
  w.begin_object("checksums")
      .value("ipv4_checked", t.csum_ipv4_checked)
      .value("ipv4_fixed", t.csum_ipv4_fixed)
      .value("l4_checked", t.csum_l4_checked)
      .value("l4_fixed", t.csum_l4_fixed)
      .value("offloaded", t.csum_offloaded)
      .end_object();
  w.begin_object("drops");
  for (size_t r = 0; r < kDropReasonCount; ++r)
    if (is_reported(r)) w.value(kDropReasonNames[r], s.drops[r]);
  w.end_object();
  w.begin_array("ports");
  for (const auto& p : s.ports) {
    w.begin_object()
        .value("port", unsigned{p.port})
        .value("name", p.name)
        .value("socket", p.socket);
#define DELTAPLANE_X(name) w.value(#name, p.name);
    DELTAPLANE_PORT_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
    w.end_object();
  }
  w.end_array();
  w.begin_array("mempools");
  for (const auto& m : s.pools)
    w.begin_object()
        .value("name", m.name)
        .value("socket", m.socket)
        .value("size", m.size)
        .value("in_use", m.in_use)
        .end_object();
  w.end_array();
  w.begin_array("lcores");
  for (const auto& l : s.lcores)
    w.begin_object()
        .value("lcore", l.lcore)
        .value("socket", l.socket)
        .value("rx_packets", l.rx_packets)
        .value("tx_packets", l.tx_packets)
        .value("drops", l.drops)
        .value("polls", l.counters.polls)
        .value("empty_polls", l.counters.empty_polls)
        .end_object();
  w.end_array();
}

}  // namespace deltaplane::stats
