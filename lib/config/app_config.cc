#include "config/app_config.hh"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <type_traits>

#include "base/error.hh"

namespace deltaplane::config {

namespace {

[[noreturn]] void fail(std::string_view opt, const std::string& msg) {
  throw Error(std::string(opt) + ": " + msg);
}

template <class T>
T parse_uint(std::string_view opt, std::string_view v, uint64_t lo, uint64_t hi) {
  uint64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x, 10);
  if (v.empty() || ec == std::errc::invalid_argument || p != v.data() + v.size())
    fail(opt, "expected an integer, got '" + std::string(v) + "'");
  if (ec == std::errc::result_out_of_range || x < lo || x > hi)
    fail(opt, "'" + std::string(v) + "' is out of range " + std::to_string(lo) + ".." +
                  std::to_string(hi));
  return static_cast<T>(x);
}

double parse_seconds(std::string_view opt, std::string_view v, double lo, double hi) {
  std::string s(v);
  char* end = nullptr;
  errno = 0;
  double x = std::strtod(s.c_str(), &end);
  // Plain decimal only: strtod would also take hex, "inf" and leading blanks.
  if (s.empty() ||
      !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.' || s[0] == '-') ||
      end != s.c_str() + s.size() || errno != 0 || !std::isfinite(x))
    fail(opt, "expected a number of seconds, got '" + s + "'");
  if (x < lo || x > hi) {
    std::ostringstream os;
    os << "'" << s << "' is out of range " << lo << ".." << hi;
    fail(opt, os.str());
  }
  return x;
}

template <class E, size_t N>
E parse_enum(std::string_view opt, std::string_view v, const std::string_view (&names)[N]) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == v) return static_cast<E>(i);
  std::string all;
  for (size_t i = 0; i < N; ++i)
    all += (i ? "|" : "") + std::string(names[i]);
  fail(opt, "unknown value '" + std::string(v) + "' (expected " + all + ")");
}

std::vector<uint16_t> parse_port_list(std::string_view opt, std::string_view v) {
  std::vector<uint16_t> out;
  size_t pos = 0;
  if (v.empty()) fail(opt, "expected a comma-separated list of port ids");
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    std::string_view item = v.substr(pos, comma == v.npos ? v.npos : comma - pos);
    size_t dash = item.find('-');
    if (dash != item.npos) {
      auto a = parse_uint<uint16_t>(opt, item.substr(0, dash), 0, 1023);
      auto b = parse_uint<uint16_t>(opt, item.substr(dash + 1), 0, 1023);
      if (b < a) fail(opt, "range '" + std::string(item) + "' is reversed");
      for (unsigned p = a; p <= b; ++p)
        out.push_back(static_cast<uint16_t>(p));
    } else {
      out.push_back(parse_uint<uint16_t>(opt, item, 0, 1023));
    }
    if (comma == v.npos) break;
    pos = comma + 1;
  }
  std::vector<uint16_t> sorted = out;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    fail(opt, "port listed twice in '" + std::string(v) + "'");
  return out;
}

uint32_t parse_ipv4(std::string_view opt, std::string_view v) {
  const std::string bad = "expected an IPv4 address a.b.c.d, got '" + std::string(v) + "'";
  uint32_t ip = 0;
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    size_t dot = v.find('.', pos);
    if ((i < 3) != (dot != v.npos)) fail(opt, bad);
    std::string_view part = v.substr(pos, i < 3 ? dot - pos : v.npos);
    uint64_t x = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), x);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size() || x > 255)
      fail(opt, bad);
    ip = ip << 8 | static_cast<uint32_t>(x);
    pos = dot + 1;
  }
  return ip;
}

