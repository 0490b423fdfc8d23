#include "codec/v2/decoder.hh"

#include <algorithm>
#include <cstring>

#include "codec/checksum.hh"
#include "codec/v2/sequences.hh"
#include "packet/validate.hh"

namespace deltaplane::codec::v2 {
namespace {

constexpr size_t kMaxPayload = 65536;

struct Record {
  uint8_t kind = 0;
  uint32_t len = 0, crc = 0, ctx = 0;
  uint8_t gen = 0;
  const uint8_t* fields = nullptr;
  size_t fields_len = 0;
  const uint8_t* body = nullptr;  // raw bytes, or sequences
  size_t body_len = 0;
  HeaderMode mode() const noexcept { return static_cast<HeaderMode>(kind & kModeMask); }
};

// Copies a match of `len` bytes from history position `src` to `dst`, inside
// the frame being restored at `out` (history position `cur`, not yet
// mirrored): bytes before `cur` come from the history, the rest from the
// frame itself, byte by byte where source and destination overlap (a run).
void copy_match(const uint8_t* out, uint64_t cur, const History& hist, uint64_t src, uint8_t* dst,
                uint32_t len) noexcept {
  if (src < cur) {
    const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(len, cur - src));
    std::memcpy(dst, hist.at(src), n);
    dst += n;
    src += n;
    len -= n;
    if (len == 0) return;
  }
  const uint8_t* from = out + (src - cur);
  if (static_cast<size_t>(dst - from) >= len) {
    std::memcpy(dst, from, len);
  } else {
    for (uint32_t k = 0; k < len; ++k)
      dst[k] = from[k];
  }
}

}  // namespace

Decoder::Decoder(const DecoderConfig& c)
    : cfg_(c),
      lits_(c.memory, kMaxPayload),
      scratch_(c.memory, kMaxPayload),
      headers_(c.memory, kMaxRecords * kMaxHeader) {
  for (unsigned i = 0; i < c.streams; ++i)
    streams_.push_back(std::make_unique<Stream>(c.memory, c.history, c.contexts));
}

Decoder::Stream& Decoder::stream_for(uint32_t peer, uint16_t id) noexcept {
  ++clock_;
  Stream* victim = streams_[0].get();
  for (auto& sp : streams_) {
    Stream& s = *sp;
    if (s.active && s.peer == peer && s.id == id) {
      s.last_used = clock_;
      return s;
    }
    if (!s.active || (victim->active && s.last_used < victim->last_used)) victim = &s;
  }
  // A new stream (or an encoder that restarted with a new epoch): start
  // empty; its first packet's position says where the history begins.
  Stream& s = *victim;
  if (s.active) ++counters_.streams_evicted;
  s.active = true;
  s.peer = peer;
  s.id = id;
  s.last_used = clock_;
  reset(s);
  return s;
}

void Decoder::reset(Stream& s) noexcept {
  s.far_behind = 0;
  s.valid.clear();
  s.floor = ~uint64_t{0};  // nothing held yet: set by the next packet
  s.pending.active = false;
  for (auto& a : s.reassembly)
    a.active = false;
  if (++s.epoch == 0) {  // wrapped: clear them the long way, once in 2^32 resets
    for (size_t i = 0; i < s.contexts.size(); ++i)
      s.contexts[i].epoch = 0;
    s.epoch = 1;
  }
}

void Decoder::add_hole(Stream& s, uint64_t start, uint64_t end) noexcept {
  const size_t cap = s.history.capacity();
  if (end - start > cap) start = end - cap;
  s.valid.set(start, end, false);
}

void Decoder::fill_hole(Stream& s, uint64_t start, uint64_t end) noexcept {
  s.valid.set(start, end, true);
}

bool Decoder::in_hole(const Stream& s, uint64_t start, uint64_t end) noexcept {
  return start < s.floor || !s.valid.all(start, end);
}

