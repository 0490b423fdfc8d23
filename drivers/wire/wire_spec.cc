#include "wire/wire_spec.hh"

#include <charconv>
#include <cstdio>

#include "base/error.hh"

namespace deltaplane::drivers::wire {
namespace {

[[noreturn]] void fail(std::string_view key, const std::string& msg) {
  throw Error("--wire: " + std::string(key) + ": " + msg);
}

double parse_probability(std::string_view key, std::string_view v) {
  double x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || !(x >= 0 && x <= 1))
    fail(key, "expected a probability 0..1, got '" + std::string(v) + "'");
  return x;
}

uint64_t parse_count(std::string_view key, std::string_view v, uint64_t lo, uint64_t hi) {
  uint64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || x < lo || x > hi)
    fail(key, "expected an integer " + std::to_string(lo) + ".." + std::to_string(hi) + ", got '" +
                  std::string(v) + "'");
  return x;
}

constexpr uint64_t splitmix64(uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t threshold(double p) noexcept {
  return static_cast<uint64_t>(p * 4294967296.0);
}

}  // namespace

std::string WireSpec::describe() const {
  if (!impaired()) return "clean";
  char buf[160];
  std::snprintf(buf, sizeof buf, "loss=%g,flip=%g,dup=%g,reorder=%g,seed=%llu", loss, flip, dup,
                reorder, static_cast<unsigned long long>(seed));
  return buf;
}

WireSpec parse_wire_spec(std::string_view text) {
  WireSpec s;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == text.npos ? text.npos : comma - pos);
    pos = comma == text.npos ? text.size() : comma + 1;
    const size_t eq = item.find('=');
    if (eq == item.npos)
      throw Error("--wire: expected key=value, got '" + std::string(item) +
                  "' (keys: loss, flip, dup, reorder, seed, ring)");
    const std::string_view key = item.substr(0, eq), v = item.substr(eq + 1);
    if (key == "loss")
      s.loss = parse_probability(key, v);
    else if (key == "flip")
      s.flip = parse_probability(key, v);
    else if (key == "dup")
      s.dup = parse_probability(key, v);
    else if (key == "reorder")
      s.reorder = parse_probability(key, v);
    else if (key == "seed")
      s.seed = parse_count(key, v, 0, UINT64_MAX);
    else if (key == "ring") {
      s.ring = static_cast<uint32_t>(parse_count(key, v, 64, 1u << 20));
      if (s.ring & (s.ring - 1)) fail(key, "'" + std::string(v) + "' is not a power of two");
    } else {
      throw Error("--wire: unknown key '" + std::string(key) +
                  "' (keys: loss, flip, dup, reorder, seed, ring)");
    }
  }
  return s;
}

Impairer::Impairer(const WireSpec& s, uint64_t stream) noexcept
    : state_(splitmix64(s.seed * 0x100000001b3ull + stream)),
      loss_(threshold(s.loss)),
      flip_(threshold(s.flip)),
      dup_(threshold(s.dup)),
      reorder_(threshold(s.reorder)) {}

uint64_t Impairer::draw() noexcept {
  state_ += 0x9e3779b97f4a7c15ull;
  return splitmix64(state_) & 0xffffffffu;
}

Fate Impairer::next(uint32_t len) noexcept {
  Fate f;
  if (loss_ && draw() < loss_) {
    f.lost = true;
    return f;
  }
  if (flip_ && len && draw() < flip_) {
    f.flipped = true;
    f.bit = static_cast<uint32_t>((draw() * (uint64_t{len} * 8)) >> 32);
  }
  f.duplicated = dup_ && draw() < dup_;
  f.swapped = reorder_ && draw() < reorder_;
  return f;
}

}  // namespace deltaplane::drivers::wire
