#include "synth/traffic_spec.hh"

#include <algorithm>

#include <charconv>
#include <cmath>
#include <cstdio>

#include "base/error.hh"

namespace deltaplane::drivers::synth {
namespace {

[[noreturn]] void fail(std::string_view key, const std::string& what) {
  throw Error("--synth: " + std::string(key) + ": " + what);
}

uint64_t parse_count(std::string_view key, std::string_view v, uint64_t lo, uint64_t hi,
                     bool suffixes) {
  const std::string_view given = v;  // for messages, suffix and all
  uint64_t mult = 1;
  if (suffixes && !v.empty()) {
    switch (v.back()) {
      case 'k':
      case 'K': mult = 1000; break;
      case 'M': mult = 1000000; break;
      case 'G': mult = 1000000000; break;
      default: break;
    }
    if (mult != 1) v.remove_suffix(1);
  }
  double x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty() || !std::isfinite(x) || x < 0 ||
      (mult == 1 && x != std::floor(x)))
    fail(key, "expected a whole number" + std::string(suffixes ? " (k/M/G suffix allowed)" : "") +
                  ", got '" + std::string(given) + "'");
  const double value = x * static_cast<double>(mult);
  if (value < static_cast<double>(lo) || value > static_cast<double>(hi))
    fail(key,
         std::string(given) + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
  return static_cast<uint64_t>(value);
}

double parse_fraction(std::string_view key, std::string_view v) {
  double x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty() || !(x >= 0.0 && x <= 1.0))
    fail(key, "expected a fraction 0..1, got '" + std::string(v) + "'");
  return x;
}

constexpr uint16_t kMinFrame = 14 + 20 + 8;  // smallest valid frame we build (IPv4/UDP)
constexpr uint16_t kMaxFrame = 9600;
constexpr uint64_t kMaxLcoreId = 1023;  // checked against the EAL's lcores at setup

}  // namespace

std::string_view invalid_kind_name(InvalidKind k) noexcept {
  switch (k) {
    case InvalidKind::kNone: return "none";
#define DELTAPLANE_SYNTH_KIND_NAME(e, n) \
  case InvalidKind::e: return n;
      DELTAPLANE_SYNTH_INVALID_KINDS(DELTAPLANE_SYNTH_KIND_NAME)
#undef DELTAPLANE_SYNTH_KIND_NAME
  }
  return "none";
}

std::string_view size_model_name(SizeModel m) noexcept {
  switch (m) {
    case SizeModel::kFixed: return "fixed";
    case SizeModel::kRange: return "range";
    case SizeModel::kImix: return "imix";
  }
  return "?";
}

std::string_view payload_model_name(PayloadModel m) noexcept {
  switch (m) {
    case PayloadModel::kRandom: return "random";
    case PayloadModel::kRecords: return "records";
    case PayloadModel::kBinary: return "binary";
    case PayloadModel::kRepeat: return "repeat";
    case PayloadModel::kFill: return "fill";
    case PayloadModel::kWeb: return "web";
    case PayloadModel::kMix: return "mix";
  }
  return "?";
}

