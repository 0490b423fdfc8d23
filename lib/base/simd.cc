#include "base/simd.hh"

namespace deltaplane {

std::string_view simd_level_name(SimdLevel level) noexcept {
  switch (level) {
    case SimdLevel::kScalar: return "scalar";
    case SimdLevel::kSse42: return "sse42";
    case SimdLevel::kAvx2: return "avx2";
  }
  return "invalid";
}

std::optional<SimdLevel> parse_simd_level(std::string_view name) noexcept {
  for (SimdLevel l : kAllSimdLevels)
    if (simd_level_name(l) == name) return l;
  if (name == "sse") return SimdLevel::kSse42;
  return std::nullopt;
}

bool simd_level_supported(SimdLevel level) noexcept {
  __builtin_cpu_init();  // needed if called before constructors ran
  switch (level) {
    case SimdLevel::kScalar: return true;
    case SimdLevel::kSse42: return __builtin_cpu_supports("sse4.2");
    case SimdLevel::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
             __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
  }
  return false;
}

SimdLevel best_simd_level() noexcept {
  if (simd_level_supported(SimdLevel::kAvx2)) return SimdLevel::kAvx2;
  if (simd_level_supported(SimdLevel::kSse42)) return SimdLevel::kSse42;
  return SimdLevel::kScalar;
}

}  // namespace deltaplane
