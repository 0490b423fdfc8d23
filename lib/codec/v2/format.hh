// Wire format version 2, the layout only (docs/wire-format.md): the tunnel
// packet header, the record header of each frame, varints, and the statuses
// a decoder gives what it refuses. Encoder and decoder (encoder.hh,
// decoder.hh) build and read packets with these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace deltaplane::codec::v2 {

inline constexpr uint16_t kMagic = 0x4450;  // "DP", as version 1
inline constexpr uint8_t kVersion = 2;
inline constexpr size_t kPacketHeaderSize = 16;
inline constexpr unsigned kMaxRecords = 32;  // frames per tunnel packet
inline constexpr size_t kMinMatch = 4;
inline constexpr uint32_t kOuterHeaders = 14 + 20 + 8;  // Ethernet, IPv4, UDP of a tunnel packet

// Packet flags (byte 3).
inline constexpr uint8_t kFlagHuffman = 1;  // the literal section is Huffman-coded
// A fragment of a packet longer than the WAN MTU (a frame too long for one
// packet, coded): bytes 10-11 are its index and the fragment count, a be16
// after the header the whole packet's length; the decoder decodes the packet
// once it holds every fragment. The only flag a fragment carries.
inline constexpr uint8_t kFlagFragment = 2;
inline constexpr size_t kFragmentHeaderSize = kPacketHeaderSize + 2;
inline constexpr size_t kMaxFragmented = 65535;  // longest packet sent in fragments
inline constexpr unsigned kMaxFragments = 255;
// High nibble: log2 of the stream's history size - 16 (64 KiB .. 2 GiB); the
// decoder refuses a stream whose history it cannot hold.
inline constexpr unsigned kHistoryShift = 4;
inline constexpr uint8_t kKnownFlags = kFlagHuffman | kFlagFragment | 0xf0;
inline constexpr uint8_t history_flags(size_t history) noexcept {
  unsigned l = 0;
  while ((size_t{1} << (16 + l)) < history)
    ++l;
  return static_cast<uint8_t>(l << kHistoryShift);
}
inline constexpr size_t history_of(uint8_t flags) noexcept {
  return size_t{1} << (16 + (flags >> kHistoryShift));
}

struct PacketHeader {
  uint8_t flags = 0;
  uint16_t stream = 0;  // encoder stream: (session epoch << 12) | encoder index
  uint32_t hpos = 0;    // history position (low 32 bits) where the first record's frame starts
  uint8_t records = 0;  // 1..kMaxRecords
  // Fragments (kFlagFragment) only: `hpos` and `stream` are the whole packet's.
  uint8_t fragment = 0, fragments = 0;  // index, count (2..kMaxFragments)
  uint16_t total = 0;                   // the whole packet's length
  // The bytes of the whole packet a fragment carries: [offset, offset + n).
  uint32_t fragment_offset() const noexcept { return fragment * fragment_stride(); }
  uint32_t fragment_stride() const noexcept { return (total + fragments - 1u) / fragments; }
};

// Writes the 16 header bytes (CRC field zero); seal() fills the CRC-32C over
// the whole payload once the packet is complete.
void write_packet_header(uint8_t* p, const PacketHeader& h) noexcept;
// Writes the kFragmentHeaderSize bytes of fragment h.fragment (CRC field zero).
void write_fragment_header(uint8_t* p, const PacketHeader& h) noexcept;
void seal(uint8_t* payload, size_t len) noexcept;

// Stable names: drop reasons (decode_v2_<name>) and docs/wire-format.md.
#define DELTAPLANE_V2_STATUSES(X)                                                           \
  X(ok, "decoded")                                                                          \
  X(truncated, "the packet ends inside a header, record or section")                        \
  X(bad_magic, "not a deltaplane packet")                                                   \
  X(bad_version, "another version of the wire format")                                      \
  X(bad_crc, "the packet's CRC-32C does not verify (corrupted on the WAN)")                 \
  X(bad_flags, "unknown flags or record kind")                                              \
  X(bad_record, "a record's fields are inconsistent (lengths, counts)")                     \
  X(bad_literals, "the literal section does not decode")                                    \
  X(missing_history, "a match copies history this decoder does not hold (loss upstream)")   \
  X(missing_context, "a compressed header names a flow context this decoder does not hold") \
  X(crc_mismatch, "the restored frame fails its CRC-32C")                                   \
  X(history_too_large, "the stream's history is larger than this decoder holds (levels)")   \
  X(stale, "an old packet of a stream: its history was already overwritten")

enum class Status : uint8_t {
#define DELTAPLANE_X(name, help) name,
  DELTAPLANE_V2_STATUSES(DELTAPLANE_X)
#undef DELTAPLANE_X
};
std::string_view status_name(Status s) noexcept;

Status parse_packet_header(std::span<const uint8_t> payload, PacketHeader& h) noexcept;

// Record kind (first byte of a record).
enum class HeaderMode : uint8_t {
  kWhole = 0,       // no header compression: the whole frame is coded
  kNewContext = 1,  // the whole frame is coded and becomes the flow context `ctx`
  kCompressed = 2,  // header from context `ctx` and fields; the payload is coded
};
inline constexpr uint8_t kModeMask = 3;
inline constexpr uint8_t kRecTransient = 4;  // the frame is not added to the history
inline constexpr uint8_t kRecRaw = 8;        // the coded bytes follow raw, no sequences
// A frame too long for one packet even coded goes raw in parts: the head
// record (kRecSplit, the packet's last record) holds its first bytes, each
// next packet starts with a continuation record (kRecContinue: kind, body
// length, bytes), kRecSplit again while more follow.
inline constexpr uint8_t kRecSplit = 16;
inline constexpr uint8_t kRecContinue = 32;
inline constexpr uint8_t kRecKnownBits =
    kModeMask | kRecTransient | kRecRaw | kRecSplit | kRecContinue;
// Bits 6-7 of a mode 1 or 2 record: its context's generation, modulo 4 (a
// context the decoder holds from 4 generations back fails the frame's CRC).
inline constexpr unsigned kRecGenShift = 6;
inline constexpr uint8_t kRecGenMask = 0xc0;

// Unsigned LEB128, at most 5 bytes (values below 2^32).
inline size_t varint_size(uint32_t v) noexcept {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline uint8_t* put_varint(uint8_t* p, uint32_t v) noexcept {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}
// Reads a varint from [p, end); false if truncated or longer than 5 bytes.
inline bool get_varint(const uint8_t*& p, const uint8_t* end, uint32_t& v) noexcept {
  uint32_t x = 0;
  for (unsigned shift = 0; shift < 35; shift += 7) {
    if (p == end) return false;
    const uint8_t b = *p++;
    if (shift == 28 && b > 0x0f) return false;
    x |= static_cast<uint32_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      v = x;
      return true;
    }
  }
  return false;
}

inline void put_be32(uint8_t* p, uint32_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline uint32_t get_be32(const uint8_t* p) noexcept {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline void put_be16(uint8_t* p, uint16_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline uint16_t get_be16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

}  // namespace deltaplane::codec::v2