TrafficSpec parse_traffic_spec(std::string_view text) {
  TrafficSpec s;
  bool kinds_given = false;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      fail(item,
           "expected key=value (keys: seed flows size ipv6 tcp payload invalid kinds rate "
           "ring count tx-rate bank lcore)");
    const std::string_view key = item.substr(0, eq);
    std::string_view v = item.substr(eq + 1);
    if (key == "seed") {
      s.seed = parse_count(key, v, 0, UINT64_MAX >> 1, false);
    } else if (key == "flows") {
      s.flows = static_cast<uint32_t>(parse_count(key, v, 1, 1u << 24, true));
    } else if (key == "size") {
      if (v == "imix") {
        s.size_model = SizeModel::kImix;
        s.size_min = 64;
        s.size_max = 1500;
      } else if (const size_t dash = v.find('-'); dash != std::string_view::npos) {
        s.size_model = SizeModel::kRange;
        s.size_min = static_cast<uint16_t>(parse_count(key, v.substr(0, dash), 60, kMaxFrame, 0));
        s.size_max = static_cast<uint16_t>(parse_count(key, v.substr(dash + 1), 60, kMaxFrame, 0));
        if (s.size_min > s.size_max) fail(key, "range " + std::string(v) + " is upside down");
      } else {
        s.size_model = SizeModel::kFixed;
        s.size_min = s.size_max = static_cast<uint16_t>(parse_count(key, v, 60, kMaxFrame, false));
      }
    } else if (key == "ipv6") {
      s.ipv6 = parse_fraction(key, v);
    } else if (key == "tcp") {
      s.tcp = parse_fraction(key, v);
    } else if (key == "payload") {
      if (v == "random")
        s.payload = PayloadModel::kRandom;
      else if (v == "records")
        s.payload = PayloadModel::kRecords;
      else if (v == "binary")
        s.payload = PayloadModel::kBinary;
      else if (v == "repeat")
        s.payload = PayloadModel::kRepeat;
      else if (v == "fill")
        s.payload = PayloadModel::kFill;
      else if (v == "web")
        s.payload = PayloadModel::kWeb;
      else if (v == "mix")
        s.payload = PayloadModel::kMix;
      else
        fail(key, "expected random, records, binary, repeat, fill, web or mix, got '" +
                      std::string(v) + "'");
    } else if (key == "invalid") {
      s.invalid = parse_fraction(key, v);
    } else if (key == "kinds") {
      kinds_given = true;
      while (!v.empty()) {
        const size_t slash = v.find('/');
        const std::string_view name = v.substr(0, slash);
        v = slash == std::string_view::npos ? std::string_view{} : v.substr(slash + 1);
        bool found = false;
        for (uint8_t k = 1; k <= kInvalidKindCount; ++k)
          if (invalid_kind_name(static_cast<InvalidKind>(k)) == name) {
            s.kinds.push_back(static_cast<InvalidKind>(k));
            found = true;
          }
        if (!found)
          fail(key, "unknown kind '" + std::string(name) +
                        "' (kinds, separated by '/': runt ip-version ip-length ip-checksum ttl0 "
                        "l4-length l4-checksum)");
      }
    } else if (key == "rate") {
      s.rate = parse_count(key, v, 0, 1000000000, true);
    } else if (key == "ring") {
      s.ring = static_cast<uint32_t>(parse_count(key, v, 1, 65536, true));
    } else if (key == "count") {
      s.count = parse_count(key, v, 0, UINT64_MAX >> 1, true);
    } else if (key == "tx-rate") {
      s.tx_rate = parse_count(key, v, 0, 1000000000, true);
    } else if (key == "bank") {
      s.bank = static_cast<uint32_t>(parse_count(key, v, 1, 1u << 20, true));
    } else if (key == "lcore") {
      const size_t dash = v.find('-');
      const auto first =
          static_cast<unsigned>(parse_count(key, v.substr(0, dash), 0, kMaxLcoreId, false));
      const auto last =
          dash == std::string_view::npos
              ? first
              : static_cast<unsigned>(parse_count(key, v.substr(dash + 1), 0, kMaxLcoreId, false));
      if (last < first) fail(key, "range " + std::string(v) + " is upside down");
      s.lcores.clear();
      for (unsigned l = first; l <= last; ++l)
        s.lcores.push_back(l);
    } else {
      fail(key,
           "unknown key (keys: seed flows size ipv6 tcp payload invalid kinds rate ring "
           "count tx-rate bank lcore)");
    }
  }
  if (kinds_given && s.kinds.empty()) fail("kinds", "empty list");
  if (!kinds_given)
    for (uint8_t k = 1; k <= kInvalidKindCount; ++k)
      s.kinds.push_back(static_cast<InvalidKind>(k));
  if (s.size_min < kMinFrame) s.size_min = kMinFrame;  // documented: headers always fit
  if (s.size_max < s.size_min) s.size_max = s.size_min;
  return s;
}

PortSpec parse_port_spec(std::string_view text) {
  const size_t colon = text.find(':');
  const std::string_view port = text.substr(0, colon);
  uint16_t id = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), id);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size())
    throw Error("--synth: expected PORT:key=value,... (e.g. 0:flows=1000,size=imix), got '" +
                std::string(text) + "'");
  return {id, parse_traffic_spec(colon == std::string_view::npos ? "" : text.substr(colon + 1))};
}

std::string TrafficSpec::describe() const {
  char buf[320];
  std::string sizes = size_model == SizeModel::kImix ? "imix"
                      : size_min == size_max
                          ? std::to_string(size_min)
                          : std::to_string(size_min) + "-" + std::to_string(size_max);
  std::snprintf(buf, sizeof buf,
                "seed=%llu flows=%u size=%s ipv6=%.3g tcp=%.3g payload=%s invalid=%.3g rate=%llu "
                "count=%llu tx-rate=%llu bank=%u",
                static_cast<unsigned long long>(seed), flows, sizes.c_str(), ipv6, tcp,
                std::string(payload_model_name(payload)).c_str(), invalid,
                static_cast<unsigned long long>(rate), static_cast<unsigned long long>(count),
                static_cast<unsigned long long>(tx_rate), bank);
  std::string out = buf;
  if (!lcores.empty())
    out += " lcore=" + std::to_string(lcores.front()) +
           (lcores.size() > 1 ? "-" + std::to_string(lcores.back()) : "");
  return out;
}

std::vector<PortSpec> parse_port_specs(const std::vector<std::string>& texts) {
  std::vector<PortSpec> specs;
  for (const auto& t : texts) {
    specs.push_back(parse_port_spec(t));
    for (size_t i = 0; i + 1 < specs.size(); ++i)
      if (specs[i].port == specs.back().port)
        throw Error("--synth: port " + std::to_string(specs.back().port) + " is given twice");
  }
  return specs;
}

std::vector<unsigned> generator_lcores(const std::vector<PortSpec>& specs) {
  std::vector<unsigned> lcores;
  for (const auto& ss : specs)
    for (unsigned l : ss.spec.lcores) {
      if (std::find(lcores.begin(), lcores.end(), l) != lcores.end())
        throw Error("--synth: generator lcore " + std::to_string(l) + " is given twice");
      lcores.push_back(l);
    }
  return lcores;
}

size_t port_index(const PortSpec& spec, const std::vector<uint16_t>& ports) {
  for (size_t i = 0; i < ports.size(); ++i)
    if (ports[i] == spec.port) return i;
  throw Error("--synth: port " + std::to_string(spec.port) + " is not in use (the ports in use: " +
              [&] {
                std::string s;
                for (auto p : ports)
                  s += (s.empty() ? "" : ",") + std::to_string(p);
                return s;
              }() +
              ")");
}

}  // namespace deltaplane::drivers::synth
