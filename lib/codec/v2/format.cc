#include "codec/v2/format.hh"

#include <algorithm>

#include "codec/checksum.hh"

namespace deltaplane::codec::v2 {

std::string_view status_name(Status s) noexcept {
  switch (s) {
#define DELTAPLANE_X(name, help) \
  case Status::name: return #name;
    DELTAPLANE_V2_STATUSES(DELTAPLANE_X)
#undef DELTAPLANE_X
  }
  return "unknown";
}

void write_packet_header(uint8_t* p, const PacketHeader& h) noexcept {
  put_be16(p, kMagic);
  p[2] = kVersion;
  p[3] = h.flags;
  put_be16(p + 4, h.stream);
  put_be32(p + 6, h.hpos);
  p[10] = h.records;
  p[11] = 0;
  put_be32(p + 12, 0);
}

void write_fragment_header(uint8_t* p, const PacketHeader& h) noexcept {
  put_be16(p, kMagic);
  p[2] = kVersion;
  p[3] = kFlagFragment;
  put_be16(p + 4, h.stream);
  put_be32(p + 6, h.hpos);
  p[10] = h.fragment;
  p[11] = h.fragments;
  put_be32(p + 12, 0);
  put_be16(p + 16, h.total);
}

void seal(uint8_t* payload, size_t len) noexcept {
  put_be32(payload + 12, 0);
  put_be32(payload + 12, crc32c(payload, len));
}

Status parse_packet_header(std::span<const uint8_t> in, PacketHeader& h) noexcept {
  if (in.size() < kPacketHeaderSize) return Status::truncated;
  const uint8_t* p = in.data();
  if (get_be16(p) != kMagic) return Status::bad_magic;
  if (p[2] != kVersion) return Status::bad_version;
  // The CRC covers the whole payload with its own field taken as zero: sum
  // the bytes before it, four zeros, then the rest.
  static constexpr uint8_t kZero[4] = {};
  uint32_t crc = crc32c(p, 12);
  crc = crc32c(kZero, 4, crc);
  crc = crc32c(p + 16, in.size() - 16, crc);
  if (crc != get_be32(p + 12)) return Status::bad_crc;
  if ((p[3] & ~kKnownFlags) != 0) return Status::bad_flags;
  h.flags = p[3];
  h.stream = get_be16(p + 4);
  h.hpos = get_be32(p + 6);
  if (h.flags & kFlagFragment) {
    if (h.flags != kFlagFragment) return Status::bad_flags;
    if (in.size() <= kFragmentHeaderSize) return Status::truncated;
    h.records = 0;
    h.fragment = p[10];
    h.fragments = p[11];
    h.total = get_be16(p + 16);
    if (h.fragments < 2 || h.fragment >= h.fragments || h.total < kPacketHeaderSize)
      return Status::bad_record;
    // Every fragment but the last carries `stride` bytes, the last the rest.
    const uint32_t off = h.fragment_offset(), stride = h.fragment_stride();
    if (off >= h.total || in.size() - kFragmentHeaderSize != std::min(stride, h.total - off))
      return Status::bad_record;
    return Status::ok;
  }
  if (p[11] != 0) return Status::bad_flags;
  h.records = p[10];
  if (h.records == 0 || h.records > kMaxRecords) return Status::bad_record;
  return Status::ok;
}

}  // namespace deltaplane::codec::v2