std::array<uint8_t, 6> parse_mac(std::string_view opt, std::string_view v) {
  const std::string bad = "expected a MAC address aa:bb:cc:dd:ee:ff, got '" + std::string(v) + "'";
  std::array<uint8_t, 6> mac{};
  if (v.size() != 17) fail(opt, bad);
  for (size_t i = 0; i < 6; ++i) {
    if (i < 5 && v[i * 3 + 2] != ':') fail(opt, bad);
    unsigned x = 0;
    auto part = v.substr(i * 3, 2);
    auto [p, ec] = std::from_chars(part.data(), part.data() + 2, x, 16);
    if (ec != std::errc() || p != part.data() + 2) fail(opt, bad);
    mac[i] = static_cast<uint8_t>(x);
  }
  return mac;
}

bool parse_bool(std::string_view opt, std::string_view v) {
  if (v == "on" || v == "yes" || v == "true" || v == "1") return true;
  if (v == "off" || v == "no" || v == "false" || v == "0") return false;
  fail(opt, "expected on|off, got '" + std::string(v) + "'");
}

}  // namespace

std::string_view port_topology_name(PortTopology t) noexcept {
  return kPortTopologyNames[static_cast<size_t>(t)];
}
std::string_view model_name(Model m) noexcept {
  return kModelNames[static_cast<size_t>(m)];
}
std::string_view backpressure_name(Backpressure b) noexcept {
  return kBackpressureNames[static_cast<size_t>(b)];
}

std::string format_ipv4(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string(ip >> 16 & 255) + "." +
         std::to_string(ip >> 8 & 255) + "." + std::to_string(ip & 255);
}
std::string format_mac(const std::array<uint8_t, 6>& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

std::vector<QueueMapping> parse_queue_map(std::string_view text) {
  constexpr std::string_view opt = "--config";
  std::vector<QueueMapping> out;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
      ++i;
  };
  skip_ws();
  if (i == text.size()) fail(opt, "expected \"(port,queue,lcore),...\", got an empty string");
  while (i < text.size()) {
    skip_ws();
    if (text[i] != '(')
      fail(opt,
           "expected '(' at offset " + std::to_string(i) + " in \"" + std::string(text) + "\"");
    size_t close = text.find(')', i);
    if (close == text.npos) fail(opt, "missing ')' in \"" + std::string(text) + "\"");
    std::string_view tuple = text.substr(i + 1, close - i - 1);
    uint64_t fields[3];
    size_t nf = 0, p = 0;
    while (true) {
      size_t c = tuple.find(',', p);
      std::string_view f = tuple.substr(p, c == tuple.npos ? tuple.npos : c - p);
      while (!f.empty() && f.front() == ' ')
        f.remove_prefix(1);
      while (!f.empty() && f.back() == ' ')
        f.remove_suffix(1);
      if (nf == 3) fail(opt, "tuple (" + std::string(tuple) + ") has more than 3 fields");
      const uint64_t hi = nf == 1 ? 65535 : 1023;  // port ids and lcore ids stop at 1023
      fields[nf] = parse_uint<uint64_t>(opt, f, 0, hi);
      ++nf;
      if (c == tuple.npos) break;
      p = c + 1;
    }
    if (nf != 3) fail(opt, "tuple (" + std::string(tuple) + ") needs 3 fields: port,queue,lcore");
    QueueMapping m{static_cast<uint16_t>(fields[0]), static_cast<uint16_t>(fields[1]),
                   static_cast<unsigned>(fields[2])};
    for (const auto& o : out)
      if (o.port == m.port && o.queue == m.queue)
        fail(opt, "port " + std::to_string(m.port) + " queue " + std::to_string(m.queue) +
                      " is mapped twice");
    out.push_back(m);
    i = close + 1;
    skip_ws();
    if (i < text.size()) {
      if (text[i] != ',') fail(opt, "expected ',' between tuples at offset " + std::to_string(i));
      ++i;
      skip_ws();
      if (i == text.size()) fail(opt, "trailing ',' in \"" + std::string(text) + "\"");
    }
  }
  return out;
}

