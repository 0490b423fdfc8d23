// The table of codec kernels for one instruction-set level, and the table the
// dispatched entry points use. The table is picked once (at start-up or by
// set_simd_level), never per packet: one relaxed load and an indirect call.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "codec/simd.hh"
#include "codec/status.hh"

namespace deltaplane::codec::detail {

struct Kernels {
  SimdLevel level;
  void (*xor_delta)(std::uint8_t* out, const std::uint8_t* a, const std::uint8_t* b,
                    std::size_t n) noexcept;
  std::size_t (*zero_run_encode)(const std::uint8_t* in, std::size_t n, std::uint8_t* out,
                                 std::size_t capacity) noexcept;
  std::size_t (*xor_zero_run_encode)(const std::uint8_t* frame, std::size_t n,
                                     const std::uint8_t* key, std::size_t key_len,
                                     std::uint8_t* out, std::size_t capacity) noexcept;
  ZeroRunStatus (*zero_run_decode)(const std::uint8_t* in, std::size_t in_len, std::uint8_t* out,
                                   std::size_t n) noexcept;
  ZeroRunStatus (*zero_run_decode_xor)(const std::uint8_t* in, std::size_t in_len,
                                       const std::uint8_t* key, std::size_t key_len,
                                       std::uint8_t* out, std::size_t n) noexcept;
};

// The kernels of one level, or nullptr if this CPU cannot run that level.
[[nodiscard]] const Kernels* kernels_for(SimdLevel level) noexcept;

extern std::atomic<const Kernels*> g_active_kernels;

[[nodiscard]] inline const Kernels& active_kernels() noexcept {
  return *g_active_kernels.load(std::memory_order_relaxed);
}

// Per-level entry points, defined in kernels_<isa>.cc.
extern const Kernels kScalarKernels;
extern const Kernels kSse42Kernels;
extern const Kernels kAvx2Kernels;

}  // namespace deltaplane::codec::detail
