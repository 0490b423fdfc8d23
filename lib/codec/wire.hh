// The deltaplane tunnel wire format (docs/wire-format.md): an outer
// Ethernet/IPv4/UDP encapsulation and a 24-byte deltaplane header, all in
// network byte order. Builders write into caller buffers; parsers validate
// every field and name each malformed case.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace deltaplane::codec {

// ---- deltaplane header ------------------------------------------------------

inline constexpr std::uint16_t kMagic = 0x4450;  // "DP"
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 24;

enum class MessageType : std::uint8_t {
  raw = 0,       // body is the original frame; the decoder forwards it, stores nothing
  keyframe = 1,  // body is the original frame; the decoder forwards it and stores it
                 // as the flow's reference for `generation`
  delta = 2,     // body is the zero-run coded XOR of the frame with keyframe `generation`
};

struct Header {
  MessageType type = MessageType::raw;
  std::uint16_t frame_len = 0;  // original frame length
  std::uint32_t flow_id = 0;
  std::uint32_t generation = 0;  // keyframe generation the message belongs to
  std::uint16_t body_len = 0;    // bytes after the header
  std::uint32_t frame_crc = 0;   // CRC-32C of the original frame
};

enum class HeaderStatus : std::uint8_t {
  ok,
  too_short,  // fewer than kHeaderSize bytes
  bad_magic,
  bad_version,
  bad_checksum,  // header checksum does not verify
  bad_type,
  bad_flags,   // a flag bit v1 does not define is set
  bad_length,  // body_len is not the bytes that follow, or raw/keyframe with
               // frame_len != body_len
};

[[nodiscard]] std::string_view to_string(HeaderStatus status) noexcept;

// Writes the header (checksum included) to out[0, kHeaderSize); returns
// kHeaderSize, or 0 if out is too small.
std::size_t write_header(std::span<std::uint8_t> out, const Header& header) noexcept;

// Parses the message (header + body, exactly the UDP payload) in `msg`.
[[nodiscard]] HeaderStatus parse_header(std::span<const std::uint8_t> msg, Header& header) noexcept;

// ---- outer Ethernet / IPv4 / UDP --------------------------------------------

// In the dynamic range (49152-65535), which IANA never assigns; configurable.
inline constexpr std::uint16_t kDefaultUdpPort = 56855;  // 0xDE17
inline constexpr std::size_t kEthSize = 14;
inline constexpr std::size_t kIpv4Size = 20;
inline constexpr std::size_t kUdpSize = 8;
inline constexpr std::size_t kOuterSize = kEthSize + kIpv4Size + kUdpSize;  // 42
inline constexpr std::size_t kEncapOverhead = kOuterSize + kHeaderSize;     // 66
// Largest body an IPv4 datagram (total length <= 65535) can carry.
inline constexpr std::size_t kMaxBody = 0xFFFF - kIpv4Size - kUdpSize - kHeaderSize;

using MacAddr = std::array<std::uint8_t, 6>;

// Addresses and options of one tunnel; IPv4 addresses in host byte order.
struct TunnelParams {
  MacAddr src_mac{};
  MacAddr dst_mac{};
  std::uint32_t src_ip = 0;
  std::uint32_t dst_ip = 0;
  std::uint16_t udp_port = kDefaultUdpPort;  // destination port
  std::uint8_t ttl = 64;
  std::uint8_t dscp = 0;
  bool dont_fragment = true;  // the encoder sizes packets to the MTU; never fragment
};

// Bytes on the wire (Ethernet header to the end of the body, no FCS).
[[nodiscard]] constexpr std::size_t encapsulated_size(std::size_t body_len) noexcept {
  return kEncapOverhead + body_len;
}

// Largest body that keeps the outer IPv4 datagram within `ip_mtu` bytes
// (1500 on plain Ethernet gives 1448); 0 if nothing fits.
[[nodiscard]] constexpr std::size_t max_body_len(std::size_t ip_mtu) noexcept {
  constexpr std::size_t kOverhead = kIpv4Size + kUdpSize + kHeaderSize;
  if (ip_mtu <= kOverhead) return 0;
  const std::size_t b = ip_mtu - kOverhead;
  return b < kMaxBody ? b : kMaxBody;
}

// UDP source port from a flow hash, in 49152-65535, so that ECMP and RSS on the
// WAN spread flows while keeping each flow on one path (RFC 7510 style).
[[nodiscard]] constexpr std::uint16_t tunnel_src_port(std::uint32_t flow_hash) noexcept {
  return static_cast<std::uint16_t>(0xC000u | (flow_hash & 0x3FFFu));
}

// Writes Ethernet, IPv4 (checksum computed) and UDP (checksum 0: allowed over
// IPv4 by RFC 768; the frame's CRC-32C protects the payload end to end) for a
// payload of `payload_len` bytes (deltaplane header + body). Returns
// kOuterSize, or 0 if out is too small or the payload cannot fit a datagram.
std::size_t write_outer(std::span<std::uint8_t> out, const TunnelParams& params,
                        std::uint16_t src_port, std::uint16_t ip_id,
                        std::size_t payload_len) noexcept;

struct OuterInfo {
  std::uint32_t src_ip = 0;  // host byte order
  std::uint32_t dst_ip = 0;
  std::uint16_t src_port = 0;
  std::size_t payload_offset = 0;  // of the deltaplane header in the packet
  std::size_t payload_len = 0;     // from the UDP length; Ethernet padding excluded
};

enum class OuterStatus : std::uint8_t {
  ok,
  too_short,      // shorter than the headers it announces
  not_ipv4,       // EtherType is not 0x0800 (VLAN tags are not part of v1)
  bad_ip_header,  // version != 4, IHL < 5, or total length out of range
  bad_ip_checksum,
  fragment,  // MF set or fragment offset != 0: tunnel packets are never fragmented
  not_udp,
  bad_udp_length,
  wrong_port,        // UDP destination port is not the tunnel's
  bad_udp_checksum,  // non-zero UDP checksum that does not verify
};

[[nodiscard]] std::string_view to_string(OuterStatus status) noexcept;

// Validates the outer headers of `pkt` (a whole Ethernet frame, maybe padded)
// for destination port `udp_port` and locates the payload.
[[nodiscard]] OuterStatus parse_outer(std::span<const std::uint8_t> pkt, std::uint16_t udp_port,
                                      OuterInfo& info) noexcept;

// RFC 1071 Internet checksum of data (folded, complemented).
[[nodiscard]] std::uint16_t internet_checksum(const std::uint8_t* data, std::size_t n,
                                              std::uint32_t initial = 0) noexcept;

}  // namespace deltaplane::codec
