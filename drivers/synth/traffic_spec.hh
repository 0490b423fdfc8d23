// What the synthetic traffic source generates, parsed from one option string:
//
//   --synth PORT:seed=7,flows=100000,size=imix,ipv6=0.2,tcp=0.5,payload=records,
//                invalid=0.01,kinds=ip-checksum/l4-checksum,rate=5M,count=1000000
//
// Every frame is a pure function of the spec, the RX queue and the frame's
// index on that queue, so a run repeats bit for bit from its seed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deltaplane::drivers::synth {

enum class SizeModel : uint8_t { kFixed, kRange, kImix };
enum class PayloadModel : uint8_t {
  kRandom,   // incompressible: a different slice of a random pool per frame
  kRecords,  // slowly changing JSON records: counters and timestamps tick
  kBinary,   // slowly changing binary records (same fields, big-endian)
  kRepeat,   // one payload per flow, the same in every frame
  kFill,     // one fixed pattern: byte o of every frame is the same (pktgen's pattern)
  kWeb,      // HTTP requests and responses from a shared corpus: the same headers and
             // pages recur across flows, as on a site's many connections
  kMix,      // per flow: records (3/8), web (3/8) or random (1/4)
};

// Ways to make a frame invalid; each maps to one validator verdict (IPv6 flows
// get the IPv6 counterpart, see FrameSource::expected_verdict).
#define DELTAPLANE_SYNTH_INVALID_KINDS(X) \
  X(kRunt, "runt")                        \
  X(kIpVersion, "ip-version")             \
  X(kIpLength, "ip-length")               \
  X(kIpChecksum, "ip-checksum")           \
  X(kTtlZero, "ttl0")                     \
  X(kL4Length, "l4-length")               \
  X(kL4Checksum, "l4-checksum")

enum class InvalidKind : uint8_t {
  kNone,
#define DELTAPLANE_SYNTH_KIND_ENUM(e, n) e,
  DELTAPLANE_SYNTH_INVALID_KINDS(DELTAPLANE_SYNTH_KIND_ENUM)
#undef DELTAPLANE_SYNTH_KIND_ENUM
};
inline constexpr size_t kInvalidKindCount = 7;

std::string_view invalid_kind_name(InvalidKind k) noexcept;  // "none" for kNone
std::string_view size_model_name(SizeModel m) noexcept;
std::string_view payload_model_name(PayloadModel m) noexcept;

struct TrafficSpec {
  uint64_t seed = 1;
  uint32_t flows = 1024;  // distinct 5-tuples, split across RX queues
  SizeModel size_model = SizeModel::kFixed;
  uint16_t size_min = 64, size_max = 64;  // frame bytes without FCS; kImix ignores them
  double ipv6 = 0.0;                      // fraction of IPv6 flows
  double tcp = 0.5;                       // fraction of TCP flows (others UDP)
  PayloadModel payload = PayloadModel::kRecords;
  double invalid = 0.0;            // fraction of frames made invalid
  std::vector<InvalidKind> kinds;  // drawn uniformly; default: all kinds
  uint64_t rate = 0;               // frames per second per RX queue, 0 = as fast as polled
  uint32_t ring = 0;               // RX ring model with rate: 0 = the port's RX descriptors
  uint64_t count = 0;              // frames per RX queue, then silence; 0 = endless
  uint64_t tx_rate = 0;            // TX sink: frames per second per queue taken, 0 = all
  uint32_t bank = 0;  // >0: build this many frames per queue once and replay them in a cycle
  // Generator lcores (lcore=L or lcore=A-B): frames are built there and their
  // RX descriptors queued into a real ring per RX queue; the polling lcore
  // does a NIC driver's part. Empty: frames are built inside the polling
  // lcore's rte_eth_rx_burst.
  std::vector<unsigned> lcores;

  std::string describe() const;  // one line for logs and result files
};

// Parses "key=value,..." (keys above; rates take k/M/G suffixes). Throws
// deltaplane::Error naming the key and what is allowed.
TrafficSpec parse_traffic_spec(std::string_view text);

// "PORT:SPEC" as given to --synth.
struct PortSpec {
  uint16_t port = 0;
  TrafficSpec spec;
};
PortSpec parse_port_spec(std::string_view text);
// Every --synth; throws Error if a port is given twice.
std::vector<PortSpec> parse_port_specs(const std::vector<std::string>& texts);
// Every generator lcore of the specs; throws Error if one is given twice.
std::vector<unsigned> generator_lcores(const std::vector<PortSpec>& specs);
// Where spec's port is in `ports`; throws Error if it is not in use.
size_t port_index(const PortSpec& spec, const std::vector<uint16_t>& ports);

}  // namespace deltaplane::drivers::synth
