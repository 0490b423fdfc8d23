// The vector instruction-set levels of the kernels chosen at run time (header
// validation in lib/packet, the codec in lib/codec), named once. A level is
// picked at start-up from the CPU's flags, or by --simd, never per packet.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace deltaplane {

enum class SimdLevel : std::uint8_t {
  kScalar,  // 64-bit words only; runs on any x86-64
  kSse42,   // 16-byte vectors
  kAvx2,    // 32-byte vectors (with BMI1/2, POPCNT)
};

inline constexpr SimdLevel kAllSimdLevels[] = {SimdLevel::kScalar, SimdLevel::kSse42,
                                               SimdLevel::kAvx2};

[[nodiscard]] std::string_view simd_level_name(
    SimdLevel level) noexcept;  // "scalar", "sse42", "avx2"
// Accepts the names above and "sse" for sse42.
[[nodiscard]] std::optional<SimdLevel> parse_simd_level(std::string_view name) noexcept;
// Whether this CPU can run `level`.
[[nodiscard]] bool simd_level_supported(SimdLevel level) noexcept;
// The best level this CPU can run.
[[nodiscard]] SimdLevel best_simd_level() noexcept;

}  // namespace deltaplane
