#include "engines/codec_engines.hh"

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <span>

#include "base/error.hh"
#include "codec/checksum.hh"
#include "codec/frame_codec.hh"
#include "codec/v2/decoder.hh"
#include "codec/v2/encoder.hh"
#include "engines/validate.hh"
#include "runtime/payload_mark.hh"
#include "stats/drop_reason.hh"

namespace deltaplane::engines {

using codec::kEncapOverhead;
using codec::kHeaderSize;
using codec::kOuterSize;
using stats::DropReason;

namespace {
constexpr uint32_t kMinCodedFrame = kEncapOverhead + 32;  // shorter frames cannot shrink
constexpr uint16_t kInitialMissLimit = 4;
constexpr uint16_t kMaxMissLimit = 4096;
}  // namespace

template <class T>
SlotArray<T>::SlotArray(const char* what, size_t n, int socket)
    : n_(n), p_(static_cast<T*>(rte_zmalloc_socket(what, sizeof(T) * n, 64, socket))) {
  if (!p_) p_ = static_cast<T*>(rte_zmalloc(what, sizeof(T) * n, 64));
  if (!p_)
    throw Error(std::string("cannot allocate ") + what + " (" +
                std::to_string(sizeof(T) * n >> 20) + " MiB): lower --flow-capacity or add memory");
  std::uninitialized_value_construct_n(p_, n);
}

template <class T>
SlotArray<T>::~SlotArray() {
  std::destroy_n(p_, n_);
  rte_free(p_);
}

template class SlotArray<EncoderFlow>;
template class SlotArray<DecoderFlow>;
template class SlotArray<uint8_t>;

uint32_t encoder_key_hash(const void* key, uint32_t, uint32_t) noexcept {
  return static_cast<uint32_t>(packet::flow_hash(*static_cast<const packet::FlowKey*>(key)));
}

uint32_t decoder_key_hash(const void* key, uint32_t, uint32_t) noexcept {
  return static_cast<uint32_t>(codec::xxhash64(key, sizeof(DecoderKey)));
}

CodecLcoreState::~CodecLcoreState() = default;

namespace {

// Wire format 2 keeps its histories and tables on the lcore's socket.
codec::v2::Memory socket_memory(int socket) noexcept {
  codec::v2::Memory m;
  m.alloc = [](size_t n, void* ctx) -> void* {
    const int sock = static_cast<int>(reinterpret_cast<intptr_t>(ctx));
    void* p = rte_zmalloc_socket("dp_codec_v2", n, 64, sock);
    return p ? p : rte_zmalloc("dp_codec_v2", n, 64);
  };
  m.release = [](void* p, void*) { rte_free(p); };
  m.ctx = reinterpret_cast<void*>(static_cast<intptr_t>(socket));
  return m;
}

// A session epoch for the v2 stream ids: a restarted encoder is a new stream
// to the decoder, which then starts it over instead of misreading it.
uint16_t session_epoch() noexcept {
  return static_cast<uint16_t>(rte_rand() & 0xf);
}

}  // namespace

CodecLcoreState::CodecLcoreState(const config::AppConfig& cfg, unsigned lcore, uint32_t lcore_index,
                                 int socket, bool encoder, bool decoder, rte_mempool* mbuf_pool,
                                 const std::vector<uint16_t>& encode_ports) {
  version = cfg.codec_version;
  pool = mbuf_pool;
  v2_stream_of_port.fill(-1);
  params.tunnel.src_mac = cfg.tunnel_src_mac;
  params.tunnel.dst_mac = cfg.tunnel_dst_mac;
  params.tunnel.src_ip = cfg.tunnel_src_ip;
  params.tunnel.dst_ip = cfg.tunnel_dst_ip;
  params.tunnel.udp_port = cfg.tunnel_port;
  params.mtu = cfg.mtu;
  params.max_coded_frame = std::min<uint32_t>(
      kKeyframeSlot, cfg.mbuf_data_room > kEncapOverhead ? cfg.mbuf_data_room - kEncapOverhead : 0);
  params.keyframe_interval = cfg.keyframe_interval;
  params.keyframe_cycles = cfg.keyframe_ms * (rte_get_tsc_hz() / 1000);
  params.flow_timeout_cycles = cfg.flow_timeout_ms * (rte_get_tsc_hz() / 1000);
  params.lcore_index = lcore_index;
  params.rewritten_flag = runtime::payload_rewritten_flag();
  params.audit = cfg.audit;
  const uint32_t cap = cfg.flow_capacity;
  const std::string suffix = std::to_string(lcore);
  if (version == 2) {
    try {
      if (encoder) {
        enc_table = std::make_unique<flow::FlowTable>(
            "dp_enc_" + suffix, cap, sizeof(packet::FlowKey), encoder_key_hash, socket);
        enc_flows = std::make_unique<SlotArray<EncoderFlow>>("dp_enc_flows", cap, socket);
        codec::v2::EncoderConfig ec;
        ec.level = codec::v2::level_params(cfg.codec_level);
        ec.max_payload = cfg.mtu - static_cast<uint32_t>(codec::kIpv4Size + codec::kUdpSize);
        ec.contexts = cap;
        ec.refresh = cfg.keyframe_interval ? cfg.keyframe_interval : 0xffffffffu;
        ec.max_burst = kV2Chunk;
        ec.max_frame = std::min<uint32_t>(cfg.max_frame, codec::v2::kMaxSpan);
        ec.memory = socket_memory(socket);
        const uint16_t epoch = session_epoch();
        for (uint16_t port : encode_ports) {
          if (port >= v2_stream_of_port.size() || v2_stream_of_port[port] >= 0) continue;
          if (v2_streams.size() == 64)
            throw Error("lcore " + std::to_string(lcore) +
                        " would encode towards more than 64 ports; add lcores");
          V2Stream vs;
          vs.id =
              static_cast<uint16_t>(epoch << 12 | (lcore_index & 0x3f) << 6 | v2_streams.size());
          ec.stream = vs.id;
          ec.first_position = static_cast<uint32_t>(rte_rand());
          vs.encoder = std::make_unique<codec::v2::Encoder>(ec);
          v2_stream_of_port[port] = static_cast<int8_t>(v2_streams.size());
          v2_streams.push_back(std::move(vs));
        }
      }
      if (decoder) {
        codec::v2::DecoderConfig dc;
        dc.history = codec::v2::level_params(cfg.codec_level).history;
        dc.contexts = cap;
        dc.streams = cfg.peer_streams;
        dc.memory = socket_memory(socket);
        v2_decoder = std::make_unique<codec::v2::Decoder>(dc);
        v2_linear = std::make_unique<SlotArray<uint8_t>>("dp_v2_linear", 65536, socket);
      }
    } catch (const std::bad_alloc&) {
      throw Error("cannot allocate the wire format 2 codec state of lcore " +
                  std::to_string(lcore) +
                  ": lower --flow-capacity or --codec-level, or add hugepages");
    }
    return;
  }
  if (encoder) {
    enc_table = std::make_unique<flow::FlowTable>("dp_enc_" + suffix, cap, sizeof(packet::FlowKey),
                                                  encoder_key_hash, socket);
    enc_flows = std::make_unique<SlotArray<EncoderFlow>>("dp_enc_flows", cap, socket);
    enc_keyframes =
        std::make_unique<SlotArray<uint8_t>>("dp_enc_keys", size_t{cap} * kKeyframeSlot, socket);
  }
  if (decoder) {
    dec_table = std::make_unique<flow::FlowTable>("dp_dec_" + suffix, cap, sizeof(DecoderKey),
                                                  decoder_key_hash, socket);
    dec_flows = std::make_unique<SlotArray<DecoderFlow>>("dp_dec_flows", cap, socket);
    dec_keyframes =
        std::make_unique<SlotArray<uint8_t>>("dp_dec_keys", size_t{cap} * kKeyframeSlot, socket);
  }
}

bool is_tunnel_candidate(const uint8_t* d, uint32_t len, uint16_t port) noexcept {
  if (len >= kOuterSize + 2 && d[kOuterSize] == (codec::kMagic >> 8) &&
      d[kOuterSize + 1] == (codec::kMagic & 0xff))
    return true;
  if (len < 14 + 20 + 8 || d[12] != 0x08 || d[13] != 0x00) return false;
  const uint32_t ihl = (d[14] & 0x0f) * 4u;
  if (d[14 + 9] != 17 || ihl < 20 || 14 + ihl + 8 > len) return false;
  const uint16_t dport = static_cast<uint16_t>(d[14 + ihl + 2] << 8 | d[14 + ihl + 3]);
  return dport == port;
}

namespace {

// The audit digest of a frame as it is in the mbuf (any number of segments).
uint64_t digest_of(const rte_mbuf* m) noexcept {
  uint32_t crc = 0;
  for (const rte_mbuf* s = m; s; s = s->next)
    crc = codec::crc32(rte_pktmbuf_mtod(s, const uint8_t*), s->data_len, crc);
  return codec::frame_digest_of_crc32(crc, m->pkt_len);
}

// Adds the digests of the first n frames of a burst to an audit pair.
void audit(rte_mbuf* const* pkts, uint16_t n, stats::Counter& frames,
           stats::Counter& digest) noexcept {
  uint64_t sum = 0;
  for (uint16_t i = 0; i < n; ++i)
    sum += digest_of(pkts[i]);
  frames.add(n);
  digest.add(sum);
}

struct Emit {
  uint32_t flow_id;
  uint32_t generation;
  uint32_t crc;
  uint16_t src_port;
};

// Writes outer headers + deltaplane header in front of `body_len` bytes at `p`.
void write_headers(CodecLcoreState& st, uint8_t* p, codec::MessageType type, uint16_t frame_len,
                   uint16_t body_len, const Emit& e) noexcept {
  (void)codec::write_outer(std::span<uint8_t>(p, kOuterSize), st.params.tunnel, e.src_port,
                           st.ip_id++, kHeaderSize + body_len);
  codec::Header h;
  h.type = type;
  h.frame_len = frame_len;
  h.flow_id = e.flow_id;
  h.generation = e.generation;
  h.body_len = body_len;
  h.frame_crc = e.crc;
  (void)codec::write_header(std::span<uint8_t>(p + kOuterSize, kHeaderSize), h);
}

// Wraps the frame as it is (raw or keyframe) by prepending the headers in the
// mbuf headroom. False if the headroom is too small.
bool wrap_in_place(CodecLcoreState& st, rte_mbuf* m, codec::MessageType type,
                   const Emit& e) noexcept {
  const uint16_t len = static_cast<uint16_t>(m->pkt_len);
  auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, kEncapOverhead));
  if (!p) return false;
  write_headers(st, p, type, len, len, e);
  return true;
}

}  // namespace

