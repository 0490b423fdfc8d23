// AVX2 burst validation, 8 frames per step, branch-free for the common case.
//
// Step 1 (IP): for each frame the 32 bytes at offset 12 (EtherType, the
// 20-byte IPv4 header or the first 28 bytes of the IPv6 header) are loaded and
// transposed into 8 columns of 32-bit words, one lane per frame. Vector
// compares decide for all 8 frames at once "clean untagged IPv4: IHL 5, not
// fragmented, TTL > 0, TCP/UDP, total length in range, header checksum folds
// to 0xffff" or "clean untagged IPv6 with TCP/UDP next and payload in range".
// Step 2 (L4): the first 16 L4 bytes of those frames (offset 34 or 54) are
// loaded and transposed the same way; TCP data offset and UDP length are
// checked with vector compares, and the Parsed fields (ports, offsets, lengths)
// are computed in vector registers.
// Step 3: every lane's Parsed is written with two 32-byte stores (the
// address words, and the rest transposed back from the columns), with no
// per-frame branch: IPv4/IPv6 differences are blends;
// every other frame (VLAN, options, fragments, ICMP, anything invalid) goes to
// the scalar validate_general, so the verdict is the reference's by
// construction.
//
// Compiled with -mavx2; only reached through the dispatcher after a CPU check.
#include <immintrin.h>

#include <cstddef>
#include <cstring>

#include "packet/detail/fast_path.hh"
#include "packet/detail/kernels.hh"

