// Checksums and hashes over plain buffers, thin wrappers over Intel ISA-L and
// xxHash that fix the conventions (initial value, final inversion, chaining)
// to the standard ones, so check values match every other implementation.
#pragma once

#include <cstddef>
#include <cstdint>

namespace deltaplane::codec {

// CRC-32C (Castagnoli), as in iSCSI/SCTP/ext4: crc32c("123456789") == 0xE3069283.
// Chains: crc32c(b, nb, crc32c(a, na)) == crc32c(a || b).
[[nodiscard]] std::uint32_t crc32c(const void* data, std::size_t n,
                                   std::uint32_t prev = 0) noexcept;

// CRC-32 (IEEE 802.3, zlib, gzip): crc32("123456789") == 0xCBF43926. Chains like crc32c.
[[nodiscard]] std::uint32_t crc32(const void* data, std::size_t n, std::uint32_t prev = 0) noexcept;

// Adler-32 (zlib): adler32("123456789") == 0x091E01DE. Start value 1; chains.
[[nodiscard]] std::uint32_t adler32(const void* data, std::size_t n,
                                    std::uint32_t prev = 1) noexcept;

// XXH3 64-bit: a fast non-cryptographic hash (flow keys, hash tables).
[[nodiscard]] std::uint64_t xxhash64(const void* data, std::size_t n,
                                     std::uint64_t seed = 0) noexcept;

// A 64-bit digest of a frame for end-to-end audits (--audit): its CRC-32 (not
// the CRC-32C the wire format carries, so the audit does not share the
// decoder's check) and its length, mixed so that sums of digests compare
// multisets of frames: two gateways saw the same frames, in any order, when
// the sums (mod 2^64) and counts agree.
[[nodiscard]] std::uint64_t frame_digest(const void* data, std::size_t n) noexcept;
// The same from a frame's CRC-32 (chained over its segments) and its length.
[[nodiscard]] std::uint64_t frame_digest_of_crc32(std::uint32_t crc, std::size_t n) noexcept;

}  // namespace deltaplane::codec
