// The encoder of wire format v2 (docs/wire-format.md): one per encoder lcore
// and peer ("stream"). It packs the frames of one burst into as few tunnel
// packets as the WAN MTU allows (no waiting for more: a burst goes out whole),
// codes each frame's header against its flow's context and its bytes as LZ77
// matches into the stream's history plus literals, Huffman-coded per packet.
//
// Loss tolerance: each frame in the history knows its ancestors, the other
// packets it depends on, directly or through the frames it copies from. A
// frame may copy from another only while its ancestors stay within
// Level::max_ancestors, from at most Level::max_sources frames of other
// packets, and at most Level::max_uses frames may copy from one frame. A
// frame is lost when one of its ancestors is, so a lost packet costs on
// average at most max_ancestors times its own frames in others, and one
// lost frame at most max_uses * (1 + max_uses); the decoder drops those
// (CRC-32C of every frame), never alters them. Frames of one packet copy
// from each other freely: they are lost together. Flows of records, whose
// frames copy their previous payload, keep a shallow reference
// (Level::ref_ancestors): each of their frames depends on one packet.
//
// Pure code on plain buffers: the engines (engines/codec_engines.cc), the
// tests, the fuzz target and the benchmarks all drive this one class.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "codec/v2/format.hh"
#include "codec/v2/header_coding.hh"
#include "codec/v2/history.hh"
#include "codec/v2/huffman.hh"
#include "codec/v2/memory.hh"
#include "packet/parsed.hh"

