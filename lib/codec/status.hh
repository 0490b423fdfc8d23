// Outcome of decoding a zero-run body. The names are stable: they appear in
// drop counters and in docs/wire-format.md.
#pragma once

#include <cstdint>
#include <string_view>

namespace deltaplane::codec {

enum class ZeroRunStatus : std::uint8_t {
  ok,
  truncated,   // the body ends inside a length field or a literal
  bad_varint,  // a length field is longer than 5 bytes or exceeds 32 bits
  empty_pair,  // a pair with zero-run 0 and literal 0 (no progress)
  overrun,     // a run goes past the expected frame length
  trailing,    // bytes left in the body after the frame is complete
};

[[nodiscard]] std::string_view to_string(ZeroRunStatus status) noexcept;

}  // namespace deltaplane::codec
