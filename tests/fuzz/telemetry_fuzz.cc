// Fuzzes the /deltaplane/control parameter grammar (what any local client can
// send). Invariants: no crash; a request is either valid or carries an error
// message; a valid value is inside its documented range.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control/control_request.hh"

namespace dc = deltaplane::control;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const dc::ControlRequest r = dc::parse_control_request(text);
  if (!r.error.empty()) {
    if (r.seconds || r.packets || r.port) __builtin_trap();  // an error carries no value
    return 0;
  }
  if (text.size() > 64) __builtin_trap();
  if (r.seconds && !(*r.seconds == 0 || (*r.seconds >= 0.1 && *r.seconds <= 86400)))
    __builtin_trap();
  if (r.packets && *r.packets > (1u << 30)) __builtin_trap();
  if (r.seconds && r.verb != dc::ControlVerb::kStatsPeriod) __builtin_trap();
  if (r.packets && r.verb != dc::ControlVerb::kKeyframeInterval) __builtin_trap();
  const bool link = r.verb == dc::ControlVerb::kLinkDown || r.verb == dc::ControlVerb::kLinkUp;
  if (link != r.port.has_value()) __builtin_trap();  // link verbs always name a port
  double v = 0;
  if (dc::parse_seconds_param(text, 0, 10, &v).empty() && !(v >= 0 && v <= 10 && std::isfinite(v)))
    __builtin_trap();
  return 0;
}
