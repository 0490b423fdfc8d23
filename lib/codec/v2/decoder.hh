// The decoder of wire format v2 (docs/wire-format.md): one per decoder lcore,
// holding the state of every encoder stream that sends to it (keyed by the
// outer source address and the stream id): the stream's history, mirrored
// byte for byte, its flow contexts, and which of its bytes are right.
// decode() restores the frames of one tunnel packet; a frame whose matches
// reach into a hole, whose context is missing, or whose CRC-32C fails is
// dropped with its reason, never emitted altered, and its bytes become a hole.
//
// Pure code on plain buffers, the one decoder the engines, tests, fuzz target
// and benchmarks run.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "codec/v2/format.hh"
#include "codec/v2/header_coding.hh"
#include "codec/v2/history.hh"
#include "codec/v2/huffman.hh"
#include "codec/v2/memory.hh"
#include "codec/v2/valid_map.hh"

namespace deltaplane::codec::v2 {

struct DecoderConfig {
  size_t history = 1 << 20;   // per stream: the largest history an encoder may use
  uint32_t contexts = 16384;  // flow context slots per stream
  unsigned streams = 4;       // encoder streams held at once (least recently used go)
  Memory memory = Memory::heap();
};

struct DecoderCounters {
  uint64_t packets = 0, frames = 0, bytes_out = 0;
  uint64_t hole_bytes = 0;  // history bytes the decoder never got (loss, failed frames)
  uint64_t streams_evicted = 0;
  uint64_t streams_restarted = 0;    // a known stream id began again elsewhere (encoder restart)
  uint64_t split_incomplete = 0;     // split frames whose continuation never came (loss)
  uint64_t fragments = 0;            // fragments received (kFlagFragment)
  uint64_t fragmented = 0;           // packets put back together from their fragments
  uint64_t fragments_abandoned = 0;  // packets whose fragments never all came (loss)
};

class Decoder {
 public:
  explicit Decoder(const DecoderConfig& c);
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // A restored frame: `hdr_len` header bytes rebuilt from the flow's
  // context (0 when the record carried the whole frame), then `len` bytes.
  // Both stay valid until the next decode().
  struct Frame {
    const uint8_t* hdr = nullptr;
    const uint8_t* data = nullptr;
    uint16_t hdr_len = 0;
    uint32_t len = 0;
    Status status = Status::ok;  // ok: emit it; else dropped, for this reason
    uint32_t size() const noexcept { return hdr_len + len; }
  };
  struct Result {
    Status status = Status::ok;  // of the packet as a whole: not ok, no frame restored
    uint8_t nframes = 0;
    std::array<Frame, kMaxRecords> frames;
  };

  // Restores the frames of one tunnel payload (the UDP payload) sent by `peer`.
  void decode(std::span<const uint8_t> payload, uint32_t peer, Result& r) noexcept;

  const DecoderCounters& counters() const noexcept { return counters_; }

 private:
  struct Context {
    uint32_t epoch = 0;  // held when equal to its stream's epoch (0: never)
    uint8_t gen = 0;
    HeaderLayout layout;
    Fields ref;            // the dynamic fields of the newest frame of the flow received
    uint64_t ref_pos = 0;  // its history position: late (reordered) packets do not update
    uint8_t header[kMaxHeader];
  };
  struct Stream {
    uint32_t peer = 0;
    uint16_t id = 0;
    bool active = false;
    uint64_t last_used = 0;
    History history;
    Array<Context> contexts;
    uint32_t epoch = 1;       // a reset forgets every context at once by moving it on
    ValidMap valid;           // which history bytes are right
    uint64_t floor = 0;       // positions below are not the stream's (before its first packet)
    unsigned far_behind = 0;  // packets in a row from far behind the window
    struct {                  // a split frame whose head arrived, waiting for its continuation
      bool active = false;
      uint64_t start = 0;
      uint32_t len = 0, have = 0, crc = 0;
    } pending;
    // Fragmented packets being put together: two, so the first fragment of
    // the next packet overtaking the last of this one on the WAN costs none.
    struct Reassembly {
      bool active = false;
      uint32_t hpos = 0;
      uint16_t total = 0;
      uint8_t fragments = 0, received = 0;
      uint64_t have[4] = {};  // one bit per fragment index
      uint64_t started = 0;   // the oldest is given up first
    };
    static constexpr unsigned kReassemblies = 2;
    std::array<Reassembly, kReassemblies> reassembly;
    Array<uint8_t> whole;  // their bytes, kMaxFragmented each
    Stream(Memory m, size_t history_size, uint32_t context_slots)
        : history(m, history_size),
          contexts(m, context_slots),
          valid(m, history_size),
          whole(m, kReassemblies * kMaxFragmented) {}
  };
  static constexpr unsigned kRestartAfter = 8;  // far-behind packets in a row: a restart
  Stream& stream_for(uint32_t peer, uint16_t id) noexcept;
  // One part of a split frame at `cur` (advanced): the frame when complete.
  const Frame* split_part(Stream& s, uint8_t kind, const uint8_t* body, uint32_t n, uint32_t len,
                          uint32_t crc, uint64_t& cur) noexcept;
  // A fragment: the whole packet decoded into `r` once every fragment came.
  void fragment(std::span<const uint8_t> payload, const PacketHeader& h, uint32_t peer,
                Result& r) noexcept;
  static void reset(Stream& s) noexcept;  // forgets everything it held
  static void add_hole(Stream& s, uint64_t start, uint64_t end) noexcept;
  static void fill_hole(Stream& s, uint64_t start, uint64_t end) noexcept;
  static bool in_hole(const Stream& s, uint64_t start, uint64_t end) noexcept;

  DecoderConfig cfg_;
  std::vector<std::unique_ptr<Stream>> streams_;  // made at set-up, reused
  Array<uint8_t> lits_;                           // one packet's literals
  Array<uint8_t> scratch_;                        // frames restored outside the history
  Array<uint8_t> headers_;                        // one packet's rebuilt headers, kMaxHeader each
  uint64_t clock_ = 0;
  Frame split_frame_;
  HuffmanDecoder huffman_;
  DecoderCounters counters_;
};

}  // namespace deltaplane::codec::v2
