// The application's typed configuration: everything after `--` on the command
// line (or in a --config-file), validated. Parsing needs no DPDK so every bad
// input path is unit-tested; checks that need the EAL (port ids exist, lcores
// are enabled) happen later in the runtime.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/simd.hh"
#include "config/engines.hh"

namespace deltaplane::config {

inline constexpr uint16_t kMaxBurst = 512;  // --burst limit; engines size their arrays by it

// Threading model: run-to-completion (each lcore does RX, engine and TX) or a
// staged pipeline (RX lcores -> rings -> worker lcores -> rings -> TX lcores).
enum class Model : uint8_t { kRtc, kPipeline };
inline constexpr std::string_view kModelNames[] = {"rtc", "pipeline"};

// What RX (or a worker) does when the next stage's ring is full: drop at once,
// retry a bounded number of times then drop, or wait until there is room (the
// RX stage then stops polling and the NIC counts the overload as missed).
// auto: block when a port replays a capture file (there is no line rate to
// keep up with, so a drop would only be an artefact), retry otherwise.
enum class Backpressure : uint8_t { kDrop, kRetry, kBlock, kAuto };
inline constexpr std::string_view kBackpressureNames[] = {"drop", "retry", "block", "auto"};

// How RX ports map to TX ports, as in testpmd's --port-topology.
enum class PortTopology : uint8_t { kAuto, kPaired, kChained, kLoop };
inline constexpr std::string_view kPortTopologyNames[] = {"auto", "paired", "chained", "loop"};

std::string_view port_topology_name(PortTopology t) noexcept;
std::string_view model_name(Model m) noexcept;
std::string_view backpressure_name(Backpressure b) noexcept;
std::string format_ipv4(uint32_t ip);
std::string format_mac(const std::array<uint8_t, 6>& mac);

// One l3fwd-style --config tuple: RX queue `queue` of `port` is polled by `lcore`.
struct QueueMapping {
  uint16_t port = 0;
  uint16_t queue = 0;
  unsigned lcore = 0;
  bool operator==(const QueueMapping&) const = default;
};

struct AppConfig {
  Engine engine = Engine::kIo;
  PortTopology topology = PortTopology::kAuto;
  std::vector<uint16_t> ports;  // empty: every port the EAL probed

  uint16_t burst = 32;
  uint16_t rx_queues = 1;  // per port (automatic placement)
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
  uint32_t mbufs = 0;  // per socket; 0 = sized automatically
  uint16_t mbuf_cache = 256;
  uint16_t mbuf_data_room = 2048;  // bytes of data per mbuf segment
  uint32_t max_frame = 9600;       // longer frames are dropped as "oversize"
  bool promiscuous = true;
  uint32_t link_wait_ms = 2000;  // 0: do not wait for link up
  uint32_t tx_retries = 0;       // extra tx_burst attempts for what did not fit
  uint32_t tx_retry_delay_us = 1;

  std::vector<QueueMapping> queue_map;  // --config; empty = automatic

  // Header validation.
  std::optional<SimdLevel> simd;  // --simd; none = auto, the best the CPU has (also the codec's)
  bool drop_unknown_ethertype = false;
  bool drop_ttl_zero = true;
  bool verify_l4_checksum = false;
  bool csum_offload = true;  // --csum-offload auto: NIC checksum offloads where the port has them

  // Delta codec and tunnel (encode, decode, gateway).
  std::vector<uint16_t> wan_ports;  // gateway: WAN-side ports; empty = 2nd of each pair
  uint32_t mtu = 1500;              // IP MTU of the WAN path
  uint32_t codec_version = 2;       // wire format: 1 (per-frame XOR delta) or 2
  uint32_t codec_level = 2;         // v2: 1 (fastest) .. 3 (fewest bytes); codec::v2::kDefaultLevel
  uint32_t peer_streams = 4;        // v2 decoder: peer encoder streams held per lcore
  uint32_t keyframe_interval = 64;  // packets per flow between keyframes (0 = never)
  uint32_t keyframe_ms = 1000;      // max age of a keyframe (0 = never)
  uint32_t flow_capacity = 16384;   // flows per lcore (encoder and decoder tables)
  uint32_t flow_timeout_ms = 30000;     // idle flows are the first evicted
  uint32_t tunnel_src_ip = 0xC0000201;  // 192.0.2.1 (documentation range)
  uint32_t tunnel_dst_ip = 0xC0000202;  // 192.0.2.2
  uint16_t tunnel_port = 56855;
  bool audit = false;  // digest every frame entering the encoder and leaving the decoder
  std::array<uint8_t, 6> tunnel_src_mac{0x02, 0, 0, 0, 0, 0x01};
  std::array<uint8_t, 6> tunnel_dst_mac{0x02, 0, 0, 0, 0, 0x02};

  double stats_period_s = 1.0;  // 0 disables periodic stats
  double duration_s = 0;        // 0 = until a signal
  uint64_t max_packets = 0;     // 0 = unlimited
  double idle_timeout_s = 0;    // stop after this long without RX (0 = never)
  std::string stats_json;       // write the final summary here as JSON

  bool preflight_only = false;  // --preflight: checks only, then exit
  bool json = false;            // --json: machine-readable preflight
  bool print_topology = false;
  bool quiet = false;  // no periodic stats, only the summary
  // Generators (txonly, flowgen).
  uint16_t tx_pkt_len = 64;         // --txpkts: frame length generated
  uint32_t gen_flows = 1024;        // flowgen: distinct 5-tuples
  uint64_t tx_rate = 0;             // packets per second per lcore; 0 = as fast as possible
  std::vector<std::string> synth;   // --synth PORT:SPEC (parsed by drivers/synth)
  std::optional<std::string> wire;  // --wire SPEC: an in-process WAN link (drivers/wire)
  bool cycles = false;              // --cycles: TSC cycles per packet per stage
  bool interactive = false;         // -i: the testpmd-style console
  bool auto_start = false;          // with -i: start forwarding before the prompt

  // Pipeline model.
  Model model = Model::kRtc;
  std::string stages;  // "rx:1,work:2-3,tx:4"; empty = automatic
  uint32_t ring_size = 1024;
  Backpressure backpressure = Backpressure::kAuto;  // resolved at start-up (app/main.cc)
  uint32_t ring_retries = 64;  // bounded: then the frames are dropped and counted
};

// Parses the application arguments (those after `--`). Throws Error with one
// precise message on the first bad argument. `--help` is reported through
// `help_requested`.
struct ParseResult {
  AppConfig config;
  bool help_requested = false;
};
ParseResult parse_args(std::span<const std::string_view> args);

// Turns a config file (one `option value` or `option = value` per line, `#`
// comments, names as the long options without dashes) into arguments for
// parse_args. Throws Error naming file and line on a malformed line.
std::vector<std::string> config_file_args(std::string_view text, std::string_view file_name);

// Parses "(port,queue,lcore),(port,queue,lcore)...".
std::vector<QueueMapping> parse_queue_map(std::string_view text);

std::string usage();

}  // namespace deltaplane::config
