// Which vector instruction set the codec kernels use. The level is chosen once
// from the CPU flags (the best one available); set_simd_level overrides it for
// tests, benchmarks and the --codec-simd option.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace deltaplane::codec {

enum class SimdLevel : std::uint8_t {
  scalar,  // 64-bit words only; runs on any x86-64
  sse42,   // 16-byte vectors
  avx2,    // 32-byte vectors
};

inline constexpr SimdLevel kAllSimdLevels[] = {SimdLevel::scalar, SimdLevel::sse42,
                                               SimdLevel::avx2};

// The best level this CPU can run.
[[nodiscard]] SimdLevel best_simd_level() noexcept;

// Whether this CPU can run `level`.
[[nodiscard]] bool simd_level_supported(SimdLevel level) noexcept;

// The level the dispatched kernels use now.
[[nodiscard]] SimdLevel simd_level() noexcept;

// Switches the dispatched kernels to `level`; false (and no change) if the CPU
// cannot run it. Safe to call while other threads use the kernels: each call
// of a kernel sees either the old or the new table, both correct.
bool set_simd_level(SimdLevel level) noexcept;

[[nodiscard]] std::string_view to_string(SimdLevel level) noexcept;
[[nodiscard]] std::optional<SimdLevel> parse_simd_level(std::string_view name) noexcept;

}  // namespace deltaplane::codec