uint16_t encode_burst(rte_mbuf** pkts, uint16_t n, const EngineEnv& env) noexcept {
  packet::Parsed parsed[kMaxBurst];
  n = validate_and_compact(pkts, n, env, parsed);
  CodecLcoreState& st = *env.codec;
  stats::CodecCounters& c = st.counters;
  const CodecParams& prm = st.params;
  // What leaves towards the WAN is what entered, less the rare tunnel
  // conflicts dropped below (which take their digest back out).
  if (prm.audit) [[unlikely]]
    audit(pkts, n, c.audit_in, c.audit_in_digest);
  const uint64_t now = rte_rdtsc();
  const uint32_t keyframe_interval = env.control->keyframe_interval.load(std::memory_order_relaxed);
  uint64_t bytes_in = 0, bytes_out = 0;
  uint16_t kept = 0;

  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const uint32_t len = m->pkt_len;
    bytes_in += len;
    const uint8_t* frame = rte_pktmbuf_mtod(m, const uint8_t*);
    const packet::FlowKey& key = parsed[i].key;
    const uint64_t hash = packet::flow_hash(key);
    Emit e{0, 0, 0, codec::tunnel_src_port(static_cast<uint32_t>(hash >> 32))};

    // Frames the codec does not take: chained, longer than a keyframe slot, or
    // not IP (ARP, ND-less L2 control): sent as they are unless a decoder could
    // mistake them for tunnel packets, in which case they are wrapped raw.
    // Frames this short never shrink: the tunnel headers alone are 66 bytes.
    const bool codable = m->nb_segs == 1 && len >= kMinCodedFrame && len <= prm.max_coded_frame &&
                         key.ip_version != 0 && len + kEncapOverhead - 14 <= prm.mtu;
    if (!codable) [[unlikely]] {
      if (m->nb_segs == 1 && is_tunnel_candidate(frame, len, prm.tunnel.udp_port)) {
        e.crc = codec::crc32c(frame, len);
        if (len + kEncapOverhead - 14 <= prm.mtu &&
            wrap_in_place(st, m, codec::MessageType::raw, e)) {
          c.enc_raw.add(1);
          bytes_out += m->pkt_len;
          pkts[kept++] = m;
        } else {
          if (prm.audit) [[unlikely]] {
            c.audit_in.add(~uint64_t{0});  // -1: this frame never left
            c.audit_in_digest.add(0 - digest_of(m));
          }
          rte_pktmbuf_free(m);
          env.drop(DropReason::kTunnelConflict, 1);
        }
        continue;
      }
      c.enc_bypass.add(1);
      bytes_out += len;
      pkts[kept++] = m;
      continue;
    }

    const uint32_t sig = static_cast<uint32_t>(hash);
    int32_t slot = st.enc_table->lookup(&key, sig);
    bool fresh = false;
    if (slot < 0) [[unlikely]] {
      bool evicted = false;
      slot = st.enc_table->insert(&key, sig, now, &evicted);
      if (evicted) c.enc_flow_evictions.add(1);
      c.enc_flows_new.add(1);
      fresh = true;
    } else {
      // Aging: a flow idle for longer than --flow-timeout starts over (its
      // keyframe may be gone from the decoder's table by now).
      if (now - st.enc_table->last_used(slot) > prm.flow_timeout_cycles) [[unlikely]]
        fresh = true;
      st.enc_table->touch(slot, now);
    }
    if (slot < 0) [[unlikely]] {  // the table refused: send as it is
      c.enc_bypass.add(1);
      bytes_out += len;
      pkts[kept++] = m;
      continue;
    }
    EncoderFlow& f = (*st.enc_flows)[static_cast<uint32_t>(slot)];
    uint8_t* keyframe = st.enc_keyframes->data() + static_cast<size_t>(slot) * kKeyframeSlot;
    if (fresh) {
      f.key_len = 0;  // a reused slot keeps only its generation counter
      f.misses = 0;
      f.miss_limit = kInitialMissLimit;
      f.packets.reset();
      f.bytes.reset();
    }
    f.packets.add(1);
    f.bytes.add(len);
    e.flow_id = prm.lcore_index << 22 | static_cast<uint32_t>(slot);
    e.crc = codec::crc32c(frame, len);

    bool need_key = f.key_len == 0 || f.misses >= f.miss_limit ||
                    (keyframe_interval && f.since_key >= keyframe_interval) ||
                    (prm.keyframe_cycles && now - f.key_tsc > prm.keyframe_cycles);
    if (!need_key) {
      // A delta is sent only if the whole tunnel packet is smaller than the frame.
      const size_t cap = len > kEncapOverhead + 1 ? len - kEncapOverhead - 1 : 0;
      size_t body = cap ? codec::encode_delta(std::span<const uint8_t>(frame, len),
                                              std::span<const uint8_t>(keyframe, f.key_len),
                                              std::span<uint8_t>(st.scratch + kEncapOverhead, cap))
                        : 0;
      if (body > 0) {
        e.generation = f.generation;
        write_headers(st, st.scratch, codec::MessageType::delta, static_cast<uint16_t>(len),
                      static_cast<uint16_t>(body), e);
        const uint32_t total = static_cast<uint32_t>(kEncapOverhead + body);
        std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), st.scratch, total);
        m->data_len = static_cast<uint16_t>(total);
        m->pkt_len = total;
        m->ol_flags |= prm.rewritten_flag;
        ++f.since_key;
        f.misses = 0;
        f.miss_limit = kInitialMissLimit;  // deltas pay again: refresh promptly next time
        c.enc_deltas.add(1);
        bytes_out += total;
        pkts[kept++] = m;
        continue;
      }
      // Did not pay: send as it is; after a few misses in a row, refresh the
      // keyframe. A refresh that does not help doubles the wait for the next,
      // so incompressible flows settle on sending frames as they are.
      if (++f.misses < f.miss_limit) {
        c.enc_bypass.add(1);
        bytes_out += len;
        pkts[kept++] = m;
        continue;
      }
    }
    // Keyframe: the frame itself becomes the flow's new reference.
    if (f.misses >= f.miss_limit && f.miss_limit < kMaxMissLimit) f.miss_limit *= 2;
    std::memcpy(keyframe, frame, len);
    f.key_len = static_cast<uint16_t>(len);
    f.key_tsc = now;
    f.since_key = 0;
    f.misses = 0;
    e.generation = ++f.generation;
    if (!wrap_in_place(st, m, codec::MessageType::keyframe, e)) [[unlikely]] {
      f.key_len = 0;  // never sent: the decoder does not have it
      c.enc_bypass.add(1);
      bytes_out += len;
    } else {
      c.enc_keyframes.add(1);
      bytes_out += m->pkt_len;
    }
    pkts[kept++] = m;
  }
  c.enc_frames.add(n);
  c.enc_bytes_in.add(bytes_in);
  c.enc_bytes_out.add(bytes_out);
  return kept;
}