std::vector<std::string> config_file_args(std::string_view text, std::string_view file_name) {
  std::vector<std::string> out;
  size_t line_no = 0, pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == text.npos ? text.npos : nl - pos);
    ++line_no;
    if (size_t hash = line.find('#'); hash != line.npos) line = line.substr(0, hash);
    auto trim = [](std::string_view s) {
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
      return s;
    };
    line = trim(line);
    if (!line.empty()) {
      size_t sep = line.find_first_of(" \t=");
      std::string_view name = line.substr(0, sep);
      std::string_view value = sep == line.npos ? std::string_view{} : trim(line.substr(sep));
      if (!value.empty() && value.front() == '=') value = trim(value.substr(1));
      if (name.starts_with("-"))
        throw Error(std::string(file_name) + ":" + std::to_string(line_no) +
                    ": write option names without dashes ('" + std::string(name) + "')");
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      out.push_back("--" + std::string(name));
      if (!value.empty()) out.emplace_back(value);
    }
    if (nl == text.npos) break;
    pos = nl + 1;
  }
  return out;
}

namespace {

// One command-line option. Numeric options carry their range here, once: the
// parser enforces it and --help prints it as "[lo..hi, default d]", which is
// also what the option-boundary test (tests/integration/test_options.py) reads.
struct Option {
  std::string_view name;
  bool takes_value;
  std::string help;
  std::function<void(AppConfig&, std::string_view opt, std::string_view value)> apply;
};

template <class T>
std::string number_text(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    std::ostringstream os;
    os << v;
    return os.str();
  } else {
    return std::to_string(v);
  }
}

// An unsigned option stored in `member`, in [lo, hi].
template <auto Member>
Option uint_option(std::string_view name, uint64_t lo, uint64_t hi, std::string_view help,
                   std::string_view default_text = {}) {
  using T = std::remove_reference_t<decltype(AppConfig{}.*Member)>;
  return {
      name, true,
      std::string(help) + " [" + number_text(lo) + ".." + number_text(hi) + ", default " +
          (default_text.empty() ? number_text(AppConfig{}.*Member) : std::string(default_text)) +
          "]",
      [lo, hi](AppConfig& c, auto o, auto v) { c.*Member = parse_uint<T>(o, v, lo, hi); }};
}

// A number of seconds stored in `member`, in [lo, hi].
template <auto Member>
Option seconds_option(std::string_view name, double lo, double hi, std::string_view help) {
  return {name, true,
          std::string(help) + " [" + number_text(lo) + ".." + number_text(hi) + " s, default " +
              number_text(AppConfig{}.*Member) + "]",
          [lo, hi](AppConfig& c, auto o, auto v) { c.*Member = parse_seconds(o, v, lo, hi); }};
}

template <size_t N>
std::string choices(const std::string_view (&names)[N]) {
  std::string all;
  for (size_t i = 0; i < N; ++i)
    all += (i ? "|" : "") + std::string(names[i]);
  return all;
}