namespace deltaplane::packet::detail {
namespace {

constexpr int kLanes = 8;
constexpr uint32_t kRowOffset = 12;  // EtherType
constexpr uint32_t kRowMinLen = kRowOffset + 32;
constexpr uint32_t kL4Row = 16;  // bytes of L4 header loaded per frame
// IPv4 fast lanes also load 32 bytes at the IP source address (offset 22), as
// IPv6 lanes do, so the write-out needs no branch on the IP version.
constexpr uint32_t kIpv4MinFastLen = 54;

static_assert(offsetof(Parsed, key) == 0 && offsetof(FlowKey, src_port) == 32 &&
                  offsetof(FlowKey, ip_version) == 40 && offsetof(Parsed, l3_end) == 44 &&
                  offsetof(Parsed, l2_len) == 48 && offsetof(Parsed, l4_off) == 50 &&
                  offsetof(Parsed, payload_off) == 52 && offsetof(Parsed, ethertype) == 54 &&
                  offsetof(Parsed, l3_type) == 56 && offsetof(Parsed, flags) == 58,
              "The AVX2 path writes Parsed as raw words; its layout must match these offsets.");

inline __m256i set1(uint32_t v) noexcept {
  return _mm256_set1_epi32(static_cast<int>(v));
}

// 8x8 transpose of 32-bit words: rows r[k] (frame k) -> columns c[j] (word j).
inline void transpose8(const __m256i r[8], __m256i c[8]) noexcept {
  const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  const __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  const __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  const __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
  const __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
  const __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
  const __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
  c[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  c[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  c[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  c[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  c[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  c[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  c[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  c[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

// Transpose of 8 rows of 4 words (16 bytes each): r[k] holds frame k in its
// low half and frame k + 4 in its high half; c[j] gets word j of frames 0..7.
inline void transpose8x4(const __m256i r[4], __m256i c[4]) noexcept {
  const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  c[0] = _mm256_unpacklo_epi64(t0, t2);
  c[1] = _mm256_unpackhi_epi64(t0, t2);
  c[2] = _mm256_unpacklo_epi64(t1, t3);
  c[3] = _mm256_unpackhi_epi64(t1, t3);
}

inline __m256i lo16(__m256i v) noexcept {
  return _mm256_and_si256(v, set1(0xffff));
}
inline __m256i hi16(__m256i v) noexcept {
  return _mm256_srli_epi32(v, 16);
}
// Byte-swap the low 16 bits of each lane (a big-endian field) into a number.
inline __m256i be16_lo(__m256i v) noexcept {
  return _mm256_or_si256(_mm256_slli_epi32(_mm256_and_si256(v, set1(0xff)), 8),
                         _mm256_and_si256(_mm256_srli_epi32(v, 8), set1(0xff)));
}
inline __m256i ge(__m256i a, uint32_t b) noexcept {  // a >= b, signed lanes
  return _mm256_cmpgt_epi32(a, set1(b - 1));
}
inline __m256i le(__m256i a, __m256i b) noexcept {  // a <= b, signed lanes
  return _mm256_xor_si256(_mm256_cmpgt_epi32(a, b), set1(~0u));
}
// Lane k of v broadcast to all lanes (k is a constant after unrolling).
inline __m256i lane(__m256i v, int k) noexcept {
  return _mm256_permutevar8x32_epi32(v, _mm256_set1_epi32(k));
}
inline unsigned lane_mask(__m256i m) noexcept {
  return static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(m)));
}

// L4 checksum of a lane that passed every other check: 0 = bad (the general
// path will say l4_bad_checksum), 1 = verified, 2 = UDP over IPv4 without one.
inline int l4_checksum_state(const uint8_t* d, bool ipv6) noexcept {
  const uint8_t* ip = d + kEthHeaderLen;
  const uint8_t proto = ipv6 ? ip[6] : ip[9];
  const uint8_t* l4 = d + (ipv6 ? kIpv6L4Off : kIpv4L4Off);
  uint32_t covered = ipv6 ? load_be16(ip + 4) : load_be16(ip + 2) - kIpv4MinHeaderLen;
  if (proto == kProtoUdp) {
    if (load_u16(l4 + 6) == 0) return ipv6 ? 0 : 2;
    covered = load_be16(l4 + 4);
  }
  const uint32_t pseudo =
      ipv6 ? ipv6_pseudo_sum(ip, proto, covered) : ipv4_pseudo_sum(ip, proto, covered);
  const uint32_t sum = covered < 256 ? raw_sum_scalar(l4, covered, pseudo)  // AVX2 pays above
                                     : raw_sum_avx2(l4, covered, pseudo);
  return checksum_fold(sum) == 0xffff ? 1 : 0;
}

// kParsed = false: verdicts only (the validate engine); steps 3's transposes,
// address loads and stores are skipped.
template <bool kParsed>
void validate_burst_avx2_impl(const uint8_t* const* data, const uint32_t* len, uint16_t n,
                              const Options& opt, Verdict* out_verdicts,
                              Parsed* out_parsed) noexcept {
  const int count = n;
  Parsed scratch;
  auto parsed_at = [&](int p) noexcept { return kParsed ? &out_parsed[p] : &scratch; };
  const __m256i zero = _mm256_setzero_si256();
  const __m256i ttl_check = opt.drop_ttl_zero ? set1(~0u) : zero;
  const __m256i csum_check = opt.verify_ipv4_checksum ? set1(~0u) : zero;
  for (int i = 0; i < count && i < kLanes; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(data[i]), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(data[i]) + 64, _MM_HINT_T0);
  }

  int i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    const int pf_end = i + 2 * kLanes < count ? i + 2 * kLanes : count;
    for (int j = i + kLanes; j < pf_end; ++j) {
      // Both lines: an IPv6 frame's L4 header (offset 54..69) straddles the first.
      _mm_prefetch(reinterpret_cast<const char*>(data[j]), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(data[j]) + 64, _MM_HINT_T0);
    }

    // ---- Step 1: Ethernet + IP header of 8 frames.
    // Masked loads: a frame too short for the row reads zeros (which match
    // neither pattern below) without a branch and without touching memory
    // past its end.
    const __m256i lens = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(len + i));
    const __m256i row_ok = ge(lens, kRowMinLen);
    // Plain loads when every frame is long enough (the usual case: one
    // predictable branch per block instead of a mask permute per frame).
    const unsigned long_rows = lane_mask(row_ok);
    __m256i rows[kLanes], c[kLanes];
    if (long_rows == 0xffu) [[likely]] {
      for (int k = 0; k < kLanes; ++k)
        rows[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data[i + k] + kRowOffset));
    } else {
      for (int k = 0; k < kLanes; ++k) {
        rows[k] = _mm256_maskload_epi32(reinterpret_cast<const int*>(data[i + k] + kRowOffset),
                                        lane(row_ok, k));
      }
    }
    transpose8(rows, c);

    // IPv4. Lanes are little-endian loads of bytes 12..15, 16..19, ...
    // c0: EtherType, version/IHL, TOS; c1: total length, id; c2: flags/offset,
    // TTL, protocol; c3..c5: checksum, addresses.
    const __m256i is_v4 = _mm256_cmpeq_epi32(_mm256_and_si256(c[0], set1(0x00ffffff)),
                                             set1(0x00450008));  // 08 00 45
    const __m256i total = be16_lo(c[1]);
    // 20 <= total <= len - 14; the whole 16-byte L4 row must be in the frame.
    // Signed compares: a huge len fails and goes the general way.
    const __m256i total_ok =
        _mm256_and_si256(_mm256_and_si256(ge(total, 20), ge(lens, kIpv4MinFastLen)),
                         le(total, _mm256_sub_epi32(lens, set1(kEthHeaderLen))));
    const __m256i unfragmented =
        _mm256_cmpeq_epi32(_mm256_and_si256(c[2], set1(0xffbf)), zero);  // only DF may be set
    const __m256i ttl_bad = _mm256_and_si256(
        _mm256_cmpeq_epi32(_mm256_and_si256(c[2], set1(0x00ff0000)), zero), ttl_check);
    const __m256i proto4 = _mm256_srli_epi32(c[2], 24);
    const __m256i tcp_udp4 = _mm256_or_si256(_mm256_cmpeq_epi32(proto4, set1(kProtoTcp)),
                                             _mm256_cmpeq_epi32(proto4, set1(kProtoUdp)));
    // Header checksum of the 8 headers in parallel: ten 16-bit words each.
    __m256i sum = _mm256_add_epi32(hi16(c[0]), lo16(c[5]));
    sum = _mm256_add_epi32(sum, _mm256_add_epi32(lo16(c[1]), hi16(c[1])));
    sum = _mm256_add_epi32(sum, _mm256_add_epi32(lo16(c[2]), hi16(c[2])));
    sum = _mm256_add_epi32(sum, _mm256_add_epi32(lo16(c[3]), hi16(c[3])));
    sum = _mm256_add_epi32(sum, _mm256_add_epi32(lo16(c[4]), hi16(c[4])));
    sum = _mm256_add_epi32(lo16(sum), hi16(sum));
    sum = _mm256_add_epi32(lo16(sum), hi16(sum));
    const __m256i csum_bad = _mm256_andnot_si256(_mm256_cmpeq_epi32(sum, set1(0xffff)), csum_check);
    const __m256i ok4 =
        _mm256_andnot_si256(_mm256_or_si256(ttl_bad, csum_bad),
                            _mm256_and_si256(_mm256_and_si256(is_v4, total_ok),
                                             _mm256_and_si256(unfragmented, tcp_udp4)));

    // IPv6: c0 EtherType + version nibble, c1 high half payload length, c2
    // low byte next header.
    const __m256i is_v6 = _mm256_cmpeq_epi32(_mm256_and_si256(c[0], set1(0x00f0ffff)),
                                             set1(0x0060dd86));  // 86 dd 6x
    const __m256i payload = be16_lo(hi16(c[1]));
    // 54 + 8: a UDP header. The L4 row below is loaded word by word as far as
    // the frame goes, so a minimum-size IPv6/UDP frame (62 bytes) stays fast;
    // a TCP header needs 20 bytes, which the L4 step checks.
    const __m256i payload_ok =
        _mm256_and_si256(le(payload, _mm256_sub_epi32(lens, set1(kIpv6L4Off))),
                         ge(lens, kIpv6L4Off + kUdpHeaderLen));
    const __m256i nh = _mm256_and_si256(c[2], set1(0xff));
    const __m256i tcp_udp6 = _mm256_or_si256(_mm256_cmpeq_epi32(nh, set1(kProtoTcp)),
                                             _mm256_cmpeq_epi32(nh, set1(kProtoUdp)));
    const __m256i ok6 = _mm256_and_si256(_mm256_and_si256(is_v6, payload_ok), tcp_udp6);

    const __m256i ip_ok_v = _mm256_or_si256(ok4, ok6);
    const unsigned ip_ok = lane_mask(ip_ok_v);
    const unsigned v6_lanes = lane_mask(ok6);

    // ---- Step 2: first 16 bytes of the L4 header (offset 34 for IPv4, 54 for
    // IPv6). The offset comes from the EtherType's first byte alone, not from
    // the full step-1 verdict, to keep the dependency chain short; lanes that
    // step 1 rejects ignore what was loaded. Masked loads again keep short
    // frames in bounds.
    const __m256i is86 = _mm256_cmpeq_epi32(_mm256_and_si256(c[0], set1(0xff)), set1(0x86));
    const unsigned v6_guess = lane_mask(is86);
    // Bytes of the frame from the guessed L4 offset on (signed: may be < 0).
    const __m256i l4_avail =
        _mm256_sub_epi32(lens, _mm256_blendv_epi8(set1(kIpv4L4Off), set1(kIpv6L4Off), is86));
    const unsigned long_l4 = lane_mask(ge(l4_avail, kL4Row));
    __m256i l4rows[4], w[4];
    if (long_l4 == 0xffu) [[likely]] {
      for (int k = 0; k < 4; ++k) {
        const int h = k + 4;
        const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(
            data[i + k] + kIpv4L4Off + 20 * ((v6_guess >> k) & 1u)));
        const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(
            data[i + h] + kIpv4L4Off + 20 * ((v6_guess >> h) & 1u)));
        l4rows[k] = _mm256_set_m128i(hi, lo);
      }
    } else {
      // Each 4-byte word only if it lies inside the frame.
      const __m256i word_end = _mm256_setr_epi32(3, 7, 11, 15, 3, 7, 11, 15);
      for (int k = 0; k < 4; ++k) {
        const int h = k + 4;
        const __m128i lo = _mm_maskload_epi32(
            reinterpret_cast<const int*>(data[i + k] + kIpv4L4Off + 20 * ((v6_guess >> k) & 1u)),
            _mm256_castsi256_si128(_mm256_cmpgt_epi32(lane(l4_avail, k), word_end)));
        const __m128i hi = _mm_maskload_epi32(
            reinterpret_cast<const int*>(data[i + h] + kIpv4L4Off + 20 * ((v6_guess >> h) & 1u)),
            _mm256_castsi256_si128(_mm256_cmpgt_epi32(lane(l4_avail, h), word_end)));
        l4rows[k] = _mm256_set_m128i(hi, lo);
      }
    }
    transpose8x4(l4rows, w);  // w0 ports, w1 UDP length+checksum, w3 TCP data offset

    const __m256i proto = _mm256_blendv_epi8(nh, proto4, ok4);
    const __m256i rem = _mm256_blendv_epi8(payload, _mm256_sub_epi32(total, set1(20)), ok4);
    const __m256i is_tcp = _mm256_cmpeq_epi32(proto, set1(kProtoTcp));
    const __m256i doff = _mm256_and_si256(_mm256_srli_epi32(w[3], 2), set1(0x3c));  // in bytes
    const __m256i udp_len = be16_lo(w[1]);
    const __m256i tcp_ok = _mm256_and_si256(
        _mm256_and_si256(ge(rem, kTcpMinHeaderLen), ge(doff, kTcpMinHeaderLen)), le(doff, rem));
    const __m256i udp_ok = _mm256_and_si256(
        _mm256_and_si256(ge(rem, kUdpHeaderLen), ge(udp_len, kUdpHeaderLen)), le(udp_len, rem));
    const __m256i l4_ok = _mm256_blendv_epi8(udp_ok, tcp_ok, is_tcp);
    unsigned fast = ip_ok & lane_mask(l4_ok);

    if constexpr (kParsed) {
      // Parsed bytes 28..59 of each frame as 8 columns (one per 32-bit word),
      // transposed into one 32-byte row per frame. Word 0 (bytes 28..31, the end
      // of the destination address) is a placeholder: the address store below
      // overwrites it.
      const __m256i l4_off = _mm256_blendv_epi8(set1(kIpv6L4Off), set1(kIpv4L4Off), ok4);
      const __m256i header_len = _mm256_blendv_epi8(set1(kUdpHeaderLen), doff, is_tcp);
      const __m256i swap16 = _mm256_setr_epi8(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14,
                                              1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
      __m256i type = _mm256_blendv_epi8(set1(6), set1(4), ok4);  // l3_type; vlan_depth 0
      if (opt.verify_l4_checksum) [[unlikely]] {
        unsigned checked = 0;
        for (unsigned m = fast; m != 0; m &= m - 1) {
          const int k = __builtin_ctz(m);
          const int state = l4_checksum_state(data[i + k], (v6_lanes >> k) & 1u);
          if (state == 0) fast &= ~(1u << k);
          if (state == 1) checked |= 1u << k;
        }
        const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
        const __m256i is_checked = _mm256_cmpeq_epi32(_mm256_and_si256(set1(checked), bits), bits);
        type = _mm256_or_si256(
            type, _mm256_and_si256(is_checked, set1(uint32_t{kFlagL4ChecksumChecked} << 16)));
      }
      __m256i cols[kLanes] = {
          zero,                                                // bytes 28..31 (placeholder)
          _mm256_shuffle_epi8(w[0], swap16),                   // src_port, dst_port
          zero,                                                // vlan[0], vlan[1]
          _mm256_or_si256(type, _mm256_slli_epi32(proto, 8)),  // ip_version (== l3_type), proto
          _mm256_add_epi32(l4_off, rem),                       // l3_end
          _mm256_or_si256(set1(kEthHeaderLen), _mm256_slli_epi32(l4_off, 16)),  // l2_len, l4_off
          _mm256_or_si256(_mm256_add_epi32(l4_off, header_len),                 // payload_off,
                          _mm256_blendv_epi8(set1(uint32_t{kEtherTypeIpv6} << 16),  // ethertype
                                             set1(uint32_t{kEtherTypeIpv4} << 16), ok4)),
          type,  // l3_type, vlan_depth, flags
      };
      cols[3] = _mm256_and_si256(cols[3], set1(0xffff));  // ip_version and proto only
      __m256i tails[kLanes];
      transpose8(cols, tails);

      // ---- Step 3: write every lane unconditionally (no branch per frame); the
      // frames that did not pass are overwritten by the general path below.
      // Addresses: one 32-byte load at the IPv4/IPv6 source address (offset 22);
      // IPv4 lanes turn words 1 and 2 into ::ffff:src and ::ffff:dst.
      const __m256i v4_pick = _mm256_setr_epi32(0, 0, 0, 1, 0, 0, 0, 2);
      const __m256i v4_keep = _mm256_setr_epi32(0, 0, 0, -1, 0, 0, 0, -1);
      const __m256i v4_prefix = _mm256_setr_epi32(0, 0, static_cast<int>(0xffff0000u), 0, 0, 0,
                                                  static_cast<int>(0xffff0000u), 0);
      // Three variants, chosen once per block: the address load needs 54 bytes
      // (plain load when all frames have them, else masked by the lane's
      // verdict), and a block of one IP version needs no per-lane blend.
      const bool long_addr = lane_mask(ge(lens, kIpv4MinFastLen)) == 0xffu;
      const unsigned v4_lanes = lane_mask(ok4);
      auto addr_row = [&](int k) noexcept {
        const auto* src = data[i + k] + kEthHeaderLen + 8;
        return long_addr
                   ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src))
                   : _mm256_maskload_epi32(reinterpret_cast<const int*>(src), lane(ip_ok_v, k));
      };
      auto mapped = [&](__m256i a6) noexcept {
        return _mm256_or_si256(_mm256_and_si256(_mm256_permutevar8x32_epi32(a6, v4_pick), v4_keep),
                               v4_prefix);
      };
      auto store = [&](int k, __m256i head) noexcept {
        auto* o = reinterpret_cast<uint8_t*>(&out_parsed[i + k]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 28), tails[k]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), head);
      };
      if (v6_lanes == 0) {  // IPv4 (or rejected) only
        for (int k = 0; k < kLanes; ++k)
          store(k, mapped(addr_row(k)));
      } else if (v4_lanes == 0) {  // IPv6 (or rejected) only
        for (int k = 0; k < kLanes; ++k)
          store(k, addr_row(k));
      } else {
        for (int k = 0; k < kLanes; ++k) {
          const __m256i a6 = addr_row(k);
          store(k, _mm256_blendv_epi8(mapped(a6), a6, lane(ok6, k)));
        }
      }
    } else if (opt.verify_l4_checksum) [[unlikely]] {
      for (unsigned m = fast; m != 0; m &= m - 1) {
        const int k = __builtin_ctz(m);
        if (l4_checksum_state(data[i + k], (v6_lanes >> k) & 1u) == 0) fast &= ~(1u << k);
      }
    }
    static_assert(sizeof(Verdict) == 1 && static_cast<int>(Verdict::kOk) == 0,
                  "Eight kOk verdicts are written as one 8-byte zero store.");
    std::memset(out_verdicts + i, 0, kLanes);
    for (unsigned m = ~fast & 0xffu; m != 0; m &= m - 1) {
      const int p = i + __builtin_ctz(m);
      out_verdicts[p] = validate_general(data[p], len[p], opt, parsed_at(p));
    }
  }
  for (; i < count; ++i)
    out_verdicts[i] = validate(data[i], len[i], opt, parsed_at(i));
}

}  // namespace

void validate_burst_avx2(const uint8_t* const* data, const uint32_t* len, uint16_t n,
                         const Options& opt, Verdict* out_verdicts, Parsed* out_parsed) noexcept {
  if (out_parsed)
    validate_burst_avx2_impl<true>(data, len, n, opt, out_verdicts, out_parsed);
  else
    validate_burst_avx2_impl<false>(data, len, n, opt, out_verdicts, nullptr);
}

}  // namespace deltaplane::packet::detail
