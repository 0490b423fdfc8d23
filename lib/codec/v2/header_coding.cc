#include "codec/v2/header_coding.hh"

#include <cstring>

#include "codec/v2/format.hh"
#include "packet/checksum.hh"

namespace deltaplane::codec::v2 {
namespace {

// Byte 0 of a fields block: which least-significant-bytes fields follow,
// and which lengths and checksums are sent instead of recomputed.
constexpr uint8_t kHasField[kFieldCount] = {1, 2, 4, 8, 16};  // ipid seq ack tsval tsecr
constexpr uint8_t kIpChecksumRaw = 64;
constexpr uint8_t kLengthsRaw = 128;
// Byte 1: the L4 checksum mode and the fields sent whole.
constexpr uint8_t kL4Derived = 0, kL4Zero = 1, kL4Raw = 2, kL4ModeMask = 3;
constexpr uint8_t kTos = 4, kTtl = 8, kIpFlags = 16, kTcpFlags = 32, kWindow16 = 64, kUrgent = 128;

// Offsets of the fields sent whole, 0 when the layout has none.
struct MiscOffsets {
  uint8_t off[6] = {};
  uint8_t len[6] = {};
};
constexpr uint8_t kMiscBits[6] = {kTos, kTtl, kIpFlags, kTcpFlags, kWindow16, kUrgent};

MiscOffsets misc_offsets(const HeaderLayout& l) noexcept {
  MiscOffsets m;
  const uint8_t ip = l.l2_len, l4 = l.l4_off;
  if (l.ip == 4) {
    m.off[0] = static_cast<uint8_t>(ip + 1), m.len[0] = 1;  // TOS
    m.off[1] = static_cast<uint8_t>(ip + 8), m.len[1] = 1;  // TTL
    m.off[2] = static_cast<uint8_t>(ip + 6), m.len[2] = 2;  // flags, fragment offset
  } else {
    // The traffic class straddles bytes 0 and 1: handled apart (tclass_*).
    m.off[1] = static_cast<uint8_t>(ip + 7), m.len[1] = 1;  // hop limit
  }
  if (l.proto == 6) {
    m.off[3] = static_cast<uint8_t>(l4 + 13), m.len[3] = 1;  // flags
    m.off[4] = static_cast<uint8_t>(l4 + 14), m.len[4] = 2;  // window
    m.off[5] = static_cast<uint8_t>(l4 + 18), m.len[5] = 2;  // urgent pointer
  }
  return m;
}

// Offsets of the least-significant-bytes fields (0: absent) and their widths.
void field_offsets(const HeaderLayout& l, uint8_t off[kFieldCount], uint8_t bits[kFieldCount]) {
  std::memset(off, 0, kFieldCount);
  bits[0] = 16;
  bits[1] = bits[2] = bits[3] = bits[4] = 32;
  if (l.ip == 4) off[0] = static_cast<uint8_t>(l.l2_len + 4);
  if (l.proto == 6) {
    off[1] = static_cast<uint8_t>(l.l4_off + 4);
    off[2] = static_cast<uint8_t>(l.l4_off + 8);
    if (l.ts_off) {
      off[3] = l.ts_off;
      off[4] = static_cast<uint8_t>(l.ts_off + 4);
    }
  }
}

uint32_t load_be(const uint8_t* p, unsigned bits) noexcept {
  return bits == 16 ? get_be16(p) : get_be32(p);
}
void store_be(uint8_t* p, unsigned bits, uint32_t v) noexcept {
  if (bits == 16)
    put_be16(p, static_cast<uint16_t>(v));
  else
    put_be32(p, v);
}

// v - r as a signed distance in a field of `bits` bits.
int64_t signed_distance(uint32_t v, uint32_t r, unsigned bits) noexcept {
  const uint64_t m = bits == 32 ? 0xffffffffull : (1ull << bits) - 1;
  const uint64_t d = (uint64_t{v} - r) & m;
  return d >= (m + 1) / 2 ? static_cast<int64_t>(d) - static_cast<int64_t>(m + 1)
                          : static_cast<int64_t>(d);
}

// LEB128 groups needed for the value to decode right against every reference
// of the window: k least significant bits, 2^(k-1) > |v - r| for all r.
unsigned groups_for(uint32_t v, const FieldWindow& w, unsigned field, unsigned bits) noexcept {
  unsigned need = 1;
  for (unsigned i = 0; i < w.count; ++i) {
    const int64_t d = signed_distance(v, w.recent[i].v[field], bits);
    const uint64_t a = static_cast<uint64_t>(d < 0 ? -d : d);
    unsigned k = 1;
    while (k < bits && (1ull << (k - 1)) <= a)
      ++k;
    // A negative distance of exactly -2^(k-1) also fits k bits.
    if (d < 0 && k > 1 && a == (1ull << (k - 2))) --k;
    need = need > k ? need : k;
  }
  const unsigned groups = (need + 6) / 7;
  return groups * 7 >= bits ? (bits + 6) / 7 : groups;
}

// IPv6 traffic class: the low nibble of byte 0 and the high nibble of byte 1.
uint8_t tclass_of(const uint8_t* ip6) noexcept {
  return static_cast<uint8_t>((ip6[0] & 0x0f) << 4 | ip6[1] >> 4);
}
void set_tclass(uint8_t* ip6, uint8_t v) noexcept {
  ip6[0] = static_cast<uint8_t>((ip6[0] & 0xf0) | v >> 4);
  ip6[1] = static_cast<uint8_t>((ip6[1] & 0x0f) | (v & 0x0f) << 4);
}

// A field sent whole (kMiscBits[i]) of header `h`: present when the layout
// has it (the IPv6 traffic class straddles two bytes).
bool has_misc(const MiscOffsets& m, const HeaderLayout& l, unsigned i) noexcept {
  return m.len[i] || (i == 0 && l.ip == 6);
}
uint16_t get_misc(const uint8_t* h, const MiscOffsets& m, const HeaderLayout& l,
                  unsigned i) noexcept {
  if (i == 0 && l.ip == 6) return tclass_of(h + l.l2_len);
  if (!m.len[i]) return 0;
  return m.len[i] == 1 ? h[m.off[i]] : get_be16(h + m.off[i]);
}
void set_misc(uint8_t* h, const MiscOffsets& m, const HeaderLayout& l, unsigned i,
              uint16_t v) noexcept {
  if (i == 0 && l.ip == 6) return set_tclass(h + l.l2_len, static_cast<uint8_t>(v));
  if (m.len[i] == 1)
    h[m.off[i]] = static_cast<uint8_t>(v);
  else if (m.len[i] == 2)
    put_be16(h + m.off[i], v);
}
constexpr uint8_t kMiscLen[6] = {1, 1, 2, 1, 2, 2};  // bytes each takes in a fields block

uint16_t l4_len_of(uint32_t frame_len, const HeaderLayout& l) noexcept {
  return static_cast<uint16_t>(frame_len - l.l4_off);
}

// The TCP/UDP checksum of the header `hdr` (its own checksum field skipped)
// and the payload apart from it, as the decoder derives it; the encoder
// derives only when this equals the frame's own value, byte for byte.
uint16_t derived_l4_checksum(const uint8_t* hdr, const uint8_t* payload, uint32_t payload_len,
                             const HeaderLayout& l) noexcept {
  const uint8_t* ip = hdr + l.l2_len;
  const uint8_t* l4 = hdr + l.l4_off;
  const uint32_t cs = l.proto == 6 ? 16 : 6;
  const uint32_t l4_len = l.hdr_len - l.l4_off + payload_len;
  // Pseudo-header (the IPv4 one's zero, protocol, length words sum the same
  // as the IPv6 one's 32-bit length and next header), the L4 header around
  // its checksum field (even offsets), then the payload.
  const uint8_t len_proto[8] = {static_cast<uint8_t>(l4_len >> 24),
                                static_cast<uint8_t>(l4_len >> 16),
                                static_cast<uint8_t>(l4_len >> 8),
                                static_cast<uint8_t>(l4_len),
                                0,
                                0,
                                0,
                                l.proto};
  uint32_t sum = l.ip == 4 ? packet::raw_sum(ip + 12, 8) : packet::raw_sum(ip + 8, 32);
  sum = packet::raw_sum(len_proto, 8, sum);
  sum = packet::raw_sum(l4, cs, sum);
  sum = packet::raw_sum(l4 + cs + 2, l.hdr_len - l.l4_off - cs - 2, sum);
  sum = packet::raw_sum(payload, payload_len, sum);
  const uint16_t c = static_cast<uint16_t>(~packet::checksum_fold(sum));
  return c == 0 && l.proto == 17 ? 0xffff : c;  // UDP: 0 means "no checksum"
}

// The IPv4 header checksum the decoder derives.
uint16_t derived_ip_checksum(const uint8_t* ip) noexcept {
  uint32_t sum = packet::raw_sum(ip, 10);
  sum = packet::raw_sum(ip + 12, 8, sum);
  return static_cast<uint16_t>(~packet::checksum_fold(sum));
}

}  // namespace

bool layout_of(const uint8_t* f, uint32_t len, const packet::Parsed& p, HeaderLayout& l) noexcept {
  if (p.l3_type == packet::L3Type::kNone ||
      (p.flags & (packet::kFlagFragment | packet::kFlagIpOptions)) != 0)
    return false;
  const uint8_t proto = p.l4_proto();
  if (proto != 6 && proto != 17) return false;
  if (p.payload_off > kMaxHeader || p.payload_off > len || p.l3_end != len) return false;
  l.l2_len = static_cast<uint8_t>(p.l2_len);
  l.l4_off = static_cast<uint8_t>(p.l4_off);
  l.hdr_len = static_cast<uint8_t>(p.payload_off);
  l.ip = p.l3_type == packet::L3Type::kIpv4 ? 4 : 6;
  l.proto = proto;
  l.ts_off = 0;
  if (proto == 6) {  // find the timestamps option (kind 8, length 10)
    for (uint32_t o = l.l4_off + 20u; o < l.hdr_len;) {
      const uint8_t kind = f[o];
      if (kind == 0) break;
      if (kind == 1) {
        ++o;
        continue;
      }
      if (o + 1 >= l.hdr_len || f[o + 1] < 2 || o + f[o + 1] > l.hdr_len) break;
      if (kind == 8 && f[o + 1] == 10) {
        l.ts_off = static_cast<uint8_t>(o + 2);
        break;
      }
      o += f[o + 1];
    }
  }
  return true;
}

Fields read_fields(const uint8_t* hdr, const HeaderLayout& l) noexcept {
  uint8_t off[kFieldCount], bits[kFieldCount];
  field_offsets(l, off, bits);
  Fields f;
  for (unsigned i = 0; i < kFieldCount; ++i)
    f.v[i] = off[i] ? load_be(hdr + off[i], bits[i]) : 0;
  const MiscOffsets m = misc_offsets(l);
  for (unsigned i = 0; i < kMiscCount; ++i)
    f.misc[i] = get_misc(hdr, m, l, i);
  return f;
}

void static_image(const uint8_t* hdr, const HeaderLayout& l, uint8_t* out) noexcept {
  std::memcpy(out, hdr, l.hdr_len);
  uint8_t off[kFieldCount], bits[kFieldCount];
  field_offsets(l, off, bits);
  for (unsigned i = 0; i < kFieldCount; ++i)
    if (off[i]) std::memset(out + off[i], 0, bits[i] / 8);
  const MiscOffsets m = misc_offsets(l);
  for (unsigned i = 0; i < 6; ++i)
    if (m.len[i]) std::memset(out + m.off[i], 0, m.len[i]);
  const uint8_t ip = l.l2_len, l4 = l.l4_off;
  if (l.ip == 4) {
    std::memset(out + ip + 2, 0, 2);   // total length
    std::memset(out + ip + 10, 0, 2);  // header checksum
  } else {
    std::memset(out + ip + 4, 0, 2);  // payload length
    set_tclass(out + ip, 0);
  }
  if (l.proto == 17) std::memset(out + l4 + 4, 0, 2);     // UDP length
  std::memset(out + l4 + (l.proto == 6 ? 16 : 6), 0, 2);  // L4 checksum
}

size_t encode_fields(const uint8_t* f, uint32_t frame_len, const HeaderLayout& l, FieldWindow& w,
                     uint32_t packet, bool derive_l4, uint8_t* out) noexcept {
  uint8_t off[kFieldCount], bits[kFieldCount];
  field_offsets(l, off, bits);
  const Fields now = read_fields(f, l);
  uint8_t b0 = 0, b1 = 0;
  uint8_t* o = out + 2;
  for (unsigned i = 0; i < kFieldCount; ++i) {
    if (!off[i]) continue;
    bool same = true;
    for (unsigned k = 0; k < w.count; ++k)
      same &= w.recent[k].v[i] == now.v[i];
    if (same) continue;
    b0 |= kHasField[i];
    const unsigned g = groups_for(now.v[i], w, i, bits[i]);
    uint32_t lsb = g * 7 >= 32 ? now.v[i] : now.v[i] & ((1u << (g * 7)) - 1);
    for (unsigned k = 0; k < g; ++k, lsb >>= 7)
      *o++ = static_cast<uint8_t>((lsb & 0x7f) | (k + 1 < g ? 0x80 : 0));
  }
  // Fields sent whole when the decoder's reference may differ.
  const uint8_t* ip = f + l.l2_len;
  const uint8_t* l4 = f + l.l4_off;
  for (unsigned i = 0; i < kMiscCount; ++i) {
    bool same = true;
    for (unsigned k = 0; k < w.count; ++k)
      same &= w.recent[k].misc[i] == now.misc[i];
    if (same) continue;
    b1 |= kMiscBits[i];
    if (kMiscLen[i] == 1) {
      *o++ = static_cast<uint8_t>(now.misc[i]);
    } else {
      put_be16(o, now.misc[i]);
      o += 2;
    }
  }
  uint16_t ip_cs;
  std::memcpy(&ip_cs, ip + 10, 2);
  if (l.ip == 4 && derived_ip_checksum(ip) != ip_cs) {
    b0 |= kIpChecksumRaw;
    std::memcpy(o, ip + 10, 2);
    o += 2;
  }
  const uint32_t ip_len = frame_len - l.l2_len;
  const bool lengths_ok =
      (l.ip == 4 ? get_be16(ip + 2) == ip_len : get_be16(ip + 4) == ip_len - 40) &&
      (l.proto != 17 || get_be16(l4 + 4) == frame_len - l.l4_off);
  if (!lengths_ok) {  // Ethernet padding, or lengths that lie: sent (4 bytes, IP then UDP)
    b0 |= kLengthsRaw;
    std::memcpy(o, l.ip == 4 ? ip + 2 : ip + 4, 2);
    if (l.proto == 17)
      std::memcpy(o + 2, l4 + 4, 2);
    else
      o[2] = o[3] = 0;
    o += 4;
  }
  const uint8_t* cs = l4 + (l.proto == 6 ? 16 : 6);
  uint8_t mode = kL4Raw;
  if (l.proto == 17 && cs[0] == 0 && cs[1] == 0 && l.ip == 4) {
    mode = kL4Zero;
  } else if (derive_l4 && lengths_ok) {
    uint16_t now_cs;
    std::memcpy(&now_cs, cs, 2);
    if (derived_l4_checksum(f, f + l.hdr_len, frame_len - l.hdr_len, l) == now_cs)
      mode = kL4Derived;
  }
  b1 |= mode;
  if (mode == kL4Raw) {
    std::memcpy(o, cs, 2);
    o += 2;
  }
  out[0] = b0;
  out[1] = b1;
  w.push(now, packet);
  return static_cast<size_t>(o - out);
}

size_t decode_fields(const uint8_t* p, const uint8_t* end, uint32_t frame_len,
                     const HeaderLayout& l, const uint8_t* ctx, const Fields& ref, Fields& decoded,
                     uint8_t* out, PendingChecksums& pending) noexcept {
  const uint8_t* const start = p;
  decoded = ref;
  if (end - p < 2 || frame_len < l.hdr_len) return 0;
  const uint8_t b0 = *p++, b1 = *p++;
  std::memcpy(out, ctx, l.hdr_len);
  uint8_t off[kFieldCount], bits[kFieldCount];
  field_offsets(l, off, bits);
  for (unsigned i = 0; i < kFieldCount; ++i) {
    if (!(b0 & kHasField[i])) {
      if (off[i]) store_be(out + off[i], bits[i], ref.v[i]);
      continue;
    }
    if (!off[i]) return 0;  // a field this layout does not have
    uint32_t lsb = 0;
    unsigned g = 0;
    for (;; ++g) {
      if (p == end || g == 5) return 0;
      const uint8_t b = *p++;
      lsb |= static_cast<uint32_t>(b & 0x7f) << (7 * g);
      if (!(b & 0x80)) break;
    }
    const unsigned k = (g + 1) * 7 >= bits[i] ? bits[i] : (g + 1) * 7;
    uint32_t v;
    if (k == bits[i]) {
      v = lsb;
    } else {
      // The value with these k low bits nearest the reference.
      const uint32_t span = 1u << k;
      const int64_t d = (static_cast<int64_t>(lsb) - (ref.v[i] & (span - 1)) + span) % span;
      const int64_t sd = d >= span / 2 ? d - span : d;
      v = static_cast<uint32_t>(static_cast<int64_t>(ref.v[i]) + sd);
    }
    if (bits[i] == 16) v &= 0xffff;
    decoded.v[i] = v;
    store_be(out + off[i], bits[i], v);
  }
  const MiscOffsets m = misc_offsets(l);
  uint8_t* ip = out + l.l2_len;
  uint8_t* l4 = out + l.l4_off;
  for (unsigned i = 0; i < kMiscCount; ++i) {
    if (b1 & kMiscBits[i]) {
      if (!has_misc(m, l, i) || end - p < kMiscLen[i]) return 0;
      decoded.misc[i] = kMiscLen[i] == 1 ? *p : get_be16(p);
      p += kMiscLen[i];
    }
    if (has_misc(m, l, i)) set_misc(out, m, l, i, decoded.misc[i]);
  }
  pending = {};
  if (b0 & kIpChecksumRaw) {
    if (l.ip != 4 || end - p < 2) return 0;
    std::memcpy(ip + 10, p, 2);
    p += 2;
  } else {
    pending.ip_derived = l.ip == 4;
  }
  if (b0 & kLengthsRaw) {
    if (end - p < 4) return 0;
    std::memcpy(l.ip == 4 ? ip + 2 : ip + 4, p, 2);
    if (l.proto == 17) std::memcpy(l4 + 4, p + 2, 2);
    p += 4;
  } else {
    const uint32_t ip_len = frame_len - l.l2_len;
    if (l.ip == 4)
      put_be16(ip + 2, static_cast<uint16_t>(ip_len));
    else
      put_be16(ip + 4, static_cast<uint16_t>(ip_len - 40));
    if (l.proto == 17) put_be16(l4 + 4, l4_len_of(frame_len, l));
  }
  uint8_t* cs = l4 + (l.proto == 6 ? 16 : 6);
  switch (b1 & kL4ModeMask) {
    case kL4Derived: pending.l4_derived = true; break;
    case kL4Zero: cs[0] = cs[1] = 0; break;
    case kL4Raw:
      if (end - p < 2) return 0;
      std::memcpy(cs, p, 2);
      p += 2;
      break;
    default: return 0;
  }
  return static_cast<size_t>(p - start);
}

void finish_checksums(uint8_t* hdr, const uint8_t* payload, uint32_t payload_len,
                      const HeaderLayout& l, const PendingChecksums& pending) noexcept {
  uint8_t* ip = hdr + l.l2_len;
  if (pending.ip_derived) {
    const uint16_t c = derived_ip_checksum(ip);
    std::memcpy(ip + 10, &c, 2);
  }
  if (pending.l4_derived) {
    const uint16_t c = derived_l4_checksum(hdr, payload, payload_len, l);
    std::memcpy(hdr + l.l4_off + (l.proto == 6 ? 16 : 6), &c, 2);
  }
}

size_t fields_size(const uint8_t* p, const uint8_t* end) noexcept {
  const uint8_t* const start = p;
  if (end - p < 2) return 0;
  const uint8_t b0 = *p++, b1 = *p++;
  for (unsigned i = 0; i < kFieldCount; ++i) {
    if (!(b0 & kHasField[i])) continue;
    for (unsigned g = 0;; ++g) {
      if (p == end || g == 5) return 0;
      if (!(*p++ & 0x80)) break;
    }
  }
  size_t n = 0;
  for (unsigned i = 0; i < 6; ++i)
    if (b1 & kMiscBits[i]) n += kMiscLen[i];
  if (b0 & kIpChecksumRaw) n += 2;
  if (b0 & kLengthsRaw) n += 4;
  if ((b1 & kL4ModeMask) == kL4Raw) n += 2;
  if ((b1 & kL4ModeMask) == 3 || static_cast<size_t>(end - p) < n) return 0;
  return static_cast<size_t>(p - start) + n;
}

}  // namespace deltaplane::codec::v2