void Decoder::fragment(std::span<const uint8_t> payload, const PacketHeader& h, uint32_t peer,
                       Result& r) noexcept {
  Stream& s = stream_for(peer, h.stream);
  ++counters_.fragments;
  Stream::Reassembly* a = nullptr;
  for (auto& x : s.reassembly)
    if (x.active && x.hpos == h.hpos && x.total == h.total && x.fragments == h.fragments) a = &x;
  if (!a) {
    // A new packet: a free slot, else the oldest one's packet is given up
    // (one of its fragments was lost: its frames are, as those of any lost
    // packet).
    a = &s.reassembly[0];
    for (auto& x : s.reassembly)
      if (!x.active || (a->active && x.started < a->started)) a = &x;
    if (a->active) ++counters_.fragments_abandoned;
    a->active = true;
    a->hpos = h.hpos;
    a->total = h.total;
    a->fragments = h.fragments;
    a->received = 0;
    a->started = clock_;
    std::fill(std::begin(a->have), std::end(a->have), 0);
  }
  const uint64_t bit = uint64_t{1} << (h.fragment & 63);
  if (a->have[h.fragment >> 6] & bit) return;  // a duplicate
  a->have[h.fragment >> 6] |= bit;
  uint8_t* const bytes =
      s.whole.data() + static_cast<size_t>(a - s.reassembly.data()) * kMaxFragmented;
  std::memcpy(bytes + h.fragment_offset(), payload.data() + kFragmentHeaderSize,
              payload.size() - kFragmentHeaderSize);
  if (++a->received < a->fragments) return;
  a->active = false;
  ++counters_.fragmented;
  // The whole packet has its own header and CRC; it is never a fragment
  // itself, and belongs to the stream its fragments came from.
  const std::span<const uint8_t> whole(bytes, a->total);
  if ((whole[3] & kFlagFragment) || get_be16(whole.data() + 4) != h.stream) {
    r.status = Status::bad_record;
    return;
  }
  decode(whole, peer, r);
}

