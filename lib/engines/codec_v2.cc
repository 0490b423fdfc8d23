// encode, decode and gateway on wire format 2 (--codec 2): the engines'
// side of codec::v2::Encoder and Decoder (docs/wire-format.md). Per burst
// the encoder validates, gives each frame its flow slot, codes the burst in
// chunks and turns the tunnel payloads into mbufs (reusing the mbufs of the
// frames they carry); the decoder turns each tunnel packet into the frames it
// restores. Frames that are not tunnel packets pass through the decoder.
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "codec/checksum.hh"
#include "codec/v2/decoder.hh"
#include "codec/v2/encoder.hh"
#include "codec/wire.hh"
#include "engines/burst_io.hh"
#include "engines/codec_engines.hh"
#include "engines/validate.hh"
#include "stats/drop_reason.hh"

namespace deltaplane::engines {

namespace v2 = codec::v2;
using stats::DropReason;

namespace {

// The mbufs a burst frees up (those of the frames a tunnel packet carries,
// or of the tunnel packet a decoder expands), handed out again before the
// pool is asked.
struct Spare {
  rte_mbuf* m[kMaxBurst];
  uint16_t n = 0;
  rte_mbuf* take(rte_mempool* pool) noexcept {
    rte_mbuf* b = n ? m[--n] : (pool ? rte_pktmbuf_alloc(pool) : nullptr);
    if (b) rte_pktmbuf_reset(b);
    return b;
  }
  void release() noexcept {
    if (n) rte_pktmbuf_free_bulk(m, n);
    n = 0;
  }
};

// Writes the bytes of a then b into the reset mbuf `head`, chaining
// segments when one does not hold them all, and marks each segment written
// (`mark`: runtime/payload_mark.hh). False when no mbuf is left (the caller
// frees head with whatever was chained).
bool fill(rte_mbuf* head, const uint8_t* a, uint32_t alen, const uint8_t* b, uint32_t blen,
          rte_mempool* pool, Spare& spare, uint64_t mark) noexcept {
  rte_mbuf* seg = head;
  head->pkt_len = alen + blen;
  head->nb_segs = 1;
  head->ol_flags |= mark;
  auto put = [&](const uint8_t* p, uint32_t len) {
    while (len) {
      uint32_t room = rte_pktmbuf_tailroom(seg);
      if (room == 0) {
        rte_mbuf* next = spare.take(pool);
        if (!next) return false;
        next->ol_flags |= mark;
        seg->next = next;
        seg = next;
        ++head->nb_segs;
        room = rte_pktmbuf_tailroom(seg);
      }
      const uint32_t k = std::min(room, len);
      std::memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t*, seg->data_len), p, k);
      seg->data_len = static_cast<uint16_t>(seg->data_len + k);
      p += k;
      len -= k;
    }
    return true;
  };
  return put(a, alen) && put(b, blen);
}

// The audit digest of a frame as it is in the mbuf (any number of segments).
uint64_t digest_of(const rte_mbuf* m) noexcept {
  uint32_t crc = 0;
  for (const rte_mbuf* s = m; s; s = s->next)
    crc = codec::crc32(rte_pktmbuf_mtod(s, const uint8_t*), s->data_len, crc);
  return codec::frame_digest_of_crc32(crc, m->pkt_len);
}

// The flow slot of a validated frame in the encoder's table, and whether the
// slot starts over (a new flow, a reused slot, or one idle past --flow-timeout).
uint32_t flow_slot(CodecLcoreState& st, const packet::Parsed& p, uint32_t len, uint64_t now,
                   bool& fresh) noexcept {
  fresh = false;
  if (p.key.ip_version == 0) return v2::kNoFlow;
  const uint32_t sig = static_cast<uint32_t>(packet::flow_hash(p.key));
  int32_t slot = st.enc_table->lookup(&p.key, sig);
  if (slot < 0) [[unlikely]] {
    bool evicted = false;
    slot = st.enc_table->insert(&p.key, sig, now, &evicted);
    if (evicted) st.counters.enc_flow_evictions.add(1);
    st.counters.enc_flows_new.add(1);
    fresh = true;
    if (slot < 0) return v2::kNoFlow;
  } else {
    fresh = now - st.enc_table->last_used(slot) > st.params.flow_timeout_cycles;
    st.enc_table->touch(slot, now);
  }
  EncoderFlow& f = (*st.enc_flows)[static_cast<uint32_t>(slot)];
  if (fresh) {
    f.packets.reset();
    f.bytes.reset();
  }
  f.packets.add(1);
  f.bytes.add(len);
  return static_cast<uint32_t>(slot);
}

