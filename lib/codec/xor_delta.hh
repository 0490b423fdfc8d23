// XOR delta of two buffers: out = a ^ b. The encoder XORs a frame with its
// flow's keyframe so that unchanged bytes become zero; the decoder XORs again.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/detail/kernels.hh"

namespace deltaplane::codec {

// out[i] = a[i] ^ b[i] for i < n. Any alignment and any n (0 included). `out`
// may be `a` or `b` (in place) but must not overlap them otherwise.
inline void xor_delta(std::uint8_t* out, const std::uint8_t* a, const std::uint8_t* b,
                      std::size_t n) noexcept {
  detail::active_kernels().xor_delta(out, a, b, n);
}

}  // namespace deltaplane::codec
