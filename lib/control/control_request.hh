// The parameter grammar of /deltaplane/control, apart from DPDK so it can be
// unit-tested and fuzzed: "verb" or "verb=value", at most 64 bytes.
//   reset | stop | start | shutdown | stats_period[=seconds] | keyframe_interval[=packets]
//   | link_down=PORT | link_up=PORT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deltaplane::control {

enum class ControlVerb : uint8_t {
  kReset,
  kStop,
  kStart,
  kShutdown,
  kStatsPeriod,
  kKeyframeInterval,
  kLinkDown,
  kLinkUp
};

struct ControlRequest {
  ControlVerb verb = ControlVerb::kReset;
  std::optional<double> seconds;    // stats_period=S: 0 (off) or 0.1..86400
  std::optional<uint32_t> packets;  // keyframe_interval=N: 0..2^30
  std::optional<uint16_t> port;     // link_down=P / link_up=P
  std::string error;                // empty when the request is valid
};

ControlRequest parse_control_request(std::string_view params);

// "" on success (value in *out), else why not. Accepts plain decimal seconds.
std::string parse_seconds_param(std::string_view text, double lo, double hi, double* out);

}  // namespace deltaplane::control
