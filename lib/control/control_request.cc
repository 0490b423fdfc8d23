#include "control/control_request.hh"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace deltaplane::control {

std::string parse_seconds_param(std::string_view text, double lo, double hi, double* out) {
  if (text.size() > 32) return "parameter too long";
  std::string s(text);
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.'))
    return "expected a number of seconds, got '" + s + "'";
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno != 0 || !std::isfinite(v))
    return "expected a number of seconds, got '" + s + "'";
  if (v < lo || v > hi) return "'" + s + "' is out of range";
  *out = v;
  return {};
}

ControlRequest parse_control_request(std::string_view params) {
  ControlRequest r;
  if (params.size() > 64) {
    r.error = "parameter too long";
    return r;
  }
  std::string_view verb = params, arg;
  bool has_arg = false;
  if (size_t eq = params.find('='); eq != params.npos) {
    verb = params.substr(0, eq);
    arg = params.substr(eq + 1);
    has_arg = true;
  }
  const std::pair<std::string_view, ControlVerb> simple[] = {{"reset", ControlVerb::kReset},
                                                             {"stop", ControlVerb::kStop},
                                                             {"start", ControlVerb::kStart},
                                                             {"shutdown", ControlVerb::kShutdown}};
  for (const auto& [name, v] : simple)
    if (verb == name) {
      r.verb = v;
      if (has_arg) r.error = std::string(verb) + " takes no value";
      return r;
    }
  if (verb == "keyframe_interval") {
    r.verb = ControlVerb::kKeyframeInterval;
    if (has_arg) {
      uint64_t v = 0;
      auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), v);
      if (arg.empty() || ec != std::errc() || p != arg.data() + arg.size() || v > (1u << 30))
        r.error = "keyframe_interval: expected packets 0..1073741824, got '" +
                  std::string(arg.substr(0, 16)) + "'";
      else
        r.packets = static_cast<uint32_t>(v);
    }
    return r;
  }
  if (verb == "link_down" || verb == "link_up") {
    r.verb = verb == "link_down" ? ControlVerb::kLinkDown : ControlVerb::kLinkUp;
    uint16_t p = 0;
    auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), p);
    if (!has_arg || arg.empty() || ec != std::errc() || end != arg.data() + arg.size())
      r.error = std::string(verb) + ": expected a port number, e.g. " + std::string(verb) + "=1";
    else
      r.port = p;
    return r;
  }
  if (verb == "stats_period") {
    r.verb = ControlVerb::kStatsPeriod;
    if (has_arg) {
      double v = 0;
      std::string err = parse_seconds_param(arg, 0, 86400, &v);
      if (err.empty() && v != 0 && v < 0.1) err = "'" + std::string(arg) + "' is below 0.1 s";
      if (!err.empty())
        r.error = "stats_period: " + err;
      else
        r.seconds = v;
    }
    return r;
  }
  r.error =
      "unknown control '" + std::string(verb.substr(0, 32)) +
      "' (reset|stop|start|shutdown|stats_period[=s]|keyframe_interval[=n]|link_down=p|link_up=p)";
  return r;
}

}  // namespace deltaplane::control
