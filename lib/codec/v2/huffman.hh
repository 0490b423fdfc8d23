// Canonical Huffman coding of byte literals, one code per tunnel packet (wire
// format v2, docs/wire-format.md section "Literals"): code lengths at most
// 11 bits, the table sent as 4-bit lengths with zero runs, the bitstream
// least-significant bit first with bit-reversed codes (as DEFLATE), so a
// decoder peeks as many bits as the longest code (at most 11) and looks the
// symbol up in one table of at most 2048 entries.
// Pure code on plain buffers; reference decoder in the tests.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace deltaplane::codec::v2 {

inline constexpr unsigned kMaxCodeBits = 11;

struct HuffmanCode {
  std::array<uint8_t, 256> len{};    // 0: symbol absent
  std::array<uint16_t, 256> code{};  // bit-reversed, ready to be written LSB first
  unsigned max_symbol = 0;
};

// Code lengths for the symbol counts, limited to kMaxCodeBits, and the
// canonical codes. False when fewer than two symbols occur (nothing to gain:
// send the literals raw).
bool build_code(const std::array<uint32_t, 256>& counts, HuffmanCode& c) noexcept;

// Bits the literals take with `c` (without the table).
uint64_t coded_bits(const HuffmanCode& c, const std::array<uint32_t, 256>& counts) noexcept;

// The table: max_symbol (1 byte), then one nibble per symbol 0..max_symbol
// (0 = absent, 1..11 = length; 15 then n: n + 2 absent symbols), low nibble
// first. Returns its size; `out` may be null to measure.
size_t write_table(const HuffmanCode& c, uint8_t* out) noexcept;

// Appends the codes of `in` to `out`; returns bytes written, or 0 if they do
// not fit in out.size().
size_t encode(const HuffmanCode& c, std::span<const uint8_t> in, std::span<uint8_t> out) noexcept;

enum class HuffmanStatus : uint8_t {
  ok,
  truncated,  // the table or the bitstream ends early
  bad_table,  // a length above 11, an oversubscribed code, or fewer than two symbols
              // (an incomplete code is valid: the length limit can leave code
              // points unused, and decoding one is bad_code)
  bad_code,   // the bitstream holds a code that is not in the table
};

struct HuffmanDecoder {
  // entry: symbol << 4 | code length; length 0 = no code has these bits.
  // Only the first 2^bits entries are used: bits is the longest code's
  // length (a packet of few literals fills a small table).
  std::array<uint16_t, 1u << kMaxCodeBits> entries{};
  unsigned bits = kMaxCodeBits;
};

// Reads a table written by write_table; `used` receives its size.
HuffmanStatus read_table(std::span<const uint8_t> in, HuffmanDecoder& d, size_t& used) noexcept;

// Decodes exactly out.size() symbols from `in`; never reads past it.
HuffmanStatus decode(const HuffmanDecoder& d, std::span<const uint8_t> in,
                     std::span<uint8_t> out) noexcept;

}  // namespace deltaplane::codec::v2
