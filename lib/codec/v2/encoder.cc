#include "codec/v2/encoder.hh"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "codec/checksum.hh"
#include "codec/v2/compare.hh"
#include "codec/v2/sequences.hh"

namespace deltaplane::codec::v2 {
namespace {

constexpr size_t kRecordOverhead = 1 + 3 + 4 + 5 + 1 + kMaxFieldsBlock + 5;
// Packet and record headers of a part of a split frame, at most.
constexpr uint32_t kSplitOverhead = 40;
// L4 checksums are recomputed by the decoder up to this payload length (the
// encoder checks them first: one pass over the payload).
constexpr uint32_t kShortPayload = 256;
constexpr int64_t kMaxCredit = 65536;  // the overhead credit saved up, at most
// Distinct values among 256 bytes above which they look random (uniform
// bytes show about 162; text, records and certificates well under 150).
constexpr unsigned kRandomDistinct = 150;
constexpr uint32_t kMinHuffman = 64;
constexpr size_t kLiteralCountSize = 5;  // a packet's literal count: a varint of at most 5 bytes
// Distances whose code takes its fewest bits (sequences.hh: k = 10): a
// match shorter than Level::min_match is still taken this near.
constexpr uint64_t kNearDistance = uint64_t{1} << kDistanceK;
constexpr uint16_t kPoorFrames = 4;  // badly coded frames in a row before a flow goes transient
constexpr uint16_t kFirstBackoff = 16, kMaxBackoff = 1024;

// A frame's record fits in `cap` bytes whatever its coding gives.
constexpr bool fits_even_raw(uint32_t len, size_t cap) noexcept {
  return len + kRecordOverhead + 64 <= cap;
}

inline uint32_t load32(const uint8_t* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline uint64_t load64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Bits set (SWAR: the baseline ISA has no popcnt instruction).
unsigned popcount(uint64_t x) noexcept {
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<unsigned>((x * 0x0101010101010101ull) >> 56);
}

// Distinct byte values among the first 256 of p: random data shows ~160,
// text and structured records far fewer.
unsigned distinct_bytes(const uint8_t* p, uint32_t n) noexcept {
  uint64_t seen[4] = {};
  n = std::min<uint32_t>(n, 256);
  for (uint32_t i = 0; i < n; ++i)
    seen[p[i] >> 6] |= uint64_t{1} << (p[i] & 63);
  return popcount(seen[0]) + popcount(seen[1]) + popcount(seen[2]) + popcount(seen[3]);
}

}  // namespace

Level level_params(unsigned level) {
  Level l;
  switch (level) {
    case 1: return l;
    case 2:  // the default: 5 ancestors measured under 2x collateral at 1% loss
      l.max_ancestors = 5;
      l.max_uses = 256;
      l.max_sources = 8;
      l.min_source_match = 32;
      l.history = 4u << 20;
      l.hash_bits = 18;
      l.skip_log = 6;
      l.lazy = 16;
      l.aligned_gap = 0;
      return l;
    case 3:  // as a stream compressor would: loss costs what it costs
      l.max_ancestors = kNoAncestorLimit;
      l.ref_ancestors = kNoAncestorLimit;
      l.max_uses = 0xffff;
      l.max_sources = 16;
      l.min_source_match = kMinMatch;
      l.min_match = kMinMatch;
      l.context_packets = 1;
      l.history = 16u << 20;
      l.hash_bits = 20;
      l.skip_log = 8;
      l.lazy = 32;
      l.aligned_gap = 0;
      l.span = 16;
      return l;
  }
  throw std::invalid_argument("codec level " + std::to_string(level) + " (expected 1.." +
                              std::to_string(kMaxLevel) + ")");
}

namespace {
// One region per frame of the history: enough for frames of 64 bytes on average.
uint32_t region_ring_size(size_t history) noexcept {
  size_t n = 4096;
  while (n < history / 64)
    n *= 2;
  return static_cast<uint32_t>(n);
}
}  // namespace

Encoder::Encoder(const EncoderConfig& c)
    : cfg_(c),
      history_(c.memory, c.level.history),
      index_(c.memory, size_t{1} << c.level.hash_bits),
      flows_(c.memory, c.contexts),
      regions_(c.memory, region_ring_size(c.level.history)),
      region_mask_(region_ring_size(c.level.history) - 1),
      seqs_(c.memory, kMaxSpan + 64),
      arena_(c.memory, size_t{c.max_burst} * (c.max_frame + c.max_frame / 8 + c.max_payload + 64)),
      packets_(c.memory,
               size_t{c.max_burst} * (c.max_frame / (c.max_payload - kSplitOverhead) + 2)),
      max_packets_(c.max_packets ? std::min<size_t>(c.max_packets, packets_.size())
                                 : packets_.size()),
      lits_(c.memory, c.max_payload + kMaxSpan),
      frag_(c.memory, kMaxFragmented) {
  history_.set_end(c.first_position);
  for (size_t i = 0; i < regions_.size(); ++i)
    regions_[i].id = kNoRegion;
  for (size_t i = 0; i < index_.size(); ++i)
    index_[i].region = kNoRegion;
}

void Encoder::open_packet() noexcept {
  open_.frames = 0;
  open_.records = 0;
  open_.split = false;
  open_.must_tunnel = false;
  open_.size = kPacketHeaderSize;
  open_.hpos = history_.end();
  open_.lit_begin = open_.lit_end = 0;
  open_.first_region = next_region_;
  open_.raw_bytes = open_.history_bytes = 0;
  open_.nflows = 0;
  open_.nsources = 0;
  open_.counters_before = counters_;
  ++serial_;
  lit_counts_.fill(0);
}

inline bool Encoder::locate(const IndexEntry& e, uint64_t cur, uint64_t& pos, uint32_t& max_len,
                            uint64_t& floor) noexcept {
  const uint32_t d = static_cast<uint32_t>(cur) - e.pos;
  if (d == 0 || d > cfg_.level.history - kMaxSpan || d > cur) return false;
  pos = cur - d;
  if (pos < history_.begin()) return false;
  const Region& r = regions_[e.region & region_mask_];
  if (r.id != e.region || pos < r.start || pos >= r.end) return false;  // gone, or stale entry
  max_len = static_cast<uint32_t>(r.end - pos);
  floor = r.start;
  return true;
}

inline uint32_t Encoder::worth(uint32_t region, const uint8_t* from, const uint8_t* d, uint32_t n,
                               uint32_t min_source) noexcept {
  if (ancestor_limit_ == 0 && regions_[region & region_mask_].packet != serial_)
    return 0;  // a frame that may depend on no other packet (a new reference)
  // The first min_source bytes tell whether a match that would add a source
  // is long enough, before the rules (the longer check) are asked.
  const uint32_t head_n = std::min(n, min_source);
  const uint32_t head = match_length(from, d, head_n);
  if (head < min_source && adds_source(region)) return 0;
  if (!allowed(region)) return 0;
  return head < head_n ? head : head + match_length(from + head, d + head, n - head);
}

void Encoder::emit_literals(const uint8_t* d, uint32_t from, uint32_t to) noexcept {
  std::memcpy(lits_.data() + open_.lit_end, d + from, to - from);
  open_.lit_end += to - from;
  for (uint32_t k = from; k < to; ++k)
    ++lit_counts_[d[k]];
}

bool Encoder::within_rules(uint32_t region) const noexcept {
  const Level& lv = cfg_.level;
  const Region& r = regions_[region & region_mask_];
  if (avoid_.n || avoid_.many) [[unlikely]] {
    // Sets too large to know: assume they meet.
    if (avoid_.many || r.ancestors.many || avoid_.has(r.packet)) return false;
    for (uint8_t k = 0; k < r.ancestors.n; ++k)
      if (avoid_.has(r.ancestors.id[k])) return false;
  }
  // The ancestors the frame would have: the size of the union, counted
  // only when the sum could pass the limit ("many" passes any limit).
  const Ancestors& a = cur_.ancestors;
  const unsigned limit = ancestor_limit_;
  if (limit <= kTrackedAncestors && a.n + r.ancestors.n + 1u > limit) {
    if (a.many || r.ancestors.many) return false;
    unsigned n = a.n;
    for (uint8_t k = 0; k < r.ancestors.n; ++k)
      n += !a.has(r.ancestors.id[k]);
    n += r.packet != serial_ && !a.has(r.packet) && !r.ancestors.has(r.packet);
    if (n > limit) return false;
  }
  return r.packet == serial_ || !adds_source(region) ||
         (r.uses < lv.max_uses && cur_.nsources < lv.max_sources &&
          cur_.nsources < std::size(cur_.sources));
}

inline bool Encoder::adds_source(uint32_t region) const noexcept {
  const Region& r = regions_[region & region_mask_];
  return r.packet != serial_ && std::find(cur_.sources, cur_.sources + cur_.nsources, region) ==
                                    cur_.sources + cur_.nsources;
}

void Encoder::use_source(uint32_t region) noexcept {
  forget_rules();
  Region& r = regions_[region & region_mask_];
  cur_.ancestors.merge(r.ancestors);
  if (r.packet == serial_) return;  // lost with this frame anyway
  cur_.ancestors.add(r.packet);
  if (!adds_source(region)) return;
  cur_.sources[cur_.nsources++] = region;
  ++r.uses;
}

void Encoder::drop_sources() noexcept {
  forget_rules();
  for (uint8_t k = 0; k < cur_.nsources; ++k) {
    Region& r = regions_[cur_.sources[k] & region_mask_];
    if (r.id == cur_.sources[k]) --r.uses;
  }
  cur_.nsources = 0;
  cur_.ancestors = Ancestors{};
}

size_t Encoder::code_bytes(uint64_t pos, uint32_t n, const Aligned& prev, uint8_t* out, size_t cap,
                           size_t budget) noexcept {
  const uint8_t* d = history_.at(pos);
  forget_rules();  // what the frame avoids is set per frame
  SequenceWriter seqw(out);
  uint8_t* const end = out + cap;
  uint32_t i = 0, anchor = 0, misses = 0;
  const uint32_t lit_start = open_.lit_end;
  // Bytes spent so far; pending literals count less a slack, as a match
  // may still grow backwards over a few of them.
  auto over_budget = [&]() {
    constexpr uint32_t kBackSlack = 64;
    const uint32_t pending = i - anchor > kBackSlack ? i - anchor - kBackSlack : 0;
    return static_cast<size_t>(seqw.end() - out) + (open_.lit_end - lit_start) + pending > budget;
  };
  const Level& lv = cfg_.level;
  // A match that adds a frame to depend on must be long enough to be worth
  // it: a dependency costs the loss tolerance and the ancestor budget of every
  // frame that copies this one.
  const uint32_t min_source =
      std::max<uint32_t>(kMinMatch, std::min<uint32_t>(lv.min_source_match, n / 2));
  // The flow's previous payload, at the same offsets: checked at every
  // position (sequential memory), once its region passes the rules.
  const uint8_t* aligned = nullptr;
  uint32_t aligned_from = 0, aligned_to = 0;
  bool records = false;
  if (prev.to > prev.from) {
    const uint64_t start = prev.base + prev.from;
    uint64_t p;
    uint32_t max_len;
    uint64_t floor;
    if (start < pos &&
        locate({static_cast<uint32_t>(start), prev.region, 0}, pos, p, max_len, floor) &&
        allowed(prev.region) && pos + n - start <= lv.history - kMaxSpan) {
      aligned = history_.at(start) - prev.from;  // aligned[i] pairs with d[i]
      aligned_from = prev.from;
      aligned_to = std::min(prev.from + max_len, std::min(prev.to, n));
      // Worth depending on if it holds enough of these bytes in all (a
      // record whose counters tick matches in short runs between them).
      const uint32_t span = aligned_to > aligned_from ? aligned_to - aligned_from : 0;
      const uint32_t eq = span ? equal_bytes(aligned + aligned_from, d + aligned_from, span) : 0;
      if (eq < min_source) aligned = nullptr, aligned_to = 0;
      // Mostly equal (records whose fields change in place): the bytes
      // between aligned runs go literal without an index lookup each.
      records = aligned && lv.aligned_gap && eq * 4 >= span * 3;
    }
  }
  // Where the aligned bytes are known not to resume (a gap scan failed).
  uint32_t unaligned_until = 0;
  const uint32_t sample_mask = (1u << lv.sample_log) - 1;
  const unsigned index_shift = 32 - lv.hash_bits;
  // The index entry a few positions ahead is fetched while this one is
  // worked on: the table is larger than the L2 cache, and a miss per byte is
  // what the scan would cost otherwise.
  constexpr uint32_t kAhead = 8;
  while (i + kMinMatch <= n) {
    const uint64_t cur = pos + i;
    const uint32_t v = load32(d + i);
    if (i + kAhead + kMinMatch <= n)
      __builtin_prefetch(&index_[(load32(d + i + kAhead) * 2654435761u) >> index_shift]);
    uint64_t mpos = 0, mfloor = 0;
    uint32_t mlen = 0, mregion = kNoRegion;
    bool from_aligned = false;
    if (i >= aligned_from && i + kMinMatch <= aligned_to && load32(aligned + i) == v) {
      mlen = match_length(aligned + i, d + i, aligned_to - i);
      mpos = prev.base + i;
      mfloor = prev.base + prev.from;
      mregion = prev.region;
      // Checked at the frame's start; sources it took since may leave no
      // room for this one.
      if (adds_source(mregion) && !allowed(mregion)) mlen = 0;
      from_aligned = mlen > 0;
    } else if (records && i >= aligned_from && i >= unaligned_until && i + 8 < aligned_to) {
      // The aligned bytes differ here; where a field changed in place they
      // resume a few bytes on (8 equal bytes: not by chance).
      const uint32_t last = std::min<uint32_t>(i + lv.aligned_gap, aligned_to - 8);
      uint32_t j = i + 1;
      while (j <= last && load64(aligned + j) != load64(d + j))
        ++j;
      if (j <= last) {
        i = j;
        continue;
      }
      unaligned_until = last + 1;
    }
    if (mlen == 0) {
      // Anchors: positions whose 4 bytes hash with low bits zero, chosen by
      // content so the same bytes are anchors wherever they recur. Only
      // anchors are looked up and indexed: a table covers 2^sample_log
      // times more history, at a fraction of the memory traffic.
      const uint32_t hv = v * 2654435761u;
      if (((hv >> 8) & sample_mask) == 0) {
        IndexEntry& e = index_[hv >> index_shift];
        uint32_t max_len;
        if (e.value == v && locate(e, cur, mpos, max_len, mfloor)) {
          mregion = e.region;
          mlen = worth(mregion, history_.at(mpos), d + i, std::min(n - i, max_len), min_source);
          if (mlen < lv.min_match && cur - mpos > kNearDistance) mlen = 0;
        }
        // Frames at the deepest level are never copied from by other
        // packets: indexing them would only push out useful entries.
        if (cur_.ancestors.size() < lv.max_ancestors || lv.max_ancestors > kTrackedAncestors)
          e = {static_cast<uint32_t>(cur), cur_.region, v};
      }
    }
    if (mlen < kMinMatch) {
      i += 1 + (misses++ >> lv.skip_log);
      if ((misses & 63) == 0 && over_budget()) return kNoRoom;
      continue;
    }
    // Lazy: a longer match one byte on is worth a literal (as DEFLATE's
    // higher levels do). The anchor there is looked up and indexed.
    if (!from_aligned && mlen < lv.lazy && i + 1 + kMinMatch <= n) {
      const uint32_t w = load32(d + i + 1), hw = w * 2654435761u;
      if (((hw >> 8) & sample_mask) == 0) {
        IndexEntry& e = index_[hw >> index_shift];
        uint64_t p, fl;
        uint32_t max_len;
        if (e.value == w && locate(e, cur + 1, p, max_len, fl)) {
          const uint32_t len =
              worth(e.region, history_.at(p), d + i + 1, std::min(n - i - 1, max_len), min_source);
          if (len > mlen + 1) {
            ++i;
            mpos = p, mfloor = fl, mlen = len, mregion = e.region;
          }
        }
        if (cur_.ancestors.size() < lv.max_ancestors || lv.max_ancestors > kTrackedAncestors)
          e = {static_cast<uint32_t>(cur + 1), cur_.region, w};
      }
    }
    // Grow the match backwards over pending literals, inside its region.
    while (i > anchor && mpos > mfloor && history_.at(mpos - 1)[0] == d[i - 1]) {
      --i;
      --mpos;
      ++mlen;
    }
    if (seqw.end() + kMaxSequenceSize > end) return kOverflow;
    emit_literals(d, anchor, i);
    seqw.put(i - anchor, mlen, static_cast<uint32_t>(pos + i - mpos));
    use_source(mregion);
    (from_aligned ? counters_.aligned_bytes : counters_.match_bytes) += mlen;
    i += mlen;
    anchor = i;
    misses = 0;
    if (over_budget()) return kNoRoom;
  }
  emit_literals(d, anchor, n);
  return static_cast<size_t>(seqw.finish() - out);
}

bool Encoder::code_frame(const FrameIn& f, uint8_t* rec, size_t cap, size_t& used) noexcept {
  cur_.region = kNoRegion;
  cur_.nsources = 0;
  cur_.ancestors = Ancestors{};
  if (cap < kRecordOverhead + 8) return false;
  const uint32_t lits_at_start = open_.lit_end;
  // Header coding: against the flow's context when the decoder has it.
  HeaderMode mode = HeaderMode::kWhole;
  FlowState* fs = nullptr;
  HeaderLayout layout;
  uint64_t image = 0;
  if (f.parsed && f.flow < cfg_.contexts && layout_of(f.data, f.len, *f.parsed, layout)) {
    fs = &flows_[f.flow];
    if (f.new_flow) {
      fs->has_context = 0;
      fs->last_len = 0;
      fs->records = false;
      fs->poor = fs->transient_left = fs->backoff = 0;
      ++fs->gen;
    }
    // The static image, hashed: a flow's state stays small (a collision,
    // 2^-64, would make the decoder's frame fail its CRC, never alter it).
    uint8_t bytes[kMaxHeader];
    static_image(f.data, layout, bytes);
    image = xxhash64(bytes, layout.hdr_len);
    const bool same = fs->has_context && std::memcmp(&fs->layout, &layout, sizeof layout) == 0 &&
                      fs->image == image;
    if (fs->has_context && !same) {  // the decoder's context no longer applies
      fs->has_context = 0;
      ++fs->gen;
    }
    // A context is used in the packet that set it (lost with it), then once
    // it went out in context_packets packets (one may be lost), until the
    // refresh is due.
    const bool established =
        fs->context_packet == serial_ || fs->context_packets >= cfg_.level.context_packets;
    mode = same && established && fs->since_refresh < cfg_.refresh ? HeaderMode::kCompressed
                                                                   : HeaderMode::kNewContext;
  }
  const bool transient = fs && fs->transient_left > 0;
  const bool compressed = mode == HeaderMode::kCompressed;
  // A second copy of a context depends on nothing the first one does.
  avoid_ = mode == HeaderMode::kNewContext && fs->has_context ? fs->context_ancestors : Ancestors{};
  // A compressed record codes the payload only; the others the whole frame.
  const uint32_t coded_from = compressed ? layout.hdr_len : 0;
  const uint32_t n = f.len - coded_from;
  uint8_t* o = rec;
  uint8_t& kind = *o++;
  kind = static_cast<uint8_t>(mode);
  o = put_varint(o, n);
  put_be32(o, crc32c(f.data, f.len));
  o += 4;
  if (mode != HeaderMode::kWhole) {
    kind |= static_cast<uint8_t>((fs->gen << kRecGenShift) & kRecGenMask);
    o = put_varint(o, f.flow);
  }
  if (compressed) {
    const size_t fields = encode_fields(f.data, f.len, layout, fs->window, serial_,
                                        f.len - layout.hdr_len <= kShortPayload, o);
    o += fields;
    counters_.hdr_bytes_in += layout.hdr_len;
    counters_.hdr_bytes_out += fields;
  }
  const size_t left = cap - static_cast<size_t>(o - rec);
  const uint8_t* bytes = f.data + coded_from;
  if (transient) {
    if (n > left) return false;
    kind |= kRecTransient | kRecRaw;  // raw: the body is `len` bytes, no body_len
    std::memcpy(o, bytes, n);
    o += n;
    ++counters_.transient;
    counters_.raw_bytes += n;
    --fs->transient_left;
  } else {
    const uint64_t start = history_.append(bytes, n);
    cur_.region = next_region_++;
    Region& reg = regions_[cur_.region & region_mask_];
    reg = Region{start, start + n, cur_.region, serial_, {}, 0};
    // A flow of records copies a shallow reference, or codes this frame as
    // a new one (Level::ref_ancestors).
    const Level& lv = cfg_.level;
    bool has_shallow_ref = false;
    ancestor_limit_ = lv.max_ancestors;
    if (fs && lv.ref_ancestors < lv.max_ancestors) {
      const Region& ref = regions_[fs->last_region & region_mask_];
      has_shallow_ref = fs->last_len && ref.id == fs->last_region &&
                        ref.ancestors.size() <= lv.ref_ancestors && ref.uses < lv.max_uses;
      // Only when the frame fits an empty packet even uncopied: else it
      // would go raw, and the flow's next frame again.
      if (fs->records &&
          fits_even_raw(f.len, cfg_.max_payload - kPacketHeaderSize - kLiteralCountSize))
        ancestor_limit_ = static_cast<uint8_t>(lv.ref_ancestors + (has_shallow_ref ? 1 : 0));
    }
    // Where the flow's previous payload aligns with these bytes.
    Aligned prev;
    const uint32_t payload_at = fs ? layout.hdr_len - coded_from : 0;  // in these bytes
    if (fs && fs->last_len) {
      prev = {fs->last_pos - payload_at, payload_at, payload_at + fs->last_len, fs->last_region};
    }
    const uint32_t lit_before = open_.lit_end;
    const uint64_t matched_before = counters_.match_bytes, aligned_before = counters_.aligned_bytes;
    uint8_t* const seqs = seqs_.data();
    // A frame that fits even raw is coded whole; another stops as soon as
    // it cannot fit (its record: at least a 1-byte body length), and
    // add_frame, which saved what it changes, takes it back.
    const bool fits_raw = fits_even_raw(f.len, cap);
    const size_t budget = fits_raw ? ~size_t{0} : left > 0 ? left - 1 : 0;
    const size_t seq_len =
        n < kMinMatch ? 0 : code_bytes(start, n, prev, seqs, seqs_.size(), budget);
    if (seq_len == kNoRoom) return false;  // add_frame takes it all back
    const uint32_t lits = open_.lit_end - lit_before;
    const uint64_t matched =
        counters_.match_bytes - matched_before + (counters_.aligned_bytes - aligned_before);
    if (seq_len == kOverflow || (matched == 0 && n < kMinMatch)) {
      // The bytes go raw, inline (too short to code, or the sequences overflow).
      for (uint32_t k = lit_before; k < open_.lit_end; ++k)
        --lit_counts_[lits_[k]];
      open_.lit_end = lit_before;
      counters_.match_bytes = matched_before;
      counters_.aligned_bytes = aligned_before;
      drop_sources();
      if (n > left) return false;
      kind |= kRecRaw;
      std::memcpy(o, bytes, n);
      o += n;
      counters_.raw_bytes += n;
    } else {
      if (varint_size(static_cast<uint32_t>(seq_len)) + seq_len > left) return false;
      o = put_varint(o, static_cast<uint32_t>(seq_len));
      std::memcpy(o, seqs, seq_len);
      o += seq_len;
      counters_.literal_bytes += lits;
    }
    reg.ancestors = cur_.ancestors;
    if (fs) {
      // The flow's reference for the next frames: this one, if others may
      // still copy from it (else the previous reference stays); a flow of
      // records keeps a shallow one while it lasts.
      fs->records = (counters_.aligned_bytes - aligned_before) * 4 >= uint64_t{n};
      const unsigned ancestors = cur_.ancestors.size();
      const bool becomes_ref = fs->last_len == 0 || lv.max_ancestors > kTrackedAncestors ||
                               (fs->records && has_shallow_ref ? ancestors <= lv.ref_ancestors
                                                               : ancestors < lv.max_ancestors);
      if (becomes_ref) {
        fs->last_pos = start + payload_at;
        fs->last_len = f.len - layout.hdr_len;
        fs->last_region = cur_.region;
      }
      // Incompressible flows (encrypted, compressed media) stop paying the
      // matcher: after a few frames with next to no matches and random-looking
      // bytes, their frames go raw and outside the history for a while.
      const uint32_t payload = f.len - layout.hdr_len;
      if (payload >= 256 && matched * 8 < n &&
          distinct_bytes(f.data + layout.hdr_len, payload) > kRandomDistinct) {
        if (++fs->poor >= kPoorFrames) {
          fs->backoff =
              fs->backoff ? std::min<uint16_t>(kMaxBackoff, fs->backoff * 2) : kFirstBackoff;
          fs->transient_left = fs->backoff;
          fs->poor = 0;
        }
      } else {
        fs->poor = 0;
        fs->backoff = 0;
      }
    }
  }
  if (fs) {
    if (mode == HeaderMode::kNewContext) {
      if (!fs->has_context) {  // a new context: this frame's header
        fs->layout = layout;
        fs->image = image;
        fs->window.reset(read_fields(f.data, layout), serial_);
        fs->has_context = 1;
        fs->context_packets = 1;
        fs->context_packet = serial_;
        fs->context_ancestors = Ancestors{};
        fs->context_ancestors.add(serial_);  // its own packet first: never dropped as "many"
        fs->context_ancestors.merge(cur_.ancestors);
        fs->since_refresh = 0;
      } else {  // the same context again, in another packet
        fs->window.push(read_fields(f.data, layout), serial_);
        if (fs->context_packet != serial_) {
          ++fs->context_packets;
          fs->context_packet = serial_;
        }
      }
    } else {
      ++fs->since_refresh;
      if (fs->since_refresh >= cfg_.refresh) {  // next frame: a fresh context
        fs->has_context = 0;
        ++fs->gen;
      }
    }
  }
  switch (mode) {
    case HeaderMode::kWhole: ++counters_.hdr_whole; break;
    case HeaderMode::kNewContext: ++counters_.hdr_new_context; break;
    case HeaderMode::kCompressed: ++counters_.hdr_compressed; break;
  }
  used = static_cast<size_t>(o - rec);
  return used + (open_.lit_end - lits_at_start) <= cap;  // its literals take room too
}

size_t Encoder::finish_packet(uint8_t& flags, size_t& literals_out) noexcept {
  uint8_t* p = arena_.data() + open_.offset;
  uint8_t* o = p + open_.size;
  const uint32_t nl = open_.lit_end - open_.lit_begin;
  flags = history_flags(cfg_.level.history);
  o = put_varint(o, nl);
  uint8_t* const literals = o;
  bool coded = false;
  if (nl >= kMinHuffman) {
    HuffmanCode code;
    if (build_code(lit_counts_, code)) {
      const size_t table = write_table(code, nullptr);
      const uint64_t bits = coded_bits(code, lit_counts_);
      if (table + (bits + 7) / 8 < nl - nl / 32) {
        o += write_table(code, o);
        const size_t w = encode(code, std::span<const uint8_t>(lits_.data() + open_.lit_begin, nl),
                                std::span<uint8_t>(o, nl));
        if (w) {
          o += w;
          coded = true;
          flags |= kFlagHuffman;
        } else {
          o = p + open_.size + varint_size(nl);  // cannot happen: the estimate said it fits
        }
      }
    }
  }
  if (!coded) {
    std::memcpy(o, lits_.data() + open_.lit_begin, nl);
    o += nl;
  }
  literals_out = static_cast<size_t>(o - literals);
  return static_cast<size_t>(o - p);
}

void Encoder::seal_packet(uint8_t flags, size_t len, size_t literals_out) noexcept {
  uint8_t* p = arena_.data() + open_.offset;
  PacketHeader h;
  h.flags = flags;
  h.stream = cfg_.stream;
  h.hpos = static_cast<uint32_t>(open_.hpos);
  h.records = static_cast<uint8_t>(open_.records);
  write_packet_header(p, h);
  seal(p, len);
  counters_.literal_bytes_out += literals_out;
  counters_.huffman_packets += (flags & kFlagHuffman) != 0;
}

void Encoder::close_packet(Burst& out) noexcept {
  if (open_.records == 0) return;
  uint8_t flags;
  size_t literals_out;
  const size_t len = finish_packet(flags, literals_out);
  // A packet that does not pay sends its frames as they are, unless it
  // costs at most 1/32 more, builds the history (frames that may repeat) and
  // the credit allows.
  const size_t count = fragments_of(len, cfg_.max_payload);
  const int64_t extra =
      static_cast<int64_t>(
          len + (count == 1 ? kOuterHeaders : count * (kOuterHeaders + kFragmentHeaderSize))) -
      open_.raw_bytes;
  if (!open_.split && !open_.must_tunnel && extra > 0) {
    if (extra > credit_ || static_cast<uint64_t>(extra) > open_.history_bytes / 32) {
      unsend_packet(out);
      return;
    }
    credit_ -= extra;
  }
  seal_packet(flags, len, literals_out);
  if (count > 1) {  // a packet of several frames spanning `count` MTUs (Level::span)
    emit_fragments(len, open_.first_index, out);
    return;
  }
  push_packet(len, out);
}

void Encoder::push_packet(size_t len, Burst& out) noexcept {
  packets_[out.npackets++] = {open_.offset, static_cast<uint32_t>(len), open_.first_index,
                              open_.frames};
  ++counters_.packets;
  counters_.bytes_out += len;
  open_.offset += static_cast<uint32_t>(len);
  open_.frames = open_.records = 0;
}

// Sends the open packet, holding one frame too long for one packet even
// coded, in fragments, when they cost less than the frame as it is; or as
// one packet when it fits one after all (its literals, counted raw while it
// was coded, shrank with the packet's Huffman code). False (the packet taken
// back, the frame not counted as bypassed) when neither pays.
bool Encoder::close_fragmented(uint16_t index, uint32_t frame_len, Burst& out) noexcept {
  uint8_t flags;
  size_t literals_out;
  const size_t len = finish_packet(flags, literals_out);
  const size_t count = fragments_of(len, cfg_.max_payload);
  const size_t cost =
      count == 1 ? len + kOuterHeaders : len + count * (kOuterHeaders + kFragmentHeaderSize);
  if (len > kMaxFragmented || count > kMaxFragments || cost >= frame_len ||
      out.npackets + count > burst_packets_ ||
      open_.offset + len + count * kFragmentHeaderSize > arena_.size()) {
    unsend_packet(out, false);  // as if never tried: the frame goes raw in parts
    out.bypass[index] = kPacked;
    --counters_.bypass;
    return false;
  }
  seal_packet(flags, len, literals_out);
  if (count == 1)
    push_packet(len, out);
  else
    emit_fragments(len, index, out);
  return true;
}

void Encoder::emit_fragments(size_t len, uint16_t first, Burst& out) noexcept {
  // The whole packet moves aside; its fragments take its place in the arena.
  std::memcpy(frag_.data(), arena_.data() + open_.offset, len);
  PacketHeader h;
  h.stream = cfg_.stream;
  h.hpos = static_cast<uint32_t>(open_.hpos);
  h.fragments = static_cast<uint8_t>(fragments_of(len, cfg_.max_payload));
  h.total = static_cast<uint16_t>(len);
  const uint32_t stride = h.fragment_stride();
  for (uint32_t k = 0; k < h.fragments; ++k) {
    h.fragment = static_cast<uint8_t>(k);
    const uint32_t off = k * stride,
                   n = std::min<uint32_t>(stride, static_cast<uint32_t>(len) - off);
    uint8_t* f = arena_.data() + open_.offset;
    write_fragment_header(f, h);
    std::memcpy(f + kFragmentHeaderSize, frag_.data() + off, n);
    const uint32_t flen = static_cast<uint32_t>(kFragmentHeaderSize + n);
    seal(f, flen);
    const bool last = k + 1u == h.fragments;
    packets_[out.npackets++] = {open_.offset, flen, first,
                                static_cast<uint16_t>(last ? open_.frames : 0)};
    ++counters_.packets;
    counters_.bytes_out += flen;
    open_.offset += flen;
  }
  ++counters_.fragmented;
  open_.frames = open_.records = 0;
}

// Takes back the open packet: its frames leave the history (the index
// entries into it die with its serial), their flows start over with a new
// context, and the frames are sent as they are.
void Encoder::unsend_packet(Burst& out, bool keep_learned) noexcept {
  for (uint16_t k = 0; k < open_.nsources; ++k) {
    Region& r = regions_[open_.sources[k] & region_mask_];
    if (r.id == open_.sources[k]) --r.uses;
  }
  open_.nsources = 0;
  history_.set_end(open_.hpos);
  for (uint32_t r = open_.first_region; r != next_region_; ++r)
    regions_[r & region_mask_].id = kNoRegion;
  const uint64_t frames = counters_.frames, bytes_in = counters_.bytes_in;
  counters_ = open_.counters_before;
  counters_.frames = frames;
  counters_.bytes_in = bytes_in;
  for (uint16_t k = 0; k < open_.frames; ++k) {
    out.bypass[open_.index[k]] = 1;
    ++counters_.bypass;
  }
  // The decoder never sees the packet: each flow's context, window and last
  // payload go back to what they were (the frames they name are older, still
  // in the history); what the flow learned about its own payloads stays.
  for (uint8_t k = 0; k < open_.nflows; ++k) {
    FlowState& fs = flows_[open_.flow_slot[k]];
    const uint16_t poor = fs.poor, transient_left = fs.transient_left, backoff = fs.backoff;
    fs = open_.flow_before[k];
    if (keep_learned) {
      fs.poor = poor;
      fs.transient_left = transient_left;
      fs.backoff = backoff;
    }
  }
  open_.frames = open_.records = 0;
  open_.nflows = 0;
}

// Sends a frame that does not fit one packet even coded raw in parts, as
// a tunnel splits what exceeds its MTU: a head record ends the open (empty)
// packet, each next packet starts with a continuation record, and the last
// one stays open for more frames. It joins the history as one frame that
// copies nothing. False when it cannot (the caller bypasses it).
bool Encoder::split_frame(const FrameIn& f, uint16_t index, Burst& out) noexcept {
  FlowState* fs = f.flow < cfg_.contexts ? &flows_[f.flow] : nullptr;
  const size_t room = cfg_.max_payload - kPacketHeaderSize - 1;
  const size_t parts = f.len / (room - kSplitOverhead) + 1;
  const int64_t cost = static_cast<int64_t>(parts * (kOuterHeaders + kSplitOverhead));
  if ((fs && fs->transient_left && !f.must_tunnel) || f.len > cfg_.max_frame ||
      f.len > cfg_.level.history / 4 || open_.records != 0 || out.npackets + parts > burst_packets_)
    return false;
  // Random-looking bytes (compressed, encrypted) split only on credit; the
  // others are worth their place in the history (they may come again).
  const bool random = distinct_bytes(f.data + f.len / 2, f.len / 2) > kRandomDistinct;
  if (random && cost > credit_ && !f.must_tunnel) return false;
  if (random) credit_ -= cost;
  // Each part fills its packet: room less the packet header, the record
  // header and the literal count.
  auto part_len = [&](bool head, uint32_t done) {
    const size_t hdr = head ? 1 + varint_size(f.len) + 4 + 3 : 1 + 3;
    return static_cast<uint32_t>(std::min<size_t>(f.len - done, room - hdr));
  };
  // Each part is a region of its own, in the packet that carries it: its
  // bytes are raw, so the decoder holds them right whenever that one packet
  // arrives, whatever became of the others (the frame itself needs all).
  // Its anchors are indexed, as code_bytes would: a later frame finds it.
  const uint64_t start = history_.append(f.data, f.len);
  const uint8_t* d = history_.at(start);
  const uint32_t sample_mask = (1u << cfg_.level.sample_log) - 1;
  uint32_t part_serial = serial_;
  for (uint32_t done = 0; done < f.len; ++part_serial) {
    const uint32_t k = part_len(done == 0, done);
    const uint32_t id = next_region_++;
    regions_[id & region_mask_] = Region{start + done, start + done + k, id, part_serial, {}, 0};
    for (uint32_t i = done; i < done + k && i + kMinMatch <= f.len; ++i) {
      const uint32_t v = load32(d + i), hv = v * 2654435761u;
      if (((hv >> 8) & sample_mask) == 0)
        index_[hv >> (32 - cfg_.level.hash_bits)] = {static_cast<uint32_t>(start + i), id, v};
    }
    done += k;
  }
  uint32_t done = 0;
  for (bool head = true;; head = false) {
    uint8_t* o = arena_.data() + open_.offset + open_.size;
    uint8_t* const r = o;
    const uint32_t k = part_len(head, done);
    const bool more = done + k < f.len;
    if (head) {
      *o++ = static_cast<uint8_t>(HeaderMode::kWhole) | kRecRaw | kRecSplit;
      o = put_varint(o, f.len);
      put_be32(o, crc32c(f.data, f.len));
      o += 4;
    } else {
      *o++ = static_cast<uint8_t>(kRecContinue | kRecRaw | (more ? kRecSplit : 0));
      open_.hpos = start + done;  // where this part's bytes go
    }
    o = put_varint(o, k);
    std::memcpy(o, f.data + done, k);
    open_.size += static_cast<uint32_t>(o + k - r);
    open_.records = 1;
    open_.first_index = index;
    open_.split = true;
    done += k;
    if (!more) break;
    close_packet(out);
    open_packet();
  }
  open_.frames = 1;  // the last part completes it
  ++counters_.split;
  counters_.raw_bytes += f.len;
  if (fs) {  // the flow's context is untouched: the frame went whole
    fs->last_pos = start;
    fs->last_len = 0;
  }
  return true;
}

void Encoder::pass_frame(const FrameIn& f, uint16_t index, Burst& out) noexcept {
  if (f.must_tunnel) {
    out.bypass[index] = kRefused;
    ++counters_.refused;
  } else {
    out.bypass[index] = kBypass;
    ++counters_.bypass;
  }
}

// Codes frame `i` into the open packet, which may grow to `limit` bytes;
// false, with everything it changed taken back, when it does not fit.
bool Encoder::add_frame(const FrameIn& f, uint16_t i, size_t limit) noexcept {
  // What this frame may take: the packet's room, literals counted raw
  // (Huffman only shrinks them) and the literal count's varint.
  const size_t taken = open_.size + (open_.lit_end - open_.lit_begin) + kLiteralCountSize;
  const size_t room = limit > taken ? limit - taken : 0;
  // Everything the frame may change, to take it back if it does not fit
  // (not needed when it fits even sent raw: the usual case).
  const size_t cap = std::min(room, arena_.size() - open_.offset - open_.size);
  const bool sure = fits_even_raw(f.len, cap) && open_.records < kMaxRecords;
  const uint64_t hist_end = history_.end();
  const uint32_t saved_lit_end = open_.lit_end;
  FlowState* fs = f.flow < cfg_.contexts ? &flows_[f.flow] : nullptr;
  const bool transient = fs && fs->transient_left;  // goes raw, outside the history
  FlowState saved_flow;
  EncoderCounters saved_counters;
  if (!sure) {
    if (fs) saved_flow = *fs;
    saved_counters = counters_;
  }
  size_t used = 0;
  bool first_of_flow = fs != nullptr;
  for (uint8_t k = 0; first_of_flow && k < open_.nflows; ++k)
    first_of_flow = open_.flow_slot[k] != f.flow;
  if (first_of_flow) {
    open_.flow_slot[open_.nflows] = f.flow;
    FlowState& before = open_.flow_before[open_.nflows];
    before = *fs;
    if (f.new_flow) {  // a new flow in the slot: what the decoder holds is not its context
      before.has_context = 0;
      before.last_len = 0;
      ++before.gen;
    }
  }
  const bool ok = open_.records < kMaxRecords &&
                  code_frame(f, arena_.data() + open_.offset + open_.size, cap, used);
  if (ok) {
    open_.nflows += first_of_flow;
    std::memcpy(open_.sources + open_.nsources, cur_.sources, cur_.nsources * sizeof(uint32_t));
    open_.nsources = static_cast<uint16_t>(open_.nsources + cur_.nsources);
    open_.size += static_cast<uint32_t>(used);
    if (open_.records == 0) open_.first_index = i;
    open_.index[open_.frames] = i;
    open_.flow[open_.frames] = f.flow;
    open_.raw_bytes += f.len;
    if (!transient) open_.history_bytes += f.len;
    open_.must_tunnel |= f.must_tunnel;
    ++open_.frames;
    ++open_.records;
    return true;
  }
  // Take it back: history, literals, the sources it added, its flow.
  history_.set_end(hist_end);
  for (uint32_t k = saved_lit_end; k < open_.lit_end; ++k)
    --lit_counts_[lits_[k]];
  open_.lit_end = saved_lit_end;
  drop_sources();
  if (cur_.region != kNoRegion) regions_[cur_.region & region_mask_].id = kNoRegion;
  if (fs) *fs = saved_flow;
  counters_ = saved_counters;
  return false;
}

// Codes a frame too long for one packet into a packet of its own, sent in
// fragments when they cost less than the frame as it is.
bool Encoder::fragment_frame(const FrameIn& f, uint16_t index, Burst& out) noexcept {
  const FlowState* fs = f.flow < cfg_.contexts ? &flows_[f.flow] : nullptr;
  if (open_.records != 0 || (fs && fs->transient_left) || f.len > cfg_.level.history / 4)
    return false;
  if (!add_frame(f, index, kMaxFragmented)) return false;
  if (close_fragmented(index, f.len, out)) return true;
  open_packet();  // taken back: a fresh packet for the frame's other ways
  return false;
}

void Encoder::encode_burst(std::span<const FrameIn> frames, Burst& out,
                           size_t max_packets) noexcept {
  burst_packets_ = std::min(max_packets, max_packets_);
  out.packets = packets_.data();
  out.npackets = 0;
  open_.offset = 0;
  open_.frames = open_.records = 0;
  // A packet may fill `span` MTUs, sent as fragments (fewer outer headers,
  // one Huffman table for more literals; a lost fragment loses them all).
  const size_t spanned =
      std::min<size_t>(kMaxFragmented, cfg_.level.span * (cfg_.max_payload - kFragmentHeaderSize));
  for (uint16_t i = 0; i < frames.size(); ++i) {
    const FrameIn& f = frames[i];
    out.bypass[i] = kPacked;
    ++counters_.frames;
    counters_.bytes_in += f.len;
    credit_ = std::min<int64_t>(credit_ + f.len / 128, kMaxCredit);
    if (!f.data || f.len == 0 || f.len > cfg_.max_frame) [[unlikely]] {
      close_packet(out);  // packets never straddle a frame sent apart: the burst keeps its order
      pass_frame(f, i, out);
      continue;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
      // A packet's frames fill at most a quarter of the history, so the
      // decoder can hand them all out from there before any is overwritten.
      if (open_.records > 0 && history_.end() - open_.hpos + f.len > cfg_.level.history / 4)
        close_packet(out);
      if (open_.records == 0) open_packet();
      const bool may_span = cfg_.level.span > 1 && out.npackets + cfg_.level.span <= burst_packets_;
      if (add_frame(f, i, may_span ? spanned : cfg_.max_payload)) break;
      if (open_.records > 0 && attempt == 0) {
        close_packet(out);  // a fresh packet, and try again
        continue;
      }
      // Too long even alone in a packet: coded in fragments, raw in parts,
      // or as it is.
      if (fragment_frame(f, i, out)) break;
      if (split_frame(f, i, out)) break;
      if (open_.records == 0) --serial_;  // the empty packet was never sent
      pass_frame(f, i, out);
      break;
    }
  }
  close_packet(out);
}

}  // namespace deltaplane::codec::v2
