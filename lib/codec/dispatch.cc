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
    case SimdLevel::kScalar: return &kScalarKernels;
    case SimdLevel::kSse42: return &kSse42Kernels;
    case SimdLevel::kAvx2: return &kAvx2Kernels;
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

SimdLevel simd_level() noexcept {
  return detail::active_kernels().level;
}

bool set_simd_level(SimdLevel level) noexcept {
  const detail::Kernels* k = detail::kernels_for(level);
  if (k == nullptr) return false;
  detail::g_active_kernels.store(k, std::memory_order_relaxed);
  return true;
}

std::string_view to_string(ZeroRunStatus status) noexcept {
  switch (status) {
    case ZeroRunStatus::ok: return "ok";
    case ZeroRunStatus::truncated: return "truncated";
    case ZeroRunStatus::bad_varint: return "bad_varint";
    case ZeroRunStatus::empty_pair: return "empty_pair";
    case ZeroRunStatus::overrun: return "overrun";
    case ZeroRunStatus::trailing: return "trailing";
  }
  return "unknown";
}

}  // namespace deltaplane::codec