const std::vector<Option>& options() {
  static const std::vector<Option> opts = {
      {"--fwd", true, "engine: " + choices(kEngineNames) + " (io)",
       [](AppConfig& c, auto o, auto v) { c.engine = parse_enum<Engine>(o, v, kEngineNames); }},
      {"--port-topology", true, "auto|paired|chained|loop (default auto: paired, loop if 1 port)",
       [](AppConfig& c, auto o, auto v) {
         c.topology = parse_enum<PortTopology>(o, v, kPortTopologyNames);
       }},
      {"--ports", true, "ports to use, e.g. 0,1 or 0-3 (default: all probed)",
       [](AppConfig& c, auto o, auto v) { c.ports = parse_port_list(o, v); }},
      uint_option<&AppConfig::burst>("--burst", 1, kMaxBurst, "packets per rx/tx burst"),
      uint_option<&AppConfig::rx_queues>("--rxq", 1, 64, "RX queues per port (RSS when > 1)"),
      uint_option<&AppConfig::rx_desc>("--rxd", 32, 32768,
                                       "RX descriptors per queue, clamped to the device"),
      uint_option<&AppConfig::tx_desc>("--txd", 32, 32768,
                                       "TX descriptors per queue, clamped to the device"),
      uint_option<&AppConfig::mbufs>("--mbufs", 64, 1u << 26, "mbufs per NUMA socket",
                                     "sized from ports, queues, descriptors"),
      uint_option<&AppConfig::mbuf_cache>("--mbuf-cache", 0, 512, "per-lcore mempool cache"),
      uint_option<&AppConfig::mbuf_data_room>("--mbuf-size", 256, 65000,
                                              "data bytes per mbuf segment"),
      uint_option<&AppConfig::max_frame>("--max-frame", 64, 65535,
                                         "longest frame forwarded; longer ones are dropped"),
      {"--no-promisc", false, "leave promiscuous mode off",
       [](AppConfig& c, auto, auto) { c.promiscuous = false; }},
      uint_option<&AppConfig::link_wait_ms>("--link-wait", 0, 60000,
                                            "ms to wait for link up at start (0: do not wait)"),
      uint_option<&AppConfig::tx_retries>("--tx-retry", 0, 1000,
                                          "extra tx_burst attempts for frames that did not fit"),
      uint_option<&AppConfig::tx_retry_delay_us>("--tx-retry-delay", 0, 1000,
                                                 "microseconds between TX retries"),
      {"--config", true, "explicit queue placement \"(port,queue,lcore),...\"",
       [](AppConfig& c, auto, auto v) { c.queue_map = parse_queue_map(v); }},
      {"--simd", true,
       "kernels of validation and codec: auto|scalar|sse42|avx2 (default auto: the best the CPU "
       "has)",
       [](AppConfig& c, auto o, auto v) {
         if (v == "auto") {
           c.simd.reset();
           return;
         }
         c.simd = parse_simd_level(v);
         if (!c.simd)
           fail(o, "unknown value '" + std::string(v) + "' (expected auto|scalar|sse42|avx2)");
       }},
      {"--drop-unknown-ethertype", true, "on|off: drop non-IP frames (ARP, LLC, ...) (off)",
       [](AppConfig& c, auto o, auto v) { c.drop_unknown_ethertype = parse_bool(o, v); }},
      {"--drop-ttl-zero", true, "on|off: drop IPv4 frames with TTL 0 (on)",
       [](AppConfig& c, auto o, auto v) { c.drop_ttl_zero = parse_bool(o, v); }},
      {"--verify-l4-checksum", true, "on|off: verify TCP/UDP/ICMP checksums (off)",
       [](AppConfig& c, auto o, auto v) { c.verify_l4_checksum = parse_bool(o, v); }},
      {"--csum-offload", true,
       "auto|off: use the NIC's RX checksum flags and TX checksum offload where it has them (auto)",
       [](AppConfig& c, auto o, auto v) {
         if (v == "auto")
           c.csum_offload = true;
         else if (v == "off")
           c.csum_offload = false;
         else
           fail(o, "unknown value '" + std::string(v) + "' (expected auto|off)");
       }},
      {"--wan-ports", true, "gateway: WAN-side ports (default: the second port of each pair)",
       [](AppConfig& c, auto o, auto v) { c.wan_ports = parse_port_list(o, v); }},
      uint_option<&AppConfig::mtu>("--mtu", 576, 9600, "IP MTU of the WAN path"),
      uint_option<&AppConfig::codec_version>(
          "--codec", 1, 2,
          "wire format: 2 packs a burst's frames into tunnel packets, compresses headers and "
          "matches content seen before; 1 sends each frame alone as an XOR delta"),
      uint_option<&AppConfig::codec_level>(
          "--codec-level", 1, 3,
          "wire format 2: 1 (fastest, a lost packet costs the fewest others), 2 (default: "
          "fewer bytes, still loss-tolerant), 3 (fewest bytes, loss costs what it costs); both "
          "gateways must use the same level or a higher one on the decoding side"),
      uint_option<&AppConfig::peer_streams>(
          "--peer-streams", 1, 64,
          "wire format 2 decoder: peer encoder streams one lcore holds at once (one per peer "
          "encoder lcore and WAN port that reaches it; the least recently used is forgotten)"),
      uint_option<&AppConfig::keyframe_interval>("--keyframe-interval", 0, 1u << 30,
                                                 "packets per flow between keyframes, 0 = never"),
      uint_option<&AppConfig::keyframe_ms>("--keyframe-ms", 0, 3600000,
                                           "max age of a flow's keyframe in ms, 0 = never"),
      uint_option<&AppConfig::flow_capacity>("--flow-capacity", 64, 1u << 22,
                                             "flows per lcore in the codec tables"),
      uint_option<&AppConfig::flow_timeout_ms>("--flow-timeout", 1, 86400000,
                                               "ms after which an idle flow is evicted first"),
      {"--tunnel-src", true, "outer IPv4 source of encoded packets (192.0.2.1)",
       [](AppConfig& c, auto o, auto v) { c.tunnel_src_ip = parse_ipv4(o, v); }},
      {"--tunnel-dst", true, "outer IPv4 destination of encoded packets (192.0.2.2)",
       [](AppConfig& c, auto o, auto v) { c.tunnel_dst_ip = parse_ipv4(o, v); }},
      uint_option<&AppConfig::tunnel_port>("--tunnel-port", 1, 65535, "UDP port of the tunnel"),
      {"--audit", true,
       "on|off: digest every frame entering an encoder and leaving a decoder, so the two "
       "ends can prove nothing was lost or altered (costs a CRC per frame; off)",
       [](AppConfig& c, auto o, auto v) { c.audit = parse_bool(o, v); }},
      {"--tunnel-src-mac", true, "outer source MAC (02:00:00:00:00:01)",
       [](AppConfig& c, auto o, auto v) { c.tunnel_src_mac = parse_mac(o, v); }},
      {"--tunnel-dst-mac", true, "outer destination MAC, the WAN next hop (02:00:00:00:00:02)",
       [](AppConfig& c, auto o, auto v) { c.tunnel_dst_mac = parse_mac(o, v); }},
      seconds_option<&AppConfig::stats_period_s>("--stats-period", 0, 86400,
                                                 "seconds between periodic stats, 0 disables"),
      seconds_option<&AppConfig::duration_s>("--duration", 0, 1e9,
                                             "stop after this many seconds (0: until a signal)"),
      uint_option<&AppConfig::max_packets>(
          "--max-packets", 0, std::numeric_limits<uint64_t>::max(),
          "stop after about this many received frames (0: no limit)"),
      seconds_option<&AppConfig::idle_timeout_s>(
          "--idle-timeout", 0, 1e6,
          "stop after this many seconds with no frame received (pcap replay; 0: never)"),
      {"--stats-json", true, "write the final summary as JSON to this file",
       [](AppConfig& c, auto o, auto v) {
         if (v.empty()) fail(o, "expected a file name");
         c.stats_json = v;
       }},
      {"--preflight", false, "run the start-up checks, print them and exit",
       [](AppConfig& c, auto, auto) { c.preflight_only = true; }},
      {"--json", false, "print preflight findings as JSON",
       [](AppConfig& c, auto, auto) { c.json = true; }},
      {"--print-topology", false, "show the CPU/NUMA topology and where lcores and queues landed",
       [](AppConfig& c, auto, auto) { c.print_topology = true; }},
      {"--model", true, "threading model: rtc|pipeline (default rtc)",
       [](AppConfig& c, auto o, auto v) { c.model = parse_enum<Model>(o, v, kModelNames); }},
      {"--stages", true, "pipeline stages, e.g. \"rx:1,work:2-3,tx:4\" (default: automatic)",
       [](AppConfig& c, auto o, auto v) {
         if (v.empty()) fail(o, "expected a stage list like rx:1,work:2-3,tx:4");
         c.stages = v;
       }},
      {"--ring-size", true, "entries per pipeline ring, a power of two [64..65536, default 1024]",
       [](AppConfig& c, auto o, auto v) {
         c.ring_size = parse_uint<uint32_t>(o, v, 64, 65536);
         if (c.ring_size & (c.ring_size - 1))
           fail(o, "'" + std::string(v) + "' is not a power of two");
       }},
      {"--backpressure", true,
       "full pipeline ring: " + choices(kBackpressureNames) +
           " (block: wait, RX stops polling and the NIC counts the overload as missed;"
           " retry: --ring-retry times, then drop; auto, the default: block when replaying a"
           " capture file, retry otherwise)",
       [](AppConfig& c, auto o, auto v) {
         c.backpressure = parse_enum<Backpressure>(o, v, kBackpressureNames);
       }},
      uint_option<&AppConfig::ring_retries>("--ring-retry", 0, 100000,
                                            "enqueue attempts on a full ring before dropping"),
      uint_option<&AppConfig::tx_pkt_len>("--txpkts", 60, 9600,
                                          "txonly/flowgen: frame length, at most --mbuf-size"),
      uint_option<&AppConfig::gen_flows>("--flows", 1, 1u << 24, "flowgen: distinct flows"),
      uint_option<&AppConfig::tx_rate>(
          "--tx-rate", 0, 1'000'000'000'000ull,
          "txonly/flowgen: packets per second per lcore, 0 = unlimited"),
      {"--synth", true,
       "PORT:SPEC, synthetic traffic on a net_null port (docs/synthetic-traffic.md); repeatable",
       [](AppConfig& c, auto, auto v) { c.synth.emplace_back(v); }},
      {"--wire", true,
       "clean|loss=P,flip=P,dup=P,reorder=P,seed=N: two more ports joined back to back, an "
       "in-process WAN link with seeded impairments (docs/user-guide.md)",
       [](AppConfig& c, auto, auto v) { c.wire = v == "clean" ? std::string() : std::string(v); }},
      {"--cycles", false, "measure TSC cycles per packet per stage (rx, engine, tx; rtc model)",
       [](AppConfig& c, auto, auto) { c.cycles = true; }},
      {"--interactive", false, "(-i) the interactive console: start, stop, show ..., quit",
       [](AppConfig& c, auto, auto) { c.interactive = true; }},
      {"--auto-start", false,
       "start forwarding at once (the default without -i; with -i before the prompt)",
       [](AppConfig& c, auto, auto) { c.auto_start = true; }},
      {"--quiet", false, "no periodic stats; the final summary only",
       [](AppConfig& c, auto, auto) { c.quiet = true; }},
  };
  return opts;
}

