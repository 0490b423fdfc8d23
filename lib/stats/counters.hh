// Per-lcore counters: written by exactly one lcore, read by the control lcore.
// Relaxed atomic load+store (not fetch_add: there is a single writer) makes the
// reads tear-free and race-free at the cost of a plain add.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "stats/drop_reason.hh"

namespace deltaplane::stats {

class Counter {
 public:
  void add(uint64_t n) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t load() const noexcept { return value_.load(std::memory_order_relaxed); }
  void reset() noexcept { value_.store(0, std::memory_order_relaxed); }  // owner only

 private:
  std::atomic<uint64_t> value_{0};
};
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "Counters rely on lock-free 64-bit atomics so the data path never blocks.");

// Counters of one (RX port/queue -> TX port/queue) stream, on its own cache line.
struct alignas(64) StreamCounters {
  Counter rx_packets;
  Counter rx_bytes;
  Counter tx_packets;
  Counter tx_bytes;
};

// Per-lcore figures besides drops, X(name, help): loop health, --cycles, csum.
#define DELTAPLANE_LCORE_COUNTERS(X)                                             \
  X(polls, "rx_burst calls")                                                     \
  X(empty_polls, "rx_burst calls that returned nothing")                         \
  X(cycles_rx, "--cycles: TSC cycles in RX and admit, non-empty bursts")         \
  X(cycles_engine, "--cycles: TSC cycles in the engine")                         \
  X(cycles_tx, "--cycles: TSC cycles in TX")                                     \
  X(cycles_packets, "--cycles: frames of the measured bursts")                   \
  X(csum_ipv4_checked, "csum: IPv4 header checksums looked at")                  \
  X(csum_ipv4_fixed, "csum: ... rewritten because they were wrong")              \
  X(csum_l4_checked, "csum: TCP/UDP checksums looked at")                        \
  X(csum_l4_fixed, "csum: ... rewritten because they were wrong")                \
  X(csum_offloaded, "csum: frames whose checksums the NIC fills on TX")          \
  X(frames_merged, "codec: frames that went out inside another's tunnel packet") \
  X(frames_split,                                                                \
    "codec: frames sent beyond one per frame received (decoded tunnel packets, split frames)")

// Per-lcore drop counters by reason plus the figures above.
struct alignas(64) LcoreCounters {
  std::array<Counter, kDropReasonCount> drops;
#define DELTAPLANE_X(name, help) Counter name;
  DELTAPLANE_LCORE_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X

  void drop(DropReason r, uint64_t n) noexcept {
    drops[static_cast<size_t>(r)].add(n);
  }
};

// Delta codec counters of one lcore (encode, decode and gateway engines).
#define DELTAPLANE_CODEC_COUNTERS(X)                                                   \
  X(enc_frames, "frames entering the encoder (valid)")                                 \
  X(enc_bytes_in, "original bytes entering the encoder")                               \
  X(enc_bytes_out, "bytes the encoder sent (tunnel packets and bypass)")               \
  X(enc_keyframes, "keyframes sent")                                                   \
  X(enc_deltas, "deltas sent")                                                         \
  X(enc_raw, "frames wrapped unencoded in the tunnel (look like tunnel packets)")      \
  X(enc_bypass, "frames sent as they are (non-IP, too long, delta not smaller)")       \
  X(enc_flows_new, "flows entered in the encoder table")                               \
  X(enc_flow_evictions, "encoder flows evicted to make room")                          \
  X(dec_frames, "frames entering the decoder")                                         \
  X(dec_bytes_in, "bytes entering the decoder")                                        \
  X(dec_bytes_out, "bytes the decoder sent")                                           \
  X(dec_keyframes, "keyframes restored and stored")                                    \
  X(dec_deltas, "deltas restored")                                                     \
  X(dec_raw, "raw tunnel messages unwrapped")                                          \
  X(dec_passthrough, "frames that were not tunnel packets, passed unchanged")          \
  X(dec_flow_evictions, "decoder keyframes evicted to make room")                      \
  X(audit_in, "--audit: frames the encoders sent towards the WAN")                     \
  X(audit_in_digest, "--audit: sum of their digests (codec::frame_digest, mod 2^64)")  \
  X(audit_out, "--audit: frames the decoders sent towards the LAN")                    \
  X(audit_out_digest, "--audit: sum of their digests")                                 \
  X(v2_packets, "v2: tunnel packets the encoder made")                                 \
  X(v2_hdr_compressed, "v2: headers sent as fields against their flow's context")      \
  X(v2_hdr_new_context, "v2: frames sent whole that (re)set their flow's context")     \
  X(v2_hdr_whole, "v2: frames sent whole (no TCP/UDP header to compress)")             \
  X(v2_hdr_bytes_in, "v2: bytes of the compressed headers")                            \
  X(v2_hdr_bytes_out, "v2: bytes of the fields sent for them")                         \
  X(v2_aligned_bytes, "v2: bytes copied from the flow's previous payload (delta)")     \
  X(v2_match_bytes, "v2: bytes copied from content seen before (any flow)")            \
  X(v2_literal_bytes, "v2: bytes sent as literals")                                    \
  X(v2_literal_bytes_out, "v2: what the literals took on the wire (Huffman)")          \
  X(v2_raw_bytes, "v2: bytes sent raw (incompressible flows, split frames)")           \
  X(v2_transient, "v2: frames of flows found incompressible, kept out of the history") \
  X(v2_split, "v2: frames too long for one packet, sent in parts")                     \
  X(v2_huffman_packets, "v2: tunnel packets with Huffman-coded literals")              \
  X(v2_dec_packets, "v2: tunnel packets the decoder accepted")                         \
  X(v2_dec_frames, "v2: frames the decoder restored")                                  \
  X(v2_dec_hole_bytes, "v2: history bytes the decoder never got (loss)")

struct alignas(64) CodecCounters {
#define DELTAPLANE_X(name, help) Counter name;
  DELTAPLANE_CODEC_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
};

}  // namespace deltaplane::stats