namespace deltaplane::codec::v2 {

// What a --codec-level sets: how far a packet may reach back and how hard
// the encoder looks (docs/performance.md has bytes against speed per level).
// A default-constructed Level is level 1's; the default level is
// kDefaultLevel (level_params).
inline constexpr uint8_t kNoAncestorLimit = 255;
inline constexpr unsigned kTrackedAncestors = 8;  // max_ancestors above this: no limit

struct Level {
  uint8_t max_ancestors = 2;       // frames of other packets one frame may depend on (see above)
                                   // (kNoAncestorLimit: no limit, loss costs what it costs)
  uint16_t max_uses = 32;          // packets that may copy from one packet
  uint8_t max_sources = 4;         // earlier packets one packet may copy from
  uint32_t history = 1 << 20;      // bytes of history (a power of two)
  uint8_t hash_bits = 16;          // index entries: 2^hash_bits
  uint8_t skip_log = 5;            // literals run faster after 2^skip_log misses
  uint8_t sample_log = 0;          // one position in 2^sample_log is an anchor (indexed, looked up)
  uint8_t min_source_match = 128;  // bytes (or half the frame) a match needs to add a source
  uint8_t context_packets = 2;     // packets a new flow context goes out in before it is used
  uint8_t lazy = 0;                // matches shorter than this try the next position first
  // Shortest match taken from the index unless it is near (its distance
  // codes in the fewest bits); aligned matches take kMinMatch. A far 4-byte
  // match costs about what its literals do once Huffman-coded, and breaks
  // up the scan (docs/performance.md: 5 at levels 1 and 2).
  uint8_t min_match = 5;
  // A flow of records (its last frame took at least a quarter of its bytes
  // from its previous payload at the same offsets) keeps a reference with at
  // most ref_ancestors ancestors, and its frames depend on at most one packet
  // more: at 0, a reference copies no other packet and a record depends on
  // the reference's packet alone. Otherwise records deepen the chain to
  // max_ancestors, and a lost packet costs that many times its frames
  // (measured 5.7x at level 2; docs/performance.md, "Loss").
  // kNoAncestorLimit: no such rule (level 3).
  uint8_t ref_ancestors = 0;
  // Frames mostly equal to their flow's previous payload at the same offsets
  // (records whose fields change in place): bytes where they differ go
  // literal, without an index lookup each, when the aligned bytes resume
  // within this many (0: off; every byte is looked up, a longer match may
  // lie there).
  uint8_t aligned_gap = 32;
  // Tunnel packets (fragments) one packet of frames may fill: fewer, fuller
  // packets, but a lost or late fragment loses the whole packet. 1 at levels
  // 1 and 2 (measured, docs/performance.md: not worth its loss), 16 at level
  // 3 (loss costs what it costs there); a knob of dp-codec-bench (--span).
  uint8_t span = 1;
};
Level level_params(unsigned level);           // 1 (fast) .. 3 (best); throws std::invalid_argument
inline constexpr unsigned kDefaultLevel = 2;  // fewer bytes than 1, still loss-tolerant
inline constexpr unsigned kMaxLevel = 3;

struct EncoderConfig {
  Level level;
  uint32_t max_payload = 1472;    // tunnel UDP payload bytes: WAN IP MTU - 28
  uint16_t stream = 0;            // (session epoch << 12) | encoder index
  uint32_t first_position = 0;    // where the history's positions start (engines: at random,
                                  // so a restarted encoder is not taken for the old one)
  uint32_t contexts = 16384;      // flow context slots (the caller's flow table capacity)
  uint32_t refresh = 64;          // frames of a flow between whole-frame refreshes of its context
  uint16_t max_burst = 32;        // frames per encode_burst call, at most kMaxBurstFrames
  uint16_t max_packets = 0;       // tunnel packets per burst at most (>= max_burst); 0: no limit
  uint32_t max_frame = kMaxSpan;  // longest frame coded (longer ones are bypassed)
  Memory memory = Memory::heap();
};

inline constexpr uint32_t kNoFlow = 0xffffffff;
inline constexpr uint16_t kMaxBurstFrames = 512;

struct FrameIn {
  const uint8_t* data = nullptr;  // null: not coded, sent as it is (chained mbuf)
  uint32_t len = 0;
  const packet::Parsed* parsed = nullptr;  // the validator's; null: not validated
  uint32_t flow = kNoFlow;                 // the caller's flow slot, < contexts
  bool new_flow = false;                   // the slot was just (re)assigned
  bool must_tunnel = false;  // a decoder would take it for a tunnel packet: never sent as it is
};

// What became of a frame of the burst (Encoder::Burst::fate).
inline constexpr uint8_t kPacked = 0;   // in a tunnel packet
inline constexpr uint8_t kBypass = 1;   // sent as it is
inline constexpr uint8_t kRefused = 2;  // must_tunnel but cannot be carried: the caller drops it

struct EncoderCounters {
  uint64_t frames = 0, bytes_in = 0;    // frames given, and their bytes
  uint64_t packets = 0, bytes_out = 0;  // tunnel payloads made, and their bytes
  uint64_t bypass = 0;                  // frames sent as they are (do not fit the MTU coded)
  uint64_t refused = 0;                 // must_tunnel frames that could not be carried
  uint64_t split = 0;                   // frames sent raw over two packets (too long coded)
  uint64_t fragmented = 0;              // packets of one frame too long for the MTU, in fragments
  uint64_t hdr_compressed = 0, hdr_new_context = 0, hdr_whole = 0;
  uint64_t hdr_bytes_in = 0, hdr_bytes_out = 0;  // compressed headers: theirs, the fields sent
  // The other bytes by path: copied from the flow's previous payload at the
  // same offset (aligned), from elsewhere in the history (match), sent as
  // literals (and what those took once coded), or raw.
  uint64_t aligned_bytes = 0, match_bytes = 0, literal_bytes = 0, literal_bytes_out = 0;
  uint64_t raw_bytes = 0;
  uint64_t transient = 0;  // frames of flows found incompressible, sent raw outside history
  uint64_t huffman_packets = 0;
};

class Encoder {
 public:
  explicit Encoder(const EncoderConfig& c);
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  struct Packet {
    uint32_t offset = 0, len = 0;  // in arena()
    uint16_t first = 0;            // burst index of the frame of its first record
    uint16_t frames = 0;  // frames the decoder restores from it (a split frame: from its last)
  };
  struct Burst {
    const Packet* packets = nullptr;  // in the encoder, valid until the next encode_burst
    uint16_t npackets = 0;
    std::array<uint8_t, kMaxBurstFrames> bypass{};  // the fate of each frame: kPacked, kBypass...
  };

  // Codes a burst (frames.size() <= max_burst). Packets are tunnel UDP
  // payloads in arena(), in order; the frames they restore are those of the
  // burst in order, bypassed ones excluded. A packet's frames are
  // consecutive in the burst: sending packets and bypassed frames in the
  // order of their first frame keeps the burst's order.
  // At most max_packets packets (never more than the config's).
  void encode_burst(std::span<const FrameIn> frames, Burst& out,
                    size_t max_packets = ~size_t{0}) noexcept;
  // Frames of a flow between refreshes of its context (the operator may change it).
  void set_refresh(uint32_t frames) noexcept { cfg_.refresh = frames ? frames : ~uint32_t{0}; }
  const uint8_t* arena() const noexcept { return arena_.data(); }

  const EncoderCounters& counters() const noexcept { return counters_; }
  const EncoderConfig& config() const noexcept { return cfg_; }

