// Header compression of wire format v2 (docs/wire-format.md, "Compressed
// headers"): a TCP/UDP over IPv4/IPv6 header is sent as the fields that
// changed against its flow's context, the whole header the decoder keeps.
//
//  - static fields (addresses, ports, MACs, VLAN tags, TCP options other than
//    timestamps) must equal the context's, else the frame sets a new context;
//  - IP id, TCP sequence and acknowledgement, TSval and TSecr are sent as
//    their least significant bytes, as many as make the value unambiguous
//    against every one of the last kWindow values the encoder sent for the
//    flow (W-LSB, RFC 3095): the decoder, whose reference is the last value it
//    decoded, gets it right after up to kWindow - 1 lost frames of the flow;
//  - TOS/traffic class, TTL/hop limit, IPv4 flags, TCP flags, window and
//    urgent pointer are sent whole when they differ from any value of the
//    window (so the decoder's reference has them right);
//  - lengths and checksums are recomputed by the decoder when the frame's own
//    are right, else sent.
// A misdecoded header (the decoder's reference too old) fails the frame's
// CRC-32C: dropped, never altered.
#pragma once

#include <cstddef>
#include <cstdint>

#include "packet/parsed.hh"

namespace deltaplane::codec::v2 {

inline constexpr unsigned kWindow = 4;
inline constexpr size_t kMaxHeader = 128;  // longest header kept as a context
inline constexpr size_t kMaxFieldsBlock = 40;

struct HeaderLayout {
  uint8_t l2_len = 0;   // Ethernet and VLAN tags: the IP header's offset
  uint8_t l4_off = 0;   // the TCP/UDP header's offset
  uint8_t hdr_len = 0;  // the payload's offset
  uint8_t ip = 0;       // 4 or 6
  uint8_t proto = 0;    // 6 or 17
  uint8_t ts_off = 0;   // TCP timestamps option: offset of TSval; 0 when none
};

// Whether the frame's header can be compressed and how it is laid out
// (validated frames only: `p` from the validator).
bool layout_of(const uint8_t* frame, uint32_t len, const packet::Parsed& p,
               HeaderLayout& l) noexcept;

inline constexpr unsigned kFieldCount = 5;
inline constexpr unsigned kMiscCount = 6;
struct Fields {
  uint32_t v[kFieldCount] = {};    // ipid, seq, ack, tsval, tsecr: sent as W-LSB
  uint16_t misc[kMiscCount] = {};  // TOS/traffic class, TTL/hop limit, IPv4 flags+offset,
                                   // TCP flags, window, urgent pointer: sent whole on change
};

Fields read_fields(const uint8_t* hdr, const HeaderLayout& l) noexcept;

// The header with its dynamic fields, lengths and checksums zeroed: two
// headers of one flow context compare equal exactly when only those differ.
void static_image(const uint8_t* hdr, const HeaderLayout& l, uint8_t* out) noexcept;

// The encoder's memory of a flow: the last values it sent (the decoder's
// possible references).
// The decoder's reference is the last frame of the flow it received, so the
// window keeps the last frame of each of the last kWindow packets that
// carried the flow: kWindow - 1 of them may be lost in a row.
struct FieldWindow {
  Fields recent[kWindow];
  uint32_t packet[kWindow];
  uint8_t count = 0, newest = 0;
  void reset(const Fields& f, uint32_t in_packet) noexcept {
    count = 1;
    newest = 0;
    recent[0] = f;
    packet[0] = in_packet;
  }
  void push(const Fields& f, uint32_t in_packet) noexcept {
    if (count == 0 || packet[newest] != in_packet) {
      newest = static_cast<uint8_t>((newest + 1) % kWindow);
      if (count < kWindow) ++count;
    }
    recent[newest] = f;
    packet[newest] = in_packet;
  }
};

// Writes the fields block of `frame` against the window and pushes its
// values into it (`packet`: the tunnel packet it goes in). `derive_l4` asks
// that the L4 checksum be recomputed by the decoder if it is right (costs a
// pass over the payload: the encoder only asks it for short frames). Returns
// the block's size.
size_t encode_fields(const uint8_t* frame, uint32_t frame_len, const HeaderLayout& l,
                     FieldWindow& w, uint32_t packet, bool derive_l4, uint8_t* out) noexcept;

// Rebuilds the header of a frame of `frame_len` bytes into `out` (hdr_len
// bytes) from the context header and the fields block at [p, end), the
// dynamic fields against `ref` (the decoder's last values for the flow);
// `decoded` receives this frame's values. Lengths are written; checksums are
// finished by finish_checksums() once the payload is known. Returns the
// bytes of the block read, 0 if it is malformed.
struct PendingChecksums {
  bool ip_derived = false, l4_derived = false;
};
size_t decode_fields(const uint8_t* p, const uint8_t* end, uint32_t frame_len,
                     const HeaderLayout& l, const uint8_t* ctx_hdr, const Fields& ref,
                     Fields& decoded, uint8_t* out, PendingChecksums& pending) noexcept;
// Fills the checksums decode_fields left pending, the L4 one over the header
// `hdr` and the payload apart from it.
void finish_checksums(uint8_t* hdr, const uint8_t* payload, uint32_t payload_len,
                      const HeaderLayout& l, const PendingChecksums& pending) noexcept;

// The size of the fields block at [p, end) without knowing the layout (the
// decoder skips the records of flows it holds no context for); 0 if malformed.
size_t fields_size(const uint8_t* p, const uint8_t* end) noexcept;

}  // namespace deltaplane::codec::v2