void Decoder::decode(std::span<const uint8_t> payload, uint32_t peer, Result& r) noexcept {
  r.status = Status::ok;
  r.nframes = 0;
  PacketHeader h;
  if ((r.status = parse_packet_header(payload, h)) != Status::ok) return;
  if (h.flags & kFlagFragment) return fragment(payload, h, peer, r);
  if (history_of(h.flags) > cfg_.history) {
    r.status = Status::history_too_large;
    return;
  }
  const uint8_t* p = payload.data() + kPacketHeaderSize;
  const uint8_t* const end = payload.data() + payload.size();

  // Pass 1: the records' layout, and the literals.
  Record recs[kMaxRecords];
  uint64_t history_bytes = 0;
  for (unsigned i = 0; i < h.records; ++i) {
    Record& rc = recs[i];
    if (p == end) {
      r.status = Status::truncated;
      return;
    }
    rc.kind = *p++;
    const uint8_t flags = rc.kind & ~kRecGenMask;
    if ((flags & ~kRecKnownBits) != 0 || (flags & kModeMask) == 3 ||
        ((rc.kind & kRecGenMask) && (flags & kModeMask) == 0)) {
      r.status = Status::bad_flags;
      return;
    }
    // Parts of a split frame: raw, a continuation first in its packet, a
    // record split further last in its packet.
    const bool split = rc.kind & kRecSplit, cont = rc.kind & kRecContinue;
    if (((split || cont) && (rc.kind & ~(kRecSplit | kRecContinue)) != kRecRaw) ||
        (cont && i != 0) || (split && i + 1 != h.records)) {
      r.status = Status::bad_record;
      return;
    }
    if (cont) {
      uint32_t body = 0;
      if (!get_varint(p, end, body) || static_cast<size_t>(end - p) < body) {
        r.status = Status::truncated;
        return;
      }
      if (body == 0 || body > kMaxSpan) {
        r.status = Status::bad_record;
        return;
      }
      rc.body = p;
      rc.body_len = body;
      p += body;
      history_bytes += body;
      continue;
    }
    // Compressed records code the payload only, which may be empty (ACKs).
    if (!get_varint(p, end, rc.len) || end - p < 4) {
      r.status = Status::truncated;
      return;
    }
    if (rc.len > kMaxSpan || (rc.len == 0 && rc.mode() != HeaderMode::kCompressed)) {
      r.status = Status::bad_record;
      return;
    }
    rc.crc = get_be32(p);
    p += 4;
    if (rc.mode() != HeaderMode::kWhole) {
      if (!get_varint(p, end, rc.ctx)) {
        r.status = Status::truncated;
        return;
      }
      rc.gen = rc.kind >> kRecGenShift;
    }
    if (rc.mode() == HeaderMode::kCompressed) {
      rc.fields = p;
      rc.fields_len = fields_size(p, end);
      if (rc.fields_len == 0) {
        r.status = Status::bad_record;
        return;
      }
      p += rc.fields_len;
    }
    // A raw record's body is its `len` bytes; a split one says how many of
    // them this part holds, a coded one how long its sequences are.
    uint32_t body = rc.len;
    if ((!(rc.kind & kRecRaw) || (rc.kind & kRecSplit)) && !get_varint(p, end, body)) {
      r.status = Status::truncated;
      return;
    }
    if (static_cast<size_t>(end - p) < body) {
      r.status = Status::truncated;
      return;
    }
    if ((rc.kind & kRecTransient) && !(rc.kind & kRecRaw)) {
      r.status = Status::bad_record;
      return;
    }
    if ((rc.kind & kRecSplit) && (body == 0 || body >= rc.len)) {
      r.status = Status::bad_record;
      return;
    }
    rc.body = p;
    rc.body_len = body;
    p += body;
    if (!(rc.kind & kRecTransient)) history_bytes += rc.kind & kRecSplit ? body : rc.len;
  }
  if (history_bytes > cfg_.history / 4) {
    r.status = Status::bad_record;
    return;
  }
  uint32_t nl = 0;
  if (!get_varint(p, end, nl) || nl > kMaxPayload) {
    r.status = Status::truncated;
    return;
  }
  if (h.flags & kFlagHuffman) {
    size_t used = 0;
    if (read_table(std::span<const uint8_t>(p, end), huffman_, used) != HuffmanStatus::ok ||
        v2::decode(huffman_, std::span<const uint8_t>(p + used, end),
                   std::span<uint8_t>(lits_.data(), nl)) != HuffmanStatus::ok) {
      r.status = Status::bad_literals;
      return;
    }
  } else {
    if (static_cast<size_t>(end - p) != nl) {
      r.status = Status::bad_literals;
      return;
    }
    std::memcpy(lits_.data(), p, nl);
  }

  // Where this packet's frames go in the stream's history.
  Stream& s = stream_for(peer, h.stream);
  History& hist = s.history;
  const uint64_t hend = hist.end();
  const int64_t delta = static_cast<int32_t>(h.hpos - static_cast<uint32_t>(hend));
  uint64_t cur = hend + static_cast<uint64_t>(delta);
  if (s.floor != ~uint64_t{0} && delta < -static_cast<int64_t>(hist.capacity())) {
    // Far behind the window: a packet delayed past it (stale), or, when
    // several come in a row, an encoder that started over under the same
    // stream id (its positions start anywhere): the stream starts over too.
    if (++s.far_behind < kRestartAfter) {
      r.status = Status::stale;
      return;
    }
    reset(s);
    ++counters_.streams_restarted;
  }
  s.far_behind = 0;
  if (s.floor == ~uint64_t{0}) {  // the stream's first packet: its position, above what was
    cur = ((hend >> 32) + 1) << 32 | h.hpos;
    hist.set_end(cur);
    s.floor = cur;
  } else if (delta > 0) {  // packets lost in between: a hole
    counters_.hole_bytes += static_cast<uint64_t>(delta);
    if (static_cast<uint64_t>(delta) >= hist.capacity()) {
      s.valid.clear();
      s.floor = cur;
    } else {
      add_hole(s, hend, cur);
    }
    hist.set_end(cur);
  } else if (delta < 0 && (cur < hist.begin() || cur < s.floor)) {
    r.status = Status::stale;
    return;
  }
  ++counters_.packets;
  // A split frame waiting for a continuation this packet does not bring (it
  // was lost) is given up (the parts received stay right in the history; the
  // lost one's bytes are a hole already); late packets leave it waiting.
  if (s.pending.active && cur >= s.pending.start + s.pending.have &&
      !((recs[0].kind & kRecContinue) && cur == s.pending.start + s.pending.have)) {
    s.pending.active = false;
    ++counters_.split_incomplete;
  }

  // Pass 2: each frame. A record codes `rc.len` bytes: the whole frame, or
  // the payload after a header rebuilt from the flow's context. Those bytes
  // take their place in the history (unless transient) whatever becomes of
  // the frame, and its literals are consumed, so the records after it decode.
  uint32_t lit = 0;
  size_t scratch = 0;
  unsigned nf = 0;
  for (unsigned i = 0; i < h.records; ++i) {
    const Record& rc = recs[i];
    if (rc.kind & (kRecSplit | kRecContinue)) {
      if (const Frame* done = split_part(s, rc.kind, rc.body, rc.body_len, rc.len, rc.crc, cur))
        r.frames[nf++] = *done;
      continue;
    }
    Frame& f = r.frames[nf++];
    const bool transient = rc.kind & kRecTransient;
    const bool compressed = rc.mode() == HeaderMode::kCompressed;
    uint8_t* out = transient ? scratch_.data() + scratch : hist.at(cur);
    uint8_t* hdr = headers_.data() + size_t{i} * kMaxHeader;
    Status st = Status::ok;
    Context* c = nullptr;
    Fields decoded;
    PendingChecksums pending;
    if (rc.mode() != HeaderMode::kWhole) {
      if (rc.ctx >= s.contexts.size())
        st = Status::missing_context;
      else
        c = &s.contexts[rc.ctx];
    }
    uint32_t hdr_len = 0;
    if (st == Status::ok && compressed) {
      if (c->epoch != s.epoch || c->gen != rc.gen || c->layout.hdr_len + rc.len > kMaxSpan) {
        st = Status::missing_context;
      } else {
        hdr_len = c->layout.hdr_len;
        if (decode_fields(rc.fields, rc.fields + rc.fields_len, hdr_len + rc.len, c->layout,
                          c->header, c->ref, decoded, hdr, pending) != rc.fields_len)
          st = Status::bad_record;
      }
    }
    // The coded bytes, decoded whatever became of the header: they are right
    // whenever every byte they copy is (a frame lost for want of its context
    // or with a header that came out wrong leaves good bytes in the history,
    // so the frames that copy from it are not lost with it).
    const uint32_t n = rc.len;
    bool holes = false;      // a match reached into bytes this decoder does not hold
    bool malformed = false;  // the record's bytes do not add up
    uint32_t intact = n;     // bytes from the start known right (before the first hole)
    if (rc.kind & kRecRaw) {
      malformed = rc.body_len != n;
      if (!malformed) std::memcpy(out, rc.body, n);
    } else {
      // Sources must outlive this frame's own writes into the ring.
      const uint64_t frame_end = std::max(hist.end(), cur + n);
      const uint64_t oldest =
          std::max(s.floor, frame_end > hist.capacity() ? frame_end - hist.capacity() : 0);
      SequenceReader q(rc.body, rc.body + rc.body_len);
      uint32_t at = 0;
      while (q.more(malformed)) {
        uint32_t lits, match, dist;
        if (!q.get(lits, match, dist) || at + lits + match > n || lit + lits > nl) {
          malformed = true;
          break;
        }
        if (!holes) std::memcpy(out + at, lits_.data() + lit, lits);
        lit += lits;
        at += lits;
        const uint64_t to = cur + at;
        // Bytes of this frame are its own (written just before); those of
        // earlier frames must not lie in a hole.
        if (dist > to || to - dist < oldest ||
            in_hole(s, to - dist, std::min(cur, to - dist + match))) {
          if (!holes) intact = at;
          holes = true;
        } else if (!holes)
          copy_match(out, cur, hist, to - dist, out + at, match);
        at += match;
      }
      if (!malformed && lit + (n - at) > nl) malformed = true;
      if (malformed) {
        // The literal section cannot be followed past this record: the
        // records after it find theirs exhausted and are refused too.
        lit = nl;
      } else {
        if (!holes) std::memcpy(out + at, lits_.data() + lit, n - at);
        lit += n - at;
      }
    }
    const bool bytes_ok = !holes && !malformed;
    if (malformed)
      st = Status::bad_record;
    else if (holes)
      st = Status::missing_history;
    if (!transient) hist.commit(cur, n);
    if (st == Status::ok) {
      uint32_t crc = 0;
      if (compressed) {
        finish_checksums(hdr, out, n, c->layout, pending);
        crc = crc32c(hdr, hdr_len);
      }
      if (crc32c(out, n, crc) != rc.crc) st = Status::crc_mismatch;
    }
    // The flow's context: set by a new context restored intact, its
    // reference moved by every compressed header decoded (the encoder
    // assumes the decoder saw the last frame of the flow in every packet
    // that arrived). Late packets move neither.
    if (c && (c->epoch != s.epoch || cur >= c->ref_pos)) {
      if (compressed && hdr_len) {
        if (st == Status::crc_mismatch) {
          c->epoch = 0;  // the header itself came out wrong: wait for a new context
        } else {
          c->ref = decoded;
          c->ref_pos = cur;
        }
      } else if (rc.mode() == HeaderMode::kNewContext && !malformed &&
                 (st == Status::ok || st == Status::missing_history)) {
        // A new context needs only its header right: the frame itself may
        // be lost for want of bytes its payload copies.
        // A copy that cannot set it leaves the context as it was (the other
        // copy of the same one may have set it already).
        packet::Parsed parsed;
        HeaderLayout l;
        if (packet::validate(out, n, {}, &parsed) == packet::Verdict::kOk &&
            layout_of(out, n, parsed, l) && l.hdr_len <= intact) {
          c->epoch = s.epoch;
          c->gen = rc.gen;
          c->layout = l;
          std::memcpy(c->header, out, l.hdr_len);
          c->ref = read_fields(out, l);
          c->ref_pos = cur;
        }
      }
    }
    f = {hdr, out, static_cast<uint16_t>(hdr_len), n, st};
    if (transient) {
      scratch += n;
    } else {
      // A late or duplicated packet that cannot restore bytes the decoder
      // already holds right leaves them so: what it wrote before its first
      // unknown source is the same bytes.
      if (bytes_ok)
        fill_hole(s, cur, cur + n);
      else if (cur + n > hend || !s.valid.all(cur, cur + n))
        add_hole(s, cur, cur + n);
      cur += n;
      if (cur > hist.end()) hist.set_end(cur);
    }
    if (st == Status::ok) {
      ++counters_.frames;
      counters_.bytes_out += f.size();
    }
  }
  r.nframes = static_cast<uint8_t>(nf);
}