 private:
  // The packets (serials) a frame depends on: exact up to
  // kTrackedAncestors, then "many".
  struct Ancestors {
    uint32_t id[kTrackedAncestors];
    uint8_t n = 0;
    bool many = false;
    unsigned size() const noexcept { return many ? 255u : n; }
    bool has(uint32_t x) const noexcept {
      for (uint8_t k = 0; k < n; ++k)
        if (id[k] == x) return true;
      return false;
    }
    void add(uint32_t x) noexcept {
      if (many || has(x)) return;
      if (n == kTrackedAncestors)
        many = true;
      else
        id[n++] = x;
    }
    void merge(const Ancestors& o) noexcept {
      if (o.many) many = true;
      for (uint8_t k = 0; k < o.n; ++k)
        add(o.id[k]);
    }
  };
  // A frame in the history, for the dependency rules.
  struct Region {
    uint64_t start = 0, end = 0;
    uint32_t id = kNoRegion;  // frame serial: the slot is reused as the ring turns
    uint32_t packet = 0;      // serial of the packet that carried it
    Ancestors ancestors;
    uint16_t uses = 0;  // frames of other packets that copy from it
  };
  static constexpr uint32_t kNoRegion = 0xffffffff;
  struct FlowState {
    HeaderLayout layout;
    FieldWindow window;
    uint8_t gen = 0;
    uint8_t has_context = 0;
    uint16_t since_refresh = 0;
    uint64_t image = 0;           // hash of the context header's static image
    uint64_t last_pos = 0;        // history position of the payload of the flow's last frame
    uint32_t last_len = 0;        // its length (0: none in the history)
    uint32_t last_region = 0;     // its region
    uint8_t context_packets = 0;  // packets the context went out in (sent twice: loss)
    Ancestors context_ancestors;  // the first copy's packet and its ancestors: the second
                                  // copy avoids them, so one loss cannot take both
    uint32_t context_packet = 0;  // the last of them
    uint16_t poor = 0;            // frames in a row that coded badly
    uint16_t transient_left = 0;  // frames still sent raw outside the history
    uint16_t backoff = 0;
    bool records = false;  // its last frame came from its reference (Level::ref_ancestors)
  };
  static constexpr unsigned kMaxFrameSources = 16;
  struct IndexEntry {
    uint32_t pos = 0;
    uint32_t region = kNoRegion;
    uint32_t value = 0;  // the 4 bytes at pos: most candidates fail here, no history read
  };
  // The frame being coded: its region and what it copies from.
  struct Current {
    uint32_t region = kNoRegion;
    Ancestors ancestors;
    uint8_t nsources = 0;
    uint32_t sources[kMaxFrameSources];  // regions of other packets
    // The last region the rules were checked for, and the answer: the
    // candidates of a frame often lie in one region, and the answer holds
    // until the frame takes a source (8 regions remembered: no faster).
    uint32_t checked = kNoRegion;
    bool checked_ok = false;
  };
  // The packet being filled.
  struct Open {
    uint32_t offset = 0, size = 0;     // in the arena; size without the literal section
    uint16_t records = 0, frames = 0;  // frames: those it completes
    uint16_t first_index = 0;          // burst index of its first record's frame
    bool split = false;                // holds part of a split frame: never taken back
    bool must_tunnel = false;          // holds a must_tunnel frame: never taken back
    uint64_t hpos = 0;
    uint32_t lit_begin = 0, lit_end = 0;  // its literals in lits_
    uint32_t first_region = 0;            // regions of its frames: first_region.. next_region_
    uint32_t raw_bytes = 0;               // its frames' own lengths
    uint32_t history_bytes = 0;           // of those, the ones added to the history
    uint16_t index[kMaxRecords];          // its frames: burst indexes
    uint32_t flow[kMaxRecords];           // and flow slots
    // Each flow's state before its first frame in the packet: a packet taken
    // back leaves the decoder's contexts as they were, so the flows' do too.
    uint8_t nflows = 0;
    uint32_t flow_slot[kMaxRecords];
    FlowState flow_before[kMaxRecords];
    // The sources its frames took (their uses are given back if it is).
    uint16_t nsources = 0;
    uint32_t sources[kMaxRecords * kMaxFrameSources];
    EncoderCounters counters_before;  // to take the packet back whole
  };

