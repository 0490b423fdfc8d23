// Header validation: parse Ethernet / VLAN / IPv4 / IPv6 (+ extension headers)
// / TCP / UDP / ICMP / SCTP, decide a Verdict, fill a Parsed. The rules and their
// RFCs are in docs/validation.md.
//
// Three ways in, all giving the identical Verdict (and, for kOk, the identical
// Parsed) for every input:
//  - validate_reference: plain straight-line code, the oracle for tests;
//  - validate: the fast scalar single-frame path;
//  - validate_burst via a BurstValidator chosen once per SimdLevel at start-up
//    (scalar, SSE4.2, AVX2), for the data path.
// None of them allocates, throws, or reads outside [data, data + len).
#pragma once

#include "base/simd.hh"

#include <cstdint>
#include <string_view>

#include "packet/parsed.hh"
#include "packet/verdict.hh"

namespace deltaplane::packet {

struct Options {
  bool drop_unknown_ethertype = false;  // ARP, LLC, ... dropped as unknown_ethertype
  bool drop_ttl_zero = true;            // IPv4 TTL 0 dropped as ipv4_ttl_zero
  bool verify_l4_checksum = false;      // TCP/UDP/ICMP/ICMPv6 checksums (not on fragments)
  bool verify_ipv4_checksum = true;     // IPv4 header checksum

  friend bool operator==(const Options&, const Options&) = default;
};

// The oracle: obvious code, slow on purpose. `out` must not be null.
Verdict validate_reference(const uint8_t* data, uint32_t len, const Options& opt,
                           Parsed* out) noexcept;

// Fast scalar validation of one frame (no CPU-specific instructions).
Verdict validate(const uint8_t* data, uint32_t len, const Options& opt, Parsed* out) noexcept;

// Validates n frames: out_verdicts[i] and out_parsed[i] for frame i
// (data[i], len[i]). All arrays hold at least n elements; out_parsed may be
// null when only verdicts are wanted (cheaper: nothing is extracted).
using BurstFn = void (*)(const uint8_t* const* data, const uint32_t* len, uint16_t n,
                         const Options& opt, Verdict* out_verdicts, Parsed* out_parsed) noexcept;

struct BurstValidator {
  SimdLevel level;
  std::string_view name;
  BurstFn validate_burst;
};

// The validator for `level`, clamped down to best_simd_level() so an
// unsupported level never runs. Fetch once at start-up and keep the pointer.
const BurstValidator& burst_validator(SimdLevel level) noexcept;

// Convenience: burst_validator(best_simd_level()), selected on first use.
void validate_burst(const uint8_t* const* data, const uint32_t* len, uint16_t n, const Options& opt,
                    Verdict* out_verdicts, Parsed* out_parsed) noexcept;

}  // namespace deltaplane::packet
