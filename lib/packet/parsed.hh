// What validation learns about a frame: header offsets for later stages and a
// VLAN-aware 5-tuple flow key with a fast hash for flow tables and affinity.
// Plain data (no padding, no pointers) so it can be compared and hashed as bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace deltaplane::packet {

enum class L3Type : uint8_t { kNone = 0, kIpv4 = 4, kIpv6 = 6 };

// Bits of Parsed::flags.
inline constexpr uint8_t kFlagFragment = 1u << 0;       // any IP fragment (MF set or offset > 0)
inline constexpr uint8_t kFlagLaterFragment = 1u << 1;  // offset > 0: no L4 header in this frame
inline constexpr uint8_t kFlagIpOptions = 1u << 2;      // IPv4 options or IPv6 extension headers
inline constexpr uint8_t kFlagIpv6Routing = 1u << 3;    // IPv6 routing header seen
inline constexpr uint8_t kFlagL4ChecksumChecked = 1u << 4;  // L4 checksum was verified

// VLAN-aware 5-tuple. IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d,
// RFC 4291 2.5.5.2). Ports are host order and 0 when the protocol has none or
// the frame is a fragment (so all fragments of a datagram map to one flow).
struct FlowKey {
  uint8_t src[16];
  uint8_t dst[16];
  uint16_t src_port;
  uint16_t dst_port;
  uint16_t vlan[2];    // VIDs, outermost first; 0 where no tag
  uint8_t ip_version;  // 0 (not IP), 4 or 6
  uint8_t proto;       // IP protocol / last next-header; 0 when not IP
  uint8_t reserved[2];

  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

static_assert(sizeof(FlowKey) == 44, "FlowKey must stay 44 bytes with no implicit padding.");
static_assert(std::has_unique_object_representations_v<FlowKey>,
              "FlowKey is hashed as raw bytes, so it must have no padding bits.");

// Result of a successful validation (verdict kOk). On a drop only the verdict
// is defined; the contents of Parsed are unspecified.
struct Parsed {
  FlowKey key;
  uint32_t l3_end;  // end of the IP datagram (excludes Ethernet padding); frame length if not IP
  uint16_t l2_len;  // Ethernet + VLAN tags; also the L3 offset
  uint16_t l4_off;  // first byte after IP header and extension headers
  uint16_t payload_off;  // first byte after the L4 header (== l4_off if no L4 header parsed)
  uint16_t ethertype;    // innermost EtherType, host order
  L3Type l3_type;
  uint8_t vlan_depth;
  uint8_t flags;  // kFlag*
  uint8_t reserved;

  uint16_t l3_off() const noexcept { return l2_len; }
  uint8_t l4_proto() const noexcept { return key.proto; }

  friend bool operator==(const Parsed&, const Parsed&) = default;
};

static_assert(sizeof(Parsed) == 60, "Parsed must stay 60 bytes (under one cache line).");
static_assert(std::is_trivially_copyable_v<Parsed> && std::is_standard_layout_v<Parsed>,
              "Parsed must be plain data.");
static_assert(std::has_unique_object_representations_v<Parsed>,
              "Parsed is compared as bytes in tests, so it must have no padding bits.");

namespace detail {
__extension__ typedef unsigned __int128 Uint128;  // __extension__: no -Wpedantic warning

inline uint64_t hash_mix(uint64_t a, uint64_t b) noexcept {
  const Uint128 r = static_cast<Uint128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
}  // namespace detail

// Fast, well-mixed 64-bit hash of a FlowKey (wyhash-style multiply-fold, three
// 128-bit multiplies). Not cryptographic: flow tables must bound their buckets.
inline uint64_t flow_hash(const FlowKey& key, uint64_t seed = 0) noexcept {
  uint64_t w[6];
  std::memcpy(w, &key, 40);
  uint32_t tail;
  std::memcpy(&tail, reinterpret_cast<const uint8_t*>(&key) + 40, 4);
  w[5] = tail;
  // Six distinct constants: the multiply is symmetric, so reusing one would let
  // swapped words collide.
  constexpr uint64_t kP0 = 0xa0761d6478bd642full, kP1 = 0xe7037ed1a0b428dbull,
                     kP2 = 0x8ebc6af09c88c6e3ull, kP3 = 0x589965cc75374cc3ull,
                     kP4 = 0x1d8e4e27c47d124full, kP5 = 0x9e3779b97f4a7c15ull;
  const uint64_t h = detail::hash_mix(w[0] ^ kP0 ^ seed, w[1] ^ kP1) ^
                     detail::hash_mix(w[2] ^ kP2, w[3] ^ kP3 ^ seed) ^
                     detail::hash_mix(w[4] ^ kP4, w[5] ^ kP5);
  return detail::hash_mix(h ^ kP4, kP1);
}

}  // namespace deltaplane::packet
