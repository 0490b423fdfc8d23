#include "codec/checksum.hh"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
// Inlined so XXH3 is compiled here, at -O3, rather than called through the
// distribution's generic build of libxxhash.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <climits>

namespace deltaplane::codec {

std::uint32_t crc32c(const void* data, std::size_t n, std::uint32_t prev) noexcept {
  // crc32_iscsi neither inverts its seed nor its result, and takes an int
  // length (and a non-const pointer, though it only reads).
  auto* p = static_cast<unsigned char*>(const_cast<void*>(data));
  std::uint32_t crc = ~prev;
  while (n > 0) {
    const std::size_t chunk = n < static_cast<std::size_t>(INT_MAX) ? n : INT_MAX;
    crc = crc32_iscsi(p, static_cast<int>(chunk), crc);
    p += chunk;
    n -= chunk;
  }
  return ~crc;
}

std::uint32_t crc32(const void* data, std::size_t n, std::uint32_t prev) noexcept {
  // ISA-L's crc32_ieee is the non-reflected variant (bzip2); the reflected one
  // that zlib and Ethernet use is crc32_gzip_refl, which inverts internally.
  return crc32_gzip_refl(prev, static_cast<const unsigned char*>(data), n);
}

std::uint32_t adler32(const void* data, std::size_t n, std::uint32_t prev) noexcept {
  return isal_adler32(prev, static_cast<const unsigned char*>(data), n);
}

std::uint64_t xxhash64(const void* data, std::size_t n, std::uint64_t seed) noexcept {
  return XXH3_64bits_withSeed(data, n, seed);
}

std::uint64_t frame_digest(const void* data, std::size_t n) noexcept {
  return frame_digest_of_crc32(crc32(data, n), n);
}

std::uint64_t frame_digest_of_crc32(std::uint32_t crc, std::size_t n) noexcept {
  std::uint64_t x = (std::uint64_t{crc} << 32 | (n & 0xffffffff)) + 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;  // splitmix64's finaliser: a bijection
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace deltaplane::codec
