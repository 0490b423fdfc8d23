// Fuzzes everything that turns operator text into configuration: the argument
// vector (NUL- or newline-separated tokens), config-file text, --config queue
// maps and --synth specs. Each may reject input, but only with
// deltaplane::Error (one clear message); anything else (another exception, a
// crash, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hh"
#include "config/app_config.hh"
#include "synth/traffic_spec.hh"

namespace dp = deltaplane;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> args;
  size_t start = 0;
  for (size_t i = 0; i <= size; ++i)
    if (i == size || data[i] == 0 || data[i] == '\n') {
      args.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  try {
    const auto r = dp::config::parse_args(args);
    (void)r;
  } catch (const dp::Error& e) {
    if (std::string_view(e.what()).empty()) __builtin_trap();  // errors say something
  }
  try {
    const auto lines = dp::config::config_file_args(text, "fuzz.conf");
    std::vector<std::string_view> views(lines.begin(), lines.end());
    (void)dp::config::parse_args(views);
  } catch (const dp::Error&) {
  }
  try {
    (void)dp::config::parse_queue_map(text);
  } catch (const dp::Error&) {
  }
  try {
    const auto ps = dp::drivers::synth::parse_port_spec(text);
    if (ps.spec.kinds.empty() || ps.spec.size_min > ps.spec.size_max) __builtin_trap();
    if (!ps.spec.lcores.empty() && ps.spec.lcores.front() > ps.spec.lcores.back())
      __builtin_trap();  // lcore ranges are never upside down
    if (ps.spec.describe().empty()) __builtin_trap();
  } catch (const dp::Error&) {
  }
  return 0;
}