void check_consistency(const AppConfig& c) {
  if (c.json && !c.preflight_only) throw Error("--json: only valid with --preflight");
  if (c.mbufs && c.mbuf_cache > c.mbufs / 2)
    throw Error("--mbuf-cache: " + std::to_string(c.mbuf_cache) + " is more than half of --mbufs " +
                std::to_string(c.mbufs));
  if (!c.queue_map.empty()) {
    for (const auto& m : c.queue_map)
      if (!c.ports.empty() && std::find(c.ports.begin(), c.ports.end(), m.port) == c.ports.end())
        throw Error("--config: port " + std::to_string(m.port) + " is not in --ports");
  }
  // Generated frames are written into one mbuf segment.
  if (c.tx_pkt_len > c.mbuf_data_room)
    throw Error("--txpkts: " + std::to_string(c.tx_pkt_len) +
                " does not fit one mbuf of --mbuf-size " + std::to_string(c.mbuf_data_room) +
                " (raise --mbuf-size to at least " + std::to_string(c.tx_pkt_len) + ")");
  if (!c.stages.empty() && c.model != Model::kPipeline)
    throw Error("--stages: only valid with --model pipeline");
  if (c.model == Model::kPipeline && engine_generates(c.engine))
    throw Error("--fwd " + std::string(engine_name(c.engine)) +
                ": generators run in the rtc model only");
  if (c.model == Model::kPipeline && !c.queue_map.empty())
    throw Error("--config: not valid with --model pipeline (use --stages)");
  if (!c.wan_ports.empty() && c.engine != Engine::kGateway)
    throw Error("--wan-ports: only valid with --fwd gateway");
  for (uint16_t w : c.wan_ports)
    if (!c.ports.empty() && std::find(c.ports.begin(), c.ports.end(), w) == c.ports.end())
      throw Error("--wan-ports: port " + std::to_string(w) + " is not in --ports");
}

}  // namespace