// Adds what one call of the v2 encoder did to the lcore's codec counters.
void count_encoder(stats::CodecCounters& c, const v2::EncoderCounters& now,
                   v2::EncoderCounters& last) noexcept {
  c.v2_packets.add(now.packets - last.packets);
  c.enc_bypass.add(now.bypass - last.bypass);
  c.v2_hdr_compressed.add(now.hdr_compressed - last.hdr_compressed);
  c.v2_hdr_new_context.add(now.hdr_new_context - last.hdr_new_context);
  c.v2_hdr_whole.add(now.hdr_whole - last.hdr_whole);
  c.v2_hdr_bytes_in.add(now.hdr_bytes_in - last.hdr_bytes_in);
  c.v2_hdr_bytes_out.add(now.hdr_bytes_out - last.hdr_bytes_out);
  c.v2_aligned_bytes.add(now.aligned_bytes - last.aligned_bytes);
  c.v2_match_bytes.add(now.match_bytes - last.match_bytes);
  c.v2_literal_bytes.add(now.literal_bytes - last.literal_bytes);
  c.v2_literal_bytes_out.add(now.literal_bytes_out - last.literal_bytes_out);
  c.v2_raw_bytes.add(now.raw_bytes - last.raw_bytes);
  c.v2_transient.add(now.transient - last.transient);
  c.v2_split.add(now.split - last.split);
  c.v2_huffman_packets.add(now.huffman_packets - last.huffman_packets);
  last = now;
}

}  // namespace

uint16_t encode_burst_v2(rte_mbuf** pkts, uint16_t n, const EngineEnv& env,
                         uint16_t tx_port) noexcept {
  packet::Parsed parsed[kMaxBurst];
  n = validate_and_compact(pkts, n, env, parsed);
  if (n == 0) return 0;
  CodecLcoreState& st = *env.codec;
  stats::CodecCounters& c = st.counters;
  const CodecParams& prm = st.params;
  const int8_t si = tx_port < st.v2_stream_of_port.size() ? st.v2_stream_of_port[tx_port] : -1;
  if (si < 0)
      [[unlikely]] {  // no encoder stream towards this port (cannot happen: set up for each)
    rte_pktmbuf_free_bulk(pkts, n);
    env.drop(DropReason::kNoRoute, n);
    return 0;
  }
  CodecLcoreState::V2Stream& vs = st.v2_streams[static_cast<size_t>(si)];
  v2::Encoder& enc = *vs.encoder;
  enc.set_refresh(env.control->keyframe_interval.load(std::memory_order_relaxed));
  const uint64_t now = rte_rdtsc();
  uint64_t bytes_in = 0, audit_sum = 0;

  v2::FrameIn in[kMaxBurst];
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
    const uint8_t* frame = rte_pktmbuf_mtod(m, const uint8_t*);
    v2::FrameIn& f = in[i];
    f.len = m->pkt_len;
    f.data = m->nb_segs == 1 ? frame : nullptr;  // chained: sent as it is
    f.parsed = &parsed[i];
    f.flow = flow_slot(st, parsed[i], f.len, now, f.new_flow);
    f.must_tunnel = is_tunnel_candidate(frame, m->data_len, prm.tunnel.udp_port);
    bytes_in += f.len;
    if (prm.audit) [[unlikely]]
      audit_sum += digest_of(m);
  }

  // Code in chunks; each chunk's packets and bypassed frames go out in the
  // order of their first frame.
  rte_mbuf* out[kMaxBurst];
  uint16_t nout = 0;
  uint64_t bytes_out = 0, merged = 0, split = 0, refused_digest = 0, refused = 0;
  Spare spare;
  for (uint16_t base = 0; base < n; base += kV2Chunk) {
    const uint16_t cn = std::min<uint16_t>(kV2Chunk, n - base);
    v2::Encoder::Burst b;
    enc.encode_burst(std::span<const v2::FrameIn>(in + base, cn), b, kMaxBurst - nout - (n - base));
    count_encoder(c, enc.counters(), vs.last);
    for (uint16_t i = 0; i < cn; ++i)
      if (b.bypass[i] == v2::kPacked) spare.m[spare.n++] = pkts[base + i];
    uint16_t k = 0;
    auto send_packets_before = [&](uint16_t index) {
      for (; k < b.npackets && b.packets[k].first < index; ++k) {
        const v2::Encoder::Packet& p = b.packets[k];
        rte_mbuf* m = spare.take(st.pool);
        uint8_t outer[codec::kOuterSize];
        (void)codec::write_outer(std::span<uint8_t>(outer, sizeof outer), prm.tunnel,
                                 codec::tunnel_src_port(vs.id), st.ip_id++, p.len);
        if (!m || !fill(m, outer, sizeof outer, enc.arena() + p.offset, p.len, st.pool, spare,
                        prm.rewritten_flag)) {
          if (m) rte_pktmbuf_free(m);
          env.drop(DropReason::kNoMbuf, std::max<uint16_t>(p.frames, 1));
          if (p.frames == 0) ++split;  // a lost part of a split frame
          continue;
        }
        if (p.frames)
          merged += p.frames - 1u;
        else
          ++split;  // a part of a split frame before its last
        bytes_out += m->pkt_len;
        out[nout++] = m;
      }
    };
    for (uint16_t i = 0; i < cn; ++i) {
      if (b.bypass[i] == v2::kPacked) continue;
      send_packets_before(static_cast<uint16_t>(i + 1));
      rte_mbuf* m = pkts[base + i];
      if (b.bypass[i] == v2::kRefused) [[unlikely]] {
        ++refused;
        if (prm.audit) refused_digest += digest_of(m);
        rte_pktmbuf_free(m);
        env.drop(DropReason::kTunnelConflict, 1);
        continue;
      }
      bytes_out += m->pkt_len;
      out[nout++] = m;
    }
    send_packets_before(0xffff);
    spare.release();
  }
  if (prm.audit) [[unlikely]] {
    // What leaves towards the WAN is what entered, less what was refused.
    c.audit_in.add(n - refused);
    c.audit_in_digest.add(audit_sum - refused_digest);
  }
  env.counters->frames_merged.add(merged);
  env.counters->frames_split.add(split);
  c.enc_frames.add(n);
  c.enc_bytes_in.add(bytes_in);
  c.enc_bytes_out.add(bytes_out);
  std::memcpy(pkts, out, sizeof(rte_mbuf*) * nout);
  return nout;
}