uint16_t decode_burst(rte_mbuf** pkts, uint16_t n, const EngineEnv& env) noexcept {
  // What arrives from the WAN is validated like what arrives from the LAN:
  // a runt or a truncated header (a tunnel packet cut short, say) must not
  // reach the LAN just because it no longer looks like a tunnel packet.
  n = validate_and_compact(pkts, n, env, nullptr);
  CodecLcoreState& st = *env.codec;
  stats::CodecCounters& c = st.counters;
  const uint16_t port = st.params.tunnel.udp_port;
  const uint64_t now = rte_rdtsc();
  uint64_t bytes_in = 0, bytes_out = 0;
  uint16_t kept = 0;

  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const uint32_t len = m->pkt_len;
    bytes_in += len;
    const uint8_t* pkt = rte_pktmbuf_mtod(m, const uint8_t*);
    if (!is_tunnel_candidate(pkt, m->data_len, port)) {
      c.dec_passthrough.add(1);
      bytes_out += len;
      pkts[kept++] = m;
      continue;
    }
    DropReason why;
    do {
      if (m->nb_segs != 1) {
        why = DropReason::kDecodeTooLarge;
        break;
      }
      codec::OuterInfo outer;
      if (codec::parse_outer(std::span<const uint8_t>(pkt, len), port, outer) !=
          codec::OuterStatus::ok) {
        why = DropReason::kDecodeBadOuter;
        break;
      }
      codec::Header h;
      const std::span<const uint8_t> msg(pkt + outer.payload_offset, outer.payload_len);
      if (codec::parse_header(msg, h) != codec::HeaderStatus::ok) {
        why = DropReason::kDecodeBadHeader;
        break;
      }
      const uint8_t* body = msg.data() + kHeaderSize;
      if (h.type != codec::MessageType::delta) {
        // raw and keyframe carry the frame itself.
        if (codec::crc32c(body, h.frame_len) != h.frame_crc) {
          why = DropReason::kDecodeCrcMismatch;
          break;
        }
        if (h.type == codec::MessageType::keyframe) {
          if (h.frame_len > kKeyframeSlot) {
            why = DropReason::kDecodeTooLarge;
            break;
          }
          const DecoderKey k{outer.src_ip, h.flow_id};
          const uint32_t sig = decoder_key_hash(&k, sizeof k, 0);
          int32_t slot = st.dec_table->lookup(&k, sig);
          if (slot < 0) {
            bool evicted = false;
            slot = st.dec_table->insert(&k, sig, now, &evicted);
            if (evicted) c.dec_flow_evictions.add(1);
          } else {
            st.dec_table->touch(slot, now);
          }
          if (slot >= 0) {
            DecoderFlow& f = (*st.dec_flows)[static_cast<uint32_t>(slot)];
            f.generation = h.generation;
            f.key_len = h.frame_len;
            std::memcpy(st.dec_keyframes->data() + static_cast<size_t>(slot) * kKeyframeSlot, body,
                        h.frame_len);
          }
          c.dec_keyframes.add(1);
        } else {
          c.dec_raw.add(1);
        }
        rte_pktmbuf_adj(m, static_cast<uint16_t>(body - pkt));
        rte_pktmbuf_trim(m, static_cast<uint16_t>(m->pkt_len - h.frame_len));
        bytes_out += h.frame_len;
        pkts[kept++] = m;
        why = DropReason::kCount;
        break;
      }
      const DecoderKey k{outer.src_ip, h.flow_id};
      const uint32_t sig = decoder_key_hash(&k, sizeof k, 0);
      const int32_t slot = st.dec_table->lookup(&k, sig);
      if (slot < 0) {
        why = DropReason::kDecodeNoKeyframe;
        break;
      }
      const DecoderFlow& f = (*st.dec_flows)[static_cast<uint32_t>(slot)];
      if (f.generation != h.generation) {
        why = DropReason::kDecodeStaleGeneration;
        break;
      }
      st.dec_table->touch(slot, now);
      if (h.frame_len > kKeyframeSlot + 64 || h.frame_len > m->buf_len - RTE_PKTMBUF_HEADROOM) {
        why = DropReason::kDecodeTooLarge;
        break;
      }
      const uint8_t* keyframe =
          st.dec_keyframes->data() + static_cast<size_t>(slot) * kKeyframeSlot;
      if (codec::decode_delta(std::span<const uint8_t>(body, h.body_len),
                              std::span<const uint8_t>(keyframe, f.key_len),
                              std::span<uint8_t>(st.scratch, h.frame_len)) !=
          codec::ZeroRunStatus::ok) {
        why = DropReason::kDecodeCorruptBody;
        break;
      }
      if (codec::crc32c(st.scratch, h.frame_len) != h.frame_crc) {
        why = DropReason::kDecodeCrcMismatch;
        break;
      }
      m->data_off = RTE_PKTMBUF_HEADROOM;
      std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), st.scratch, h.frame_len);
      m->data_len = h.frame_len;
      m->pkt_len = h.frame_len;
      m->ol_flags |= st.params.rewritten_flag;
      c.dec_deltas.add(1);
      bytes_out += h.frame_len;
      pkts[kept++] = m;
      why = DropReason::kCount;
    } while (false);
    if (why != DropReason::kCount) {
      rte_pktmbuf_free(m);
      env.drop(why, 1);
    }
  }
  c.dec_frames.add(n);
  c.dec_bytes_in.add(bytes_in);
  c.dec_bytes_out.add(bytes_out);
  if (st.params.audit) [[unlikely]]
    audit(pkts, kept, c.audit_out, c.audit_out_digest);
  return kept;
}

}  // namespace deltaplane::engines