const Decoder::Frame* Decoder::split_part(Stream& s, uint8_t kind, const uint8_t* body, uint32_t n,
                                          uint32_t len, uint32_t crc, uint64_t& cur) noexcept {
  History& hist = s.history;
  const bool head = !(kind & kRecContinue), more = kind & kRecSplit;
  auto& pd = s.pending;
  // A part's bytes are raw and its packet's CRC-32C verified: they are the
  // history's bytes whatever becomes of the frame (the encoder lets later
  // frames copy from a part as depending on that part's packet alone).
  if (head) {
    pd = {true, cur, len, 0, crc};
  } else if (!pd.active || cur != pd.start + pd.have) {
    // The head or a part before this one was lost, or this is a late copy:
    // no frame, but the bytes are right.
    std::memcpy(hist.at(cur), body, n);
    hist.commit(cur, n);
    fill_hole(s, cur, cur + n);
    cur += n;
    if (cur > hist.end()) hist.set_end(cur);
    if (more) return nullptr;
    split_frame_ = {nullptr, nullptr, 0, 0, Status::missing_history};
    return &split_frame_;
  }
  if (pd.have + n > pd.len || (!more && pd.have + n != pd.len)) {
    add_hole(s, pd.start, cur + n);
    pd.active = false;
    cur += n;
    if (cur > hist.end()) hist.set_end(cur);
    split_frame_ = {nullptr, nullptr, 0, 0, Status::bad_record};
    return &split_frame_;
  }
  std::memcpy(hist.at(cur), body, n);
  hist.commit(cur, n);
  fill_hole(s, cur, cur + n);
  pd.have += n;
  cur += n;
  if (cur > hist.end()) hist.set_end(cur);
  if (more) return nullptr;
  // Complete: the whole frame lies contiguous in the history.
  pd.active = false;
  const uint8_t* frame = hist.at(pd.start);
  const Status st = crc32c(frame, pd.len) == pd.crc ? Status::ok : Status::crc_mismatch;
  if (st == Status::ok) {
    fill_hole(s, pd.start, pd.start + pd.len);
    ++counters_.frames;
    counters_.bytes_out += pd.len;
  } else {
    add_hole(s, pd.start, pd.start + pd.len);
  }
  split_frame_ = {nullptr, frame, 0, pd.len, st};
  return &split_frame_;
}

}  // namespace deltaplane::codec::v2