  bool code_frame(const FrameIn& f, uint8_t* rec, size_t cap, size_t& used) noexcept;
  // Where the flow's previous payload lies against the bytes being coded:
  // offsets [from, to) of them align with history position base + offset.
  struct Aligned {
    uint64_t base = 0;
    uint32_t from = 0, to = 0;
    uint32_t region = 0xffffffff;
  };
  // LZ-codes history bytes [pos, pos + n) into sequences at `out` (literals
  // to the packet's literal section); returns the sequences' size, kOverflow,
  // or kNoRoom as soon as sequences and literals (counted raw) pass `budget`:
  // the frame cannot fit the packet, so the rest of it is not worth coding.
  static constexpr size_t kOverflow = ~size_t{0};
  static constexpr size_t kNoRoom = ~size_t{0} - 1;
  size_t code_bytes(uint64_t pos, uint32_t n, const Aligned& prev, uint8_t* out, size_t cap,
                    size_t budget) noexcept;
  // Where the index entry `e` points, if its bytes are still there: history
  // position `pos`, with `max_len` and `floor` bounding a match to the frame
  // (region) holding it. The rules are checked apart (worth), once the
  // match's length is known.
  [[gnu::always_inline]] inline bool locate(const IndexEntry& e, uint64_t cur, uint64_t& pos,
                                            uint32_t& max_len, uint64_t& floor) noexcept;
  // The length of the match of d[0, n) against `from`, in `region`; 0 when
  // it may not be taken: too short to add a source, or against the rules.
  [[gnu::always_inline]] inline uint32_t worth(uint32_t region, const uint8_t* from,
                                               const uint8_t* d, uint32_t n,
                                               uint32_t min_source) noexcept;
  [[gnu::always_inline]] inline bool adds_source(uint32_t region) const noexcept;
  // Whether the frame being coded may take `region` as a source (ancestors,
  // uses, sources).
  bool within_rules(uint32_t region) const noexcept;
  // within_rules, remembered for the last region asked about.
  [[gnu::always_inline]] inline bool allowed(uint32_t region) noexcept {
    if (region != cur_.checked) {
      cur_.checked = region;
      cur_.checked_ok = within_rules(region);
    }
    return cur_.checked_ok;
  }
  // The answers change with the frame's sources (kNoRegion: never allowed).
  void forget_rules() noexcept { cur_.checked = kNoRegion, cur_.checked_ok = false; }
  void emit_literals(const uint8_t* d, uint32_t from, uint32_t to) noexcept;
  void use_source(uint32_t region) noexcept;
  void drop_sources() noexcept;  // takes back the current frame's sources
  void open_packet() noexcept;
  bool add_frame(const FrameIn& f, uint16_t i, size_t limit) noexcept;
  bool fragment_frame(const FrameIn& f, uint16_t index, Burst& out) noexcept;
  bool split_frame(const FrameIn& f, uint16_t index, Burst& out) noexcept;
  void pass_frame(const FrameIn& f, uint16_t index, Burst& out) noexcept;  // bypass or refuse
  // The open packet's literal section: its length so far and header flags.
  size_t finish_packet(uint8_t& flags, size_t& literals_out) noexcept;
  void seal_packet(uint8_t flags, size_t len, size_t literals_out) noexcept;
  void close_packet(Burst& out) noexcept;
  void push_packet(size_t len, Burst& out) noexcept;  // the open packet, sealed, out as it is
  bool close_fragmented(uint16_t index, uint32_t frame_len, Burst& out) noexcept;
  // The open packet, sealed, `len` bytes, out as fragments of the MTU.
  void emit_fragments(size_t len, uint16_t first, Burst& out) noexcept;
  static size_t fragments_of(size_t len, size_t max_payload) noexcept {
    return len <= max_payload ? 1
                              : (len + max_payload - kFragmentHeaderSize - 1) /
                                    (max_payload - kFragmentHeaderSize);
  }
  // Takes the open packet back; `keep_learned`: its flows keep what their
  // frames taught about their payloads (poor coding, transient).
  void unsend_packet(Burst& out, bool keep_learned = true) noexcept;
  [[maybe_unused]] uint32_t hash(uint32_t v) const noexcept {
    return (v * 2654435761u) >> (32 - cfg_.level.hash_bits);
  }

  EncoderConfig cfg_;
  History history_;
  Array<IndexEntry> index_;
  Array<FlowState> flows_;
  Array<Region> regions_;  // ring by frame serial
  uint32_t region_mask_;
  uint32_t next_region_ = 0;
  Current cur_;
  Array<uint8_t> seqs_;  // one frame's sequences
  Array<uint8_t> arena_;
  Array<Packet> packets_;  // one burst's
  size_t max_packets_;
  size_t burst_packets_ = 0;  // this call's limit
  // Bytes the encoder may spend above raw (packets that do not pay but build
  // the history, frames split over packets): 1/128 of what came in, so no
  // traffic costs more than raw + 1%.
  int64_t credit_ = 0;
  Ancestors avoid_;             // packets the frame being coded must not depend on
  uint8_t ancestor_limit_ = 0;  // of the frame being coded: the level's, or less (records)
  Array<uint8_t> lits_;         // the open packet's literals
  Array<uint8_t> frag_;         // a packet being cut into fragments
  uint32_t serial_ = 0;         // of the open packet (packets are numbered from 1)
  Open open_;
  std::array<uint32_t, 256> lit_counts_{};
  EncoderCounters counters_;
};

}  // namespace deltaplane::codec::v2
