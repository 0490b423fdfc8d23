#include "codec/wire.hh"

#include <bit>

#include "packet/checksum.hh"

namespace deltaplane::codec {
namespace {

// Header field offsets (docs/wire-format.md).
constexpr std::size_t kOffMagic = 0;
constexpr std::size_t kOffVersion = 2;
constexpr std::size_t kOffType = 3;
constexpr std::size_t kOffFlags = 4;
constexpr std::size_t kOffReserved = 5;
constexpr std::size_t kOffFrameLen = 6;
constexpr std::size_t kOffFlowId = 8;
constexpr std::size_t kOffGeneration = 12;
constexpr std::size_t kOffBodyLen = 16;
constexpr std::size_t kOffChecksum = 18;
constexpr std::size_t kOffFrameCrc = 20;
static_assert(kOffFrameCrc + 4 == kHeaderSize, "The header fields must tile its 24 bytes.");

constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint8_t kIpProtoUdp = 17;

void put16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) noexcept {
  put16(p, static_cast<std::uint16_t>(v >> 16));
  put16(p + 2, static_cast<std::uint16_t>(v));
}
std::uint16_t get16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t get32(const std::uint8_t* p) noexcept {
  return (static_cast<std::uint32_t>(get16(p)) << 16) | get16(p + 2);
}

// The folded ones' complement sum of data as big-endian words, plus acc (a
// big-endian-valued partial sum). packet/checksum.hh sums native-order words;
// by RFC 1071's byte-order independence the two differ by a byte swap.
std::uint32_t sum16(const std::uint8_t* data, std::size_t n, std::uint32_t acc) noexcept {
  auto to_native = [](std::uint16_t v) -> std::uint16_t {
    if constexpr (std::endian::native == std::endian::little)
      return static_cast<std::uint16_t>(v << 8 | v >> 8);
    return v;
  };
  const std::uint16_t init = to_native(packet::checksum_fold(acc));
  return to_native(packet::checksum_fold(packet::raw_sum(data, n, init)));
}

}  // namespace

std::uint16_t internet_checksum(const std::uint8_t* data, std::size_t n,
                                std::uint32_t initial) noexcept {
  return static_cast<std::uint16_t>(~sum16(data, n, initial) & 0xFFFF);
}

std::size_t write_header(std::span<std::uint8_t> out, const Header& h) noexcept {
  if (out.size() < kHeaderSize) return 0;
  std::uint8_t* p = out.data();
  put16(p + kOffMagic, kMagic);
  p[kOffVersion] = kVersion;
  p[kOffType] = static_cast<std::uint8_t>(h.type);
  p[kOffFlags] = 0;
  p[kOffReserved] = 0;
  put16(p + kOffFrameLen, h.frame_len);
  put32(p + kOffFlowId, h.flow_id);
  put32(p + kOffGeneration, h.generation);
  put16(p + kOffBodyLen, h.body_len);
  put16(p + kOffChecksum, 0);
  put32(p + kOffFrameCrc, h.frame_crc);
  put16(p + kOffChecksum, internet_checksum(p, kHeaderSize));
  return kHeaderSize;
}

HeaderStatus parse_header(std::span<const std::uint8_t> msg, Header& h) noexcept {
  if (msg.size() < kHeaderSize) return HeaderStatus::too_short;
  const std::uint8_t* p = msg.data();
  if (get16(p + kOffMagic) != kMagic) return HeaderStatus::bad_magic;
  if (p[kOffVersion] != kVersion) return HeaderStatus::bad_version;
  // A correct checksum makes the one's complement sum of all words 0xFFFF.
  if (sum16(p, kHeaderSize, 0) != 0xFFFF) return HeaderStatus::bad_checksum;
  const std::uint8_t type = p[kOffType];
  if (type > static_cast<std::uint8_t>(MessageType::delta)) return HeaderStatus::bad_type;
  if (p[kOffFlags] != 0) return HeaderStatus::bad_flags;
  h.type = static_cast<MessageType>(type);
  h.frame_len = get16(p + kOffFrameLen);
  h.flow_id = get32(p + kOffFlowId);
  h.generation = get32(p + kOffGeneration);
  h.body_len = get16(p + kOffBodyLen);
  h.frame_crc = get32(p + kOffFrameCrc);
  if (h.body_len != msg.size() - kHeaderSize) return HeaderStatus::bad_length;
  if (h.type != MessageType::delta && h.frame_len != h.body_len) return HeaderStatus::bad_length;
  return HeaderStatus::ok;
}

