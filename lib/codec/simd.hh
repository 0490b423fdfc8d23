// Which vector instruction set the codec kernels use (levels: base/simd.hh).
// Chosen once from the CPU flags (the best one available) by a static
// initialiser; the application sets it from --simd at start-up, and tests and
// benchmarks switch it to compare levels.
#pragma once

#include "base/simd.hh"

namespace deltaplane::codec {

// The level the dispatched kernels use now.
[[nodiscard]] SimdLevel simd_level() noexcept;

// Switches the dispatched kernels to `level`; false (and no change) if the CPU
// cannot run it. Safe to call while other threads use the kernels: each call
// of a kernel sees either the old or the new table, both correct.
bool set_simd_level(SimdLevel level) noexcept;

}  // namespace deltaplane::codec
