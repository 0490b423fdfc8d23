// Plain reference implementations: one obvious byte loop per kernel, written
// for reading, not speed. Tests check every fast kernel against these, and the
// benchmarks show what the fast paths gain over them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/status.hh"

namespace deltaplane::codec::ref {

void xor_delta(std::uint8_t* out, const std::uint8_t* a, const std::uint8_t* b,
               std::size_t n) noexcept;

// Same contract as codec::zero_run_encode / zero_run_decode.
[[nodiscard]] std::size_t zero_run_encode(const std::uint8_t* in, std::size_t n, std::uint8_t* out,
                                          std::size_t capacity) noexcept;
[[nodiscard]] ZeroRunStatus zero_run_decode(const std::uint8_t* in, std::size_t in_len,
                                            std::uint8_t* out, std::size_t n) noexcept;

// Bit-at-a-time CRCs and the textbook Adler-32; same chaining as codec/checksum.hh.
[[nodiscard]] std::uint32_t crc32c(const void* data, std::size_t n,
                                   std::uint32_t prev = 0) noexcept;
[[nodiscard]] std::uint32_t crc32(const void* data, std::size_t n, std::uint32_t prev = 0) noexcept;
[[nodiscard]] std::uint32_t adler32(const void* data, std::size_t n,
                                    std::uint32_t prev = 1) noexcept;

}  // namespace deltaplane::codec::ref
