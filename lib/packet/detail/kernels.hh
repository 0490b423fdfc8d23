// Internal: the per-ISA entry points behind validate.hh and checksum.hh.
// Defined in validate_{scalar,sse42,avx2}.cc and checksum{,_avx2}.cc. Only the
// dispatcher may call an ISA-specific function, after checking the CPU.
#pragma once

#include <cstddef>
#include <cstdint>

#include "packet/validate.hh"

namespace deltaplane::packet::detail {

// Full scalar validation without the common-case shortcut; the fallback that
// the SIMD paths use for rare frames (VLAN stacks, options, fragments, ...).
// Out of line on purpose: it is compiled without -mavx2, so it is safe to call
// from anywhere.
Verdict validate_general(const uint8_t* data, uint32_t len, const Options& opt,
                         Parsed* out) noexcept;

void validate_burst_scalar(const uint8_t* const* data, const uint32_t* len, uint16_t n,
                           const Options& opt, Verdict* out_verdicts, Parsed* out_parsed) noexcept;
void validate_burst_sse42(const uint8_t* const* data, const uint32_t* len, uint16_t n,
                          const Options& opt, Verdict* out_verdicts, Parsed* out_parsed) noexcept;
void validate_burst_avx2(const uint8_t* const* data, const uint32_t* len, uint16_t n,
                         const Options& opt, Verdict* out_verdicts, Parsed* out_parsed) noexcept;

uint32_t raw_sum_scalar(const void* data, size_t len, uint32_t initial) noexcept;
uint32_t raw_sum_avx2(const void* data, size_t len, uint32_t initial) noexcept;

}  // namespace deltaplane::packet::detail
