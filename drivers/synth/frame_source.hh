// Builds synthetic frames with real headers: Ethernet, IPv4 or IPv6, TCP or
// UDP, lengths and checksums right (unless the frame is made invalid on
// purpose). Frame k of a queue is a pure function of (spec, queue, k); no
// per-flow state is kept, so millions of flows cost no memory.
//
// Flows are visited round-robin in a seeded permutation, so frame k belongs to
// flow perm(k mod F) and is that flow's (k / F)-th frame: the records payload
// uses that number as its sequence counter and timestamp. The per-frame cost is
// a copy of the payload plus O(1) checksum arithmetic: payload sums come from
// prefix sums over the pools the payloads are copied from.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "packet/validate.hh"
#include "synth/traffic_spec.hh"

namespace deltaplane::drivers::synth {

// Addresses (RFC 2544 / RFC 5180 benchmarking ranges for destinations).
//   IPv4: 10.0.0.0/8 + flow  ->  198.18.0.0/15      IPv6: fd00:dd::flow -> 2001:2::/48
struct FrameInfo {
  uint32_t flow = 0;      // global flow number, 0..flows-1
  uint64_t flow_seq = 0;  // this frame's number within its flow
  uint32_t hash = 0;      // flow hash (given to the app as the RSS hash)
  uint16_t len = 0;
  bool ipv6 = false, tcp = false;
  InvalidKind kind = InvalidKind::kNone;
};

class FrameSource {
 public:
  // queue/nb_queues: flows are split so that queue q owns flows f with f % nb_queues == q.
  FrameSource(const TrafficSpec& spec, uint16_t queue, uint16_t nb_queues);

  // Where the next frame comes from; advancing is division-free.
  struct Cursor {
    uint64_t index = 0;  // frame number on this queue
    uint32_t slot = 0;   // index % local_flows
    uint32_t flow = 0;   // permuted local flow of this slot
    uint64_t round = 0;  // index / local_flows
  };
  Cursor cursor_at(uint64_t index) const noexcept;
  void advance(Cursor& c) const noexcept {
    ++c.index;
    if (++c.slot == local_flows_) {
      c.slot = 0;
      c.flow = 0;
      ++c.round;
    } else {
      c.flow += stride_;
      if (c.flow >= local_flows_) c.flow -= local_flows_;
    }
  }

  // Writes the frame at `c` into buf (at least max_frame() bytes); returns its
  // length. info, when not null, says what was built.
  // head_only (payload=fill only): writes the first head_bytes() and trusts
  // the rest to hold the pattern already (fill_buffer), so a large frame costs
  // what a small one does.
  uint16_t build(const Cursor& c, uint8_t* buf, FrameInfo* info = nullptr,
                 bool head_only = false) const noexcept;
  uint16_t build(uint64_t index, uint8_t* buf, FrameInfo* info = nullptr) const noexcept {
    return build(cursor_at(index), buf, info);
  }

  // The longest header the spec can produce, in whole cache lines: what a
  // head_only build writes. Invalid kinds and header-editing engines (csum,
  // macswap) stay inside the header, so the pattern past it stays intact.
  uint32_t head_bytes() const noexcept { return head_bytes_; }
  // payload=fill: every frame's payload byte at frame offset o is pattern[o]
  // (the same on every queue of a port). Writes the pattern to max_frame()
  // bytes, so that head_only builds into `buf` give whole frames.
  void fill_buffer(uint8_t* buf) const noexcept;
  // Writes the pattern back over buf[from, to), clipped to max_frame() (no
  // frame reaches past it), and returns the bytes written: undoes what an
  // engine that rewrote a frame in place changed past its header lines.
  uint32_t restore_pattern(uint8_t* buf, uint32_t from, uint32_t to) const noexcept {
    if (to > max_frame_) to = max_frame_;
    if (from >= to) return 0;
    std::memcpy(buf + from, pattern_.bytes.data() + from, to - from);
    return to - from;
  }

  uint16_t max_frame() const noexcept { return max_frame_; }
  uint32_t local_flows() const noexcept { return local_flows_; }

  // The verdict the validator gives a frame built with `info` under `opt`.
  static packet::Verdict expected_verdict(const FrameInfo& info,
                                          const packet::Options& opt) noexcept;

 private:
  // A byte pool payloads are copied from, with prefix sums of its native
  // 16-bit words so the sum of any even-offset slice is two lookups.
  struct Pool {
    std::vector<uint8_t> bytes;
    std::vector<uint64_t> prefix;  // prefix[i] = sum of words 0..i-1
    void index();
    uint64_t sum(uint32_t off, uint32_t len) const noexcept;  // off even
  };

  // Copies the payload that starts at frame offset `at` (`copy` of its `len`
  // bytes: fill may stop early) and returns the unfolded sum of all of it.
  uint64_t payload(PayloadModel model, const Cursor& c, uint32_t flow, uint64_t fh, uint64_t h,
                   uint8_t* dst, uint32_t at, uint32_t len, uint32_t copy) const noexcept;
  void build_web_corpus();

  TrafficSpec spec_;
  uint16_t queue_, nb_queues_;
  uint32_t local_flows_;
  uint32_t stride_;  // coprime with local_flows_: the flow permutation
  uint64_t seed_;    // per queue
  uint16_t max_frame_;
  uint32_t head_bytes_;
  uint32_t ipv6_threshold_, tcp_threshold_;  // of 2^16, per flow
  uint32_t invalid_threshold_;               // of 2^24, per frame
  Pool random_;                              // random, repeat
  Pool records_;                             // records, binary: the record repeated
  Pool pattern_;                             // fill: byte o of every frame
  Pool web_;                                 // web: HTTP messages back to back
  std::vector<uint32_t> web_starts_;         // where each message begins (even)
  uint32_t record_len_ = 0;                  // even
  uint32_t span_len_ = 0;                    // leading bytes of a record that change per frame
  uint64_t span_template_sum_ = 0;
};

}  // namespace deltaplane::drivers::synth
