// Replay: frames through a v2 Encoder, a simulated WAN and a v2 Decoder, off
// the data path (tests, fuzz target, bench/codec). Flows are assigned slots
// the way the engines' flow table does (a bounded table that reuses slots);
// the WAN drops, duplicates, reorders and corrupts tunnel packets from a
// seed. Every frame the decoder emits is checked against the frame the
// encoder was given: `altered` must stay 0 whatever the WAN does.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "codec/v2/decoder.hh"
#include "codec/v2/encoder.hh"

namespace deltaplane::codec::v2 {

// A capture's frames the validator keeps, with what the engines would know.
struct Trace {
  std::vector<std::vector<uint8_t>> frames;
  std::vector<packet::Parsed> parsed;
  uint64_t bytes = 0;
  // Reads a pcap/pcapng file; frames the validator drops are skipped.
  // kAsNetPcap reads every frame as Ethernet whatever the file's link type,
  // as DPDK's net_pcap does; kConvert gives null/loopback, raw IP and Linux
  // cooked frames an Ethernet header and skips other link types. Returns an
  // error message, empty on success.
  enum class Links { kAsNetPcap, kConvert };
  std::string load(const std::string& path, Links links = Links::kAsNetPcap);
  void add(std::span<const uint8_t> frame);  // validates; skipped when dropped
};

// Slots for flows as the engines' bounded table gives them: a new flow takes
// a free slot, or the next one round the clock when all are taken (`fresh`:
// the flow is new to its slot).
class FlowSlots {
 public:
  explicit FlowSlots(uint32_t capacity) : keys_(capacity) {}
  uint32_t slot_of(const packet::FlowKey& k, bool& fresh);

 private:
  struct Hash {
    size_t operator()(const packet::FlowKey& k) const noexcept {
      return static_cast<size_t>(packet::flow_hash(k));
    }
  };
  std::vector<packet::FlowKey> keys_;
  std::unordered_map<packet::FlowKey, uint32_t, Hash> map_;
  uint32_t hand_ = 0;
};

struct Wan {
  double loss = 0, duplicate = 0, reorder = 0, corrupt = 0;  // per tunnel packet
  uint64_t seed = 1;
};

struct ReplayOptions {
  EncoderConfig encoder;
  DecoderConfig decoder;
  uint16_t burst = 32;
  Wan wan;
};

struct ReplayResult {
  uint64_t frames = 0, bytes = 0;  // given to the encoder
  uint64_t packets = 0;            // tunnel packets made
  uint64_t wire_bytes = 0;         // tunnel frames (with outer headers) + bypassed frames
  uint64_t bypassed = 0;           // frames sent as they are
  uint64_t emitted = 0;            // frames the decoder restored intact
  uint64_t altered = 0;            // frames emitted that differ from the original: a bug
  uint64_t lost_on_wire = 0;       // frames inside tunnel packets the WAN dropped or corrupted
  uint64_t dropped[32] = {};       // frames the decoder dropped, by Status
  uint64_t packets_refused = 0;    // whole packets refused (bad_crc, ...)
  uint64_t collateral() const noexcept;  // frames lost beyond those lost on the wire
  EncoderCounters encoder;
  DecoderCounters decoder;
  double encode_ns = 0, decode_ns = 0;  // wall time of all encode_burst / decode calls
};

ReplayResult replay(const Trace& t, const ReplayOptions& o);

}  // namespace deltaplane::codec::v2