ParseResult parse_args(std::span<const std::string_view> args) {
  ParseResult r;
  std::deque<std::string> expanded;  // owns config-file strings; deque keeps views valid
  std::vector<std::string_view> queue(args.begin(), args.end());
  int file_depth = 0;
  for (size_t i = 0; i < queue.size(); ++i) {
    std::string_view a = queue[i];
    std::string_view value;
    bool has_inline = false;
    if (a == "-h" || a == "--help") {
      r.help_requested = true;
      continue;
    }
    if (a == "-i") a = "--interactive";
    if (!a.starts_with("--"))
      throw Error("unexpected argument '" + std::string(a) +
                  "' (options start with --; see --help)");
    if (size_t eq = a.find('='); eq != a.npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_inline = true;
    }
    if (a == "--config-file") {
      if (!has_inline) {
        if (i + 1 >= queue.size()) throw Error("--config-file: needs a file name");
        value = queue[++i];
      }
      if (++file_depth > 8) throw Error("--config-file: files include each other too deeply");
      std::ifstream in{std::string(value)};
      if (!in) throw Error("--config-file: cannot read '" + std::string(value) + "'");
      std::stringstream ss;
      ss << in.rdbuf();
      auto more = config_file_args(ss.str(), value);
      // Insert after the current position; strings are owned by `expanded`.
      size_t first = expanded.size();
      for (auto& m : more)
        expanded.push_back(std::move(m));
      std::vector<std::string_view> views;
      for (size_t k = first; k < expanded.size(); ++k)
        views.emplace_back(expanded[k]);
      queue.insert(queue.begin() + static_cast<std::ptrdiff_t>(i) + 1, views.begin(), views.end());
      continue;
    }
    const auto& opts = options();
    auto it = std::find_if(opts.begin(), opts.end(), [&](const Option& o) { return o.name == a; });
    if (it == opts.end()) throw Error("unknown option '" + std::string(a) + "' (see --help)");
    if (it->takes_value) {
      if (!has_inline) {
        if (i + 1 >= queue.size() || (queue[i + 1].starts_with("--") && queue[i + 1].size() > 2))
          throw Error(std::string(a) + ": needs a value");
        value = queue[++i];
      }
    } else if (has_inline) {
      throw Error(std::string(a) + ": takes no value");
    }
    it->apply(r.config, a, value);
  }
  check_consistency(r.config);
  return r;
}

std::string usage() {
  std::string u =
      "usage: deltaplane [EAL options] -- [options]\n"
      "  e.g. deltaplane -l 0-1 --no-pci --vdev net_null0 --vdev net_null1 -- --fwd io\n\n"
      "options:\n"
      "  --config-file FILE     read options from FILE (one 'name value' per line)\n";
  for (const auto& o : options()) {
    std::string left = "  " + std::string(o.name) + (o.takes_value ? " V" : "");
    left.resize(std::max<size_t>(left.size() + 1, 25), ' ');
    u += left + std::string(o.help) + "\n";
  }
  u += "  -h, --help             this text\n\nengines (--fwd):\n";
  for (size_t i = 0; i < kEngineCount; ++i) {
    std::string left = "  " + std::string(kEngineNames[i]);
    left.resize(std::max<size_t>(left.size() + 1, 25), ' ');
    u += left + std::string(kEngineHelp[i]) + "\n";
  }
  return u;
}

}  // namespace deltaplane::config