std::size_t write_outer(std::span<std::uint8_t> out, const TunnelParams& params,
                        std::uint16_t src_port, std::uint16_t ip_id,
                        std::size_t payload_len) noexcept {
  if (out.size() < kOuterSize || payload_len > 0xFFFF - kIpv4Size - kUdpSize) return 0;
  std::uint8_t* eth = out.data();
  for (std::size_t i = 0; i < 6; ++i) {
    eth[i] = params.dst_mac[i];
    eth[6 + i] = params.src_mac[i];
  }
  put16(eth + 12, kEtherTypeIpv4);

  std::uint8_t* ip = eth + kEthSize;
  ip[0] = 0x45;  // version 4, IHL 5 (no options)
  ip[1] = static_cast<std::uint8_t>(params.dscp << 2);
  put16(ip + 2, static_cast<std::uint16_t>(kIpv4Size + kUdpSize + payload_len));
  put16(ip + 4, ip_id);
  put16(ip + 6, params.dont_fragment ? 0x4000 : 0);
  ip[8] = params.ttl;
  ip[9] = kIpProtoUdp;
  put16(ip + 10, 0);
  put32(ip + 12, params.src_ip);
  put32(ip + 16, params.dst_ip);
  put16(ip + 10, internet_checksum(ip, kIpv4Size));

  std::uint8_t* udp = ip + kIpv4Size;
  put16(udp, src_port);
  put16(udp + 2, params.udp_port);
  put16(udp + 4, static_cast<std::uint16_t>(kUdpSize + payload_len));
  put16(udp + 6, 0);
  return kOuterSize;
}

OuterStatus parse_outer(std::span<const std::uint8_t> pkt, std::uint16_t udp_port,
                        OuterInfo& info) noexcept {
  const std::size_t n = pkt.size();
  const std::uint8_t* p = pkt.data();
  if (n < kEthSize + kIpv4Size) return OuterStatus::too_short;
  if (get16(p + 12) != kEtherTypeIpv4) return OuterStatus::not_ipv4;

  const std::uint8_t* ip = p + kEthSize;
  const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0F) * 4;
  if ((ip[0] >> 4) != 4 || ihl < kIpv4Size) return OuterStatus::bad_ip_header;
  if (kEthSize + ihl > n) return OuterStatus::too_short;
  const std::size_t total = get16(ip + 2);
  if (total < ihl + kUdpSize) return OuterStatus::bad_ip_header;
  if (kEthSize + total > n) return OuterStatus::too_short;
  if (sum16(ip, ihl, 0) != 0xFFFF) return OuterStatus::bad_ip_checksum;
  if ((get16(ip + 6) & 0x3FFF) != 0) return OuterStatus::fragment;
  if (ip[9] != kIpProtoUdp) return OuterStatus::not_udp;

  const std::uint8_t* udp = ip + ihl;
  const std::size_t udp_len = get16(udp + 4);
  if (udp_len < kUdpSize || udp_len > total - ihl) return OuterStatus::bad_udp_length;
  if (get16(udp + 2) != udp_port) return OuterStatus::wrong_port;
  if (get16(udp + 6) != 0) {
    // Pseudo-header: addresses, protocol, UDP length; then header and payload.
    std::uint32_t acc = sum16(ip + 12, 8, 0);
    acc = sum16(udp + 4, 2, acc + kIpProtoUdp);
    if (sum16(udp, udp_len, acc) != 0xFFFF) return OuterStatus::bad_udp_checksum;
  }
  info.src_ip = get32(ip + 12);
  info.dst_ip = get32(ip + 16);
  info.src_port = get16(udp);
  info.payload_offset = kEthSize + ihl + kUdpSize;
  info.payload_len = udp_len - kUdpSize;
  return OuterStatus::ok;
}

std::string_view to_string(HeaderStatus status) noexcept {
  switch (status) {
    case HeaderStatus::ok: return "ok";
    case HeaderStatus::too_short: return "too_short";
    case HeaderStatus::bad_magic: return "bad_magic";
    case HeaderStatus::bad_version: return "bad_version";
    case HeaderStatus::bad_checksum: return "bad_checksum";
    case HeaderStatus::bad_type: return "bad_type";
    case HeaderStatus::bad_flags: return "bad_flags";
    case HeaderStatus::bad_length: return "bad_length";
  }
  return "unknown";
}

std::string_view to_string(OuterStatus status) noexcept {
  switch (status) {
    case OuterStatus::ok: return "ok";
    case OuterStatus::too_short: return "too_short";
    case OuterStatus::not_ipv4: return "not_ipv4";
    case OuterStatus::bad_ip_header: return "bad_ip_header";
    case OuterStatus::bad_ip_checksum: return "bad_ip_checksum";
    case OuterStatus::fragment: return "fragment";
    case OuterStatus::not_udp: return "not_udp";
    case OuterStatus::bad_udp_length: return "bad_udp_length";
    case OuterStatus::wrong_port: return "wrong_port";
    case OuterStatus::bad_udp_checksum: return "bad_udp_checksum";
  }
  return "unknown";
}

}  // namespace deltaplane::codec
