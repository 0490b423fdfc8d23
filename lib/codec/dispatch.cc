// Picks the kernel table once, from the CPU flags, like DPDK's rte_net_crc.
#include <atomic>

#include "codec/detail/kernels.hh"
#include "codec/simd.hh"
#include "codec/status.hh"

namespace deltaplane::codec {
namespace detail {

const Kernels* kernels_for(SimdLevel level) noexcept {
  if (!simd_level_supported(level)) return nullptr;
  switch (level) {
    case SimdLevel::scalar:
      return &kScalarKernels;
    case SimdLevel::sse42:
      return &kSse42Kernels;
    case SimdLevel::avx2:
      return &kAvx2Kernels;
  }
  return nullptr;
}

// Constant-initialised to the scalar table, so a call made by another static
// initialiser before the upgrade below is still correct, just slower.
constinit std::atomic<const Kernels*> g_active_kernels{&kScalarKernels};

namespace {

[[maybe_unused]] const bool kUpgraded = set_simd_level(best_simd_level());

}  // namespace
}  // namespace detail

bool simd_level_supported(SimdLevel level) noexcept {
  switch (level) {
    case SimdLevel::scalar:
      return true;
    case SimdLevel::sse42:
      return __builtin_cpu_supports("sse4.2");
    case SimdLevel::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
             __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
  }
  return false;
}

SimdLevel best_simd_level() noexcept {
  if (simd_level_supported(SimdLevel::avx2)) return SimdLevel::avx2;
  if (simd_level_supported(SimdLevel::sse42)) return SimdLevel::sse42;
  return SimdLevel::scalar;
}

SimdLevel simd_level() noexcept {
  return detail::active_kernels().level;
}

bool set_simd_level(SimdLevel level) noexcept {
  const detail::Kernels* k = detail::kernels_for(level);
  if (k == nullptr) return false;
  detail::g_active_kernels.store(k, std::memory_order_relaxed);
  return true;
}

std::string_view to_string(SimdLevel level) noexcept {
  switch (level) {
    case SimdLevel::scalar:
      return "scalar";
    case SimdLevel::sse42:
      return "sse42";
    case SimdLevel::avx2:
      return "avx2";
  }
  return "unknown";
}

std::optional<SimdLevel> parse_simd_level(std::string_view name) noexcept {
  for (SimdLevel l : kAllSimdLevels) {
    if (to_string(l) == name) return l;
  }
  return std::nullopt;
}

std::string_view to_string(ZeroRunStatus status) noexcept {
  switch (status) {
    case ZeroRunStatus::ok:
      return "ok";
    case ZeroRunStatus::truncated:
      return "truncated";
    case ZeroRunStatus::bad_varint:
      return "bad_varint";
    case ZeroRunStatus::empty_pair:
      return "empty_pair";
    case ZeroRunStatus::overrun:
      return "overrun";
    case ZeroRunStatus::trailing:
      return "trailing";
  }
  return "unknown";
}

}  // namespace deltaplane::codec
