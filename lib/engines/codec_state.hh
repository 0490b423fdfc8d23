// Per-lcore state of the delta codec engines: the encoder's flow table with one
// keyframe per flow, the decoder's keyframe table keyed by (tunnel source,
// flow id), scratch buffers and counters. Created on the control lcore before
// launch (it allocates and may throw); used by one forwarding lcore only.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "codec/wire.hh"
#include "config/app_config.hh"
#include "flow/flow_table.hh"
#include "stats/counters.hh"

#include "codec/v2/decoder.hh"
#include "codec/v2/encoder.hh"

struct rte_mempool;

namespace deltaplane::engines {

// Longest frame kept as a keyframe: a keyframe message must fit one mbuf
// segment, and slots are this size.
inline constexpr uint32_t kKeyframeSlot = 2048;

// Frames a v2 encoder codes per call: a burst is coded in chunks of this many.
inline constexpr uint16_t kV2Chunk = 64;

struct CodecParams {
  codec::TunnelParams tunnel;
  uint32_t mtu = 1500;
  uint32_t max_coded_frame = 0;  // longer frames bypass the codec
  uint32_t keyframe_interval = 64;
  uint64_t keyframe_cycles = 0;      // TSC cycles; 0 = no age limit
  uint64_t flow_timeout_cycles = 0;  // an idle flow this old starts over with a keyframe
  uint32_t lcore_index = 0;          // high bits of the flow ids this lcore assigns
  uint64_t rewritten_flag = 0;       // set on frames rewritten in place (runtime/payload_mark.hh)
  bool audit = false;                // --audit: digest what enters and leaves (codec::frame_digest)
};

struct EncoderFlow {
  uint32_t generation = 0;  // bumped at every keyframe, never reset (slot reuse too)
  uint32_t since_key = 0;   // deltas sent since the keyframe
  uint64_t key_tsc = 0;
  uint16_t key_len = 0;           // 0: no keyframe sent yet
  uint16_t misses = 0;            // deltas in a row that did not pay
  uint16_t miss_limit = 4;        // misses before a refresh keyframe; doubles while refreshes fail
  stats::Counter packets, bytes;  // since the flow took this slot (telemetry top-N)
};

struct DecoderKey {
  uint32_t src_ip;
  uint32_t flow_id;
};
static_assert(sizeof(DecoderKey) == 8, "DecoderKey is hashed as 8 raw bytes.");

struct DecoderFlow {
  uint32_t generation = 0;
  uint16_t key_len = 0;
};

// Fixed-size per-slot storage on the lcore's socket.
template <class T>
class SlotArray {
 public:
  SlotArray(const char* what, size_t n, int socket);  // n value-initialised elements
  ~SlotArray();
  SlotArray(const SlotArray&) = delete;
  SlotArray& operator=(const SlotArray&) = delete;
  T& operator[](uint32_t i) noexcept { return p_[i]; }
  T* data() noexcept { return p_; }
  const T& operator[](uint32_t i) const noexcept { return p_[i]; }

 private:
  size_t n_;
  T* p_;
};

// The hashes of the two tables' keys (FlowTable::HashFn).
uint32_t encoder_key_hash(const void* key, uint32_t len, uint32_t init) noexcept;
uint32_t decoder_key_hash(const void* key, uint32_t len, uint32_t init) noexcept;

struct CodecLcoreState {
  // `pool`: where wire format 2 takes the extra mbufs it needs (frames a
  // tunnel packet expands to, parts of split frames, segments of chained
  // packets).
  // `encode_ports`: the TX ports this lcore encodes towards (wire format 2
  // keeps one encoder stream, with its own history, per port; at most
  // kMaxTxPortsPerLcore).
  CodecLcoreState(const config::AppConfig& cfg, unsigned lcore, uint32_t lcore_index, int socket,
                  bool encoder, bool decoder, rte_mempool* pool,
                  const std::vector<uint16_t>& encode_ports = {0});
  ~CodecLcoreState();

  // Which halves were built (both wire formats encode over enc_table; a
  // wire format 2 decoder keeps no table of its own).
  bool encodes() const noexcept { return enc_table != nullptr; }
  bool decodes() const noexcept { return dec_table != nullptr || v2_decoder != nullptr; }

  CodecParams params;
  stats::CodecCounters counters;
  uint16_t ip_id = 0;
  std::unique_ptr<flow::FlowTable> enc_table;
  std::unique_ptr<SlotArray<EncoderFlow>> enc_flows;
  std::unique_ptr<SlotArray<uint8_t>> enc_keyframes;  // capacity * kKeyframeSlot
  std::unique_ptr<flow::FlowTable> dec_table;
  std::unique_ptr<SlotArray<DecoderFlow>> dec_flows;
  std::unique_ptr<SlotArray<uint8_t>> dec_keyframes;
  alignas(64) uint8_t scratch[kKeyframeSlot + codec::kEncapOverhead + 64];

  // Wire format 2 (--codec 2): the encoders' flow slots come from enc_table;
  // one encoder stream per TX port (a stream's packets must all reach one
  // decoder, in order), one decoder for every peer stream RSS brings here.
  struct V2Stream {
    uint16_t id = 0;  // (session epoch << 12) | (lcore index << 6) | port slot
    std::unique_ptr<codec::v2::Encoder> encoder;
    codec::v2::EncoderCounters last;  // what the lcore's counters already hold
  };
  uint32_t version = 1;
  rte_mempool* pool = nullptr;
  std::array<int8_t, 32> v2_stream_of_port;  // index into v2_streams (at most 64), -1: none
  std::vector<V2Stream> v2_streams;
  std::unique_ptr<codec::v2::Decoder> v2_decoder;
  std::unique_ptr<SlotArray<uint8_t>> v2_linear;  // a chained tunnel packet, made contiguous
  codec::v2::DecoderCounters v2_dec_last;
};

}  // namespace deltaplane::engines