uint16_t decode_burst_v2(rte_mbuf** pkts, uint16_t n, const EngineEnv& env) noexcept {
  // What arrives from the WAN is validated like what arrives from the LAN.
  n = validate_and_compact(pkts, n, env, nullptr);
  if (n == 0) return 0;
  CodecLcoreState& st = *env.codec;
  stats::CodecCounters& c = st.counters;
  v2::Decoder& dec = *st.v2_decoder;
  const uint16_t port = st.params.tunnel.udp_port;
  rte_mbuf* out[kMaxBurst];
  uint16_t nout = 0;
  uint64_t bytes_in = 0, bytes_out = 0, merged = 0, split = 0;
  v2::Decoder::Result res;
  Spare spare;

  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
    const uint32_t len = m->pkt_len;
    bytes_in += len;
    const uint8_t* pkt = rte_pktmbuf_mtod(m, const uint8_t*);
    if (!is_tunnel_candidate(pkt, m->data_len, port)) {
      c.dec_passthrough.add(1);
      bytes_out += len;
      out[nout++] = m;
      continue;
    }
    if (m->nb_segs > 1)
      pkt = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, len, st.v2_linear->data()));
    codec::OuterInfo outer;
    if (codec::parse_outer(std::span<const uint8_t>(pkt, len), port, outer) !=
        codec::OuterStatus::ok) {
      rte_pktmbuf_free(m);
      env.drop(DropReason::kDecodeBadOuter, 1);
      continue;
    }
    dec.decode(std::span<const uint8_t>(pkt + outer.payload_offset, outer.payload_len),
               outer.src_ip, res);
    if (res.status != v2::Status::ok) {
      rte_pktmbuf_free(m);
      env.drop(stats::drop_reason_for(res.status), 1);
      continue;
    }
    // The tunnel packet's bytes are all in the decoder now: its mbuf holds
    // the first frame restored.
    spare.m[spare.n++] = m;
    if (res.nframes == 0)
      ++merged;  // the head of a split frame: it comes out with its last part
    else
      split += res.nframes - 1u;
    for (uint8_t k = 0; k < res.nframes; ++k) {
      const v2::Decoder::Frame& f = res.frames[k];
      if (f.status != v2::Status::ok) {
        env.drop(stats::drop_reason_for(f.status), 1);
        continue;
      }
      rte_mbuf* o = spare.take(st.pool);
      if (!o ||
          !fill(o, f.hdr, f.hdr_len, f.data, f.len, st.pool, spare, st.params.rewritten_flag)) {
        if (o) rte_pktmbuf_free(o);
        env.drop(DropReason::kNoMbuf, 1);
        continue;
      }
      bytes_out += o->pkt_len;
      out[nout++] = o;
    }
    spare.release();
  }
  env.counters->frames_merged.add(merged);
  env.counters->frames_split.add(split);
  c.dec_frames.add(n);
  c.dec_bytes_in.add(bytes_in);
  c.dec_bytes_out.add(bytes_out);
  const v2::DecoderCounters& dc = dec.counters();
  c.v2_dec_packets.add(dc.packets - st.v2_dec_last.packets);
  c.v2_dec_frames.add(dc.frames - st.v2_dec_last.frames);
  c.v2_dec_hole_bytes.add(dc.hole_bytes - st.v2_dec_last.hole_bytes);
  st.v2_dec_last = dc;
  if (st.params.audit) [[unlikely]] {
    uint64_t sum = 0;
    for (uint16_t i = 0; i < nout; ++i)
      sum += digest_of(out[i]);
    c.audit_out.add(nout);
    c.audit_out_digest.add(sum);
  }
  std::memcpy(pkts, out, sizeof(rte_mbuf*) * nout);
  return nout;
}

}  // namespace deltaplane::engines
