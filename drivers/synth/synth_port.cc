#include "synth/synth_port.hh"

#include <cstdio>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_pause.h>

#include <algorithm>
#include <cstring>

#include "base/error.hh"
#include "runtime/payload_mark.hh"
#include "runtime/ring.hh"
#include "runtime/rx_timestamp.hh"
#include "stats/counters.hh"

namespace deltaplane::drivers::synth {

// What a generator lcore hands the polling lcore per frame, as a NIC writes
// an RX descriptor: the buffer, and what the driver then writes into the mbuf.
struct RxDesc {
  rte_mbuf* m;
  uint32_t hash;
  uint16_t len;
  uint16_t unused;
};
static_assert(sizeof(RxDesc) == 16);

// One RX queue's generator, touched only by the lcore polling the queue.
struct alignas(64) SynthPort::RxQueue {
  RxQueue(const TrafficSpec& spec, uint16_t queue, uint16_t nb_queues)
      : source(spec, queue, nb_queues) {}
  ~RxQueue() {
    if (ring) free_queued();
  }
  RxQueue(const RxQueue&) = delete;
  RxQueue& operator=(const RxQueue&) = delete;
  // Frees the frames still queued (returns how many) and the empty mbufs
  // waiting in `refill`. No lcore may produce or consume.
  uint64_t free_queued() noexcept {
    RxDesc d[64];
    rte_mbuf* m[64];
    uint64_t frames = 0;
    for (unsigned n; (n = ring->dequeue_burst(d, 64)) != 0; frames += n) {
      for (unsigned i = 0; i < n; ++i)  // their first lines are as the pool keeps them
        m[i] = d[i].m;
      rte_pktmbuf_free_bulk(m, n);
    }
    for (unsigned n; refill && (n = refill->dequeue_burst(m, 64)) != 0;)
      rte_pktmbuf_free_bulk(m, n);
    return frames;
  }
  FrameSource source;
  FrameSource::Cursor cursor;
  uint64_t limit = 0;  // arrivals (rate) or frames (no rate) before silence; 0 = endless
  int tsc_offset = -1;
  uint16_t port = 0;
  // Rate model: arrivals since t_start at `per_cycle` frames per TSC cycle;
  // those that found a free slot wait in `arrival` (their arrival TSC).
  double per_cycle = 0.0;
  double cycles_per_frame = 0.0;
  uint64_t t_start = 0;
  uint64_t arrived = 0, accepted = 0, delivered = 0;
  uint32_t ring_slots = 0;
  std::vector<uint64_t> arrival;  // power-of-two size >= ring
  uint64_t arrival_mask = 0;
  // Bank mode (bank=N): the first N frames built once, replayed in a cycle.
  std::vector<uint8_t> bank;  // frame b at b * bank_stride
  std::vector<uint16_t> bank_len;
  std::vector<uint32_t> bank_hash;
  std::vector<uint8_t> bank_invalid;
  uint32_t bank_stride = 0, bank_next = 0;
  // Generator-lcore mode: the generator builds frames in mbufs that the
  // polling lcore hands back through `refill` (or, when that is short, from
  // `pool`) and queues their descriptors in `ring`.
  std::unique_ptr<runtime::ElemRing<RxDesc>> ring;
  std::unique_ptr<runtime::Ring> refill;
  rte_mempool* pool = nullptr;
  uint32_t data_offset = 0;  // from an mbuf to its data: header, private area, headroom
  uint64_t rearm = 0;        // rearm_data of a fresh mbuf: data_off, refcnt 1, 1 segment, port
  // payload=fill on an own pool: buffers hold the pattern past the header
  // lines, except where an engine that rewrites payloads wrote (once the
  // port's sticky flag says one has run: restore_payloads).
  bool keep_payload = false;
  const std::atomic<bool>* payload_dirty = nullptr;
  uint64_t rewritten_flag = 0;
  stats::Counter generated, bytes, missed, invalid, late, nombuf, head_only;
  stats::Counter restored, restored_bytes;
};

// One generator lcore and the RX queues it feeds; written by that lcore only.
struct alignas(64) SynthPort::Generator {
  unsigned lcore = 0;
  std::vector<RxQueue*> queues;
  std::atomic<bool> stop{false};
  bool launched = false;
  stats::Counter frames, busy_cycles, full_cycles, idle_cycles;
};

struct alignas(64) SynthPort::TxQueue {
  double per_cycle = 0.0;  // frames per TSC cycle
  double tokens = 0.0, cap = 0.0;
  uint64_t last = 0;
  stats::Counter taken, refused;
};

namespace {

// Copies 64 or 128 bytes with fixed-size moves (no length dispatch).
inline void copy_lines(uint8_t* dst, const uint8_t* src, uint32_t bytes) noexcept {
  std::memcpy(dst, src, 64);
  if (bytes > 64) std::memcpy(dst + 64, src + 64, 64);
}

// Builds `n` frames of queue `q` into `pkts`; `stamp(i)` is frame i's arrival
// TSC. kRaw (generator lcores): the mbufs come straight from the mempool
// (refcnt 1, one segment, next NULL, as the pool keeps them) and are not
// written at all: each frame's length and hash go into desc[i], from which
// the polling lcore writes the mbuf's first line, as a NIC driver does from
// its RX descriptors. Only the frame's lines cross to that lcore, and with
// kStamp the second mbuf line (the timestamp dynfield). head_only: the buffers
// hold the fill pattern; only the first FrameSource::head_bytes() of each
// frame are written.
template <bool kRaw, bool kStamp, typename Stamp>
void build_frames(SynthPort::RxQueue& q, rte_mbuf* const* pkts, uint16_t n, Stamp stamp,
                  bool head_only = false, RxDesc* desc = nullptr) {
  uint64_t bytes = 0, invalid = 0;
  auto finish = [&](rte_mbuf* m, uint16_t i, uint16_t len, uint32_t hash) {
    if constexpr (kRaw) {
      desc[i] = RxDesc{m, hash, len, 0};
    } else {
      m->port = q.port;
      m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
      m->data_len = len;
      m->pkt_len = len;
      m->hash.rss = hash;
    }
    if constexpr (kStamp) runtime::rx_tsc(m, q.tsc_offset) = stamp(i);
    bytes += len;
  };
  auto data = [&](rte_mbuf* m) {
    if constexpr (kRaw)  // where the pool put the buffer: no load of buf_addr
      return reinterpret_cast<uint8_t*>(m) + q.data_offset;
    else
      return static_cast<uint8_t*>(m->buf_addr) + RTE_PKTMBUF_HEADROOM;
  };
  if (!q.bank_len.empty()) {
    const uint32_t size = static_cast<uint32_t>(q.bank_len.size());
    for (uint16_t i = 0; i < n; ++i) {
      const uint32_t b = q.bank_next;
      const uint8_t* frame = &q.bank[size_t{b} * q.bank_stride];
      if (head_only)  // whole lines (the bank's stride is too): bytes past a short frame are free
        copy_lines(data(pkts[i]), frame, q.source.head_bytes());
      else
        rte_memcpy(data(pkts[i]), frame, q.bank_len[b]);
      finish(pkts[i], i, q.bank_len[b], q.bank_hash[b]);
      invalid += q.bank_invalid[b];
      q.bank_next = b + 1 == size ? 0 : b + 1;
    }
    q.cursor.index += n;  // counts frames for count=
  } else {
    FrameInfo info;
    for (uint16_t i = 0; i < n; ++i) {
      const uint16_t len = q.source.build(q.cursor, data(pkts[i]), &info, head_only);
      q.source.advance(q.cursor);
      finish(pkts[i], i, len, info.hash);
      invalid += info.kind != InvalidKind::kNone;
    }
  }
  q.generated.add(n);
  q.bytes.add(bytes);
  if (head_only) q.head_only.add(n);
  if (invalid) q.invalid.add(invalid);
}

// payload=fill once an engine that rewrites payloads has run. Such an engine
// marks the frames it rewrote (runtime/payload_mark.hh), and all it wrote lies
// in the frame it left in the mbuf (data_off, data_len as it was freed;
// prepends go to the headroom). The pattern goes back over that window past
// the header lines, which the build writes anyway. take_ring clears the flag
// when it next writes the mbuf's first line.
void restore_payloads(SynthPort::RxQueue& q, rte_mbuf* const* pkts, uint16_t n) noexcept {
  const auto head = static_cast<int32_t>(q.source.head_bytes());
  uint64_t frames = 0, bytes = 0;
  for (uint16_t i = 0; i < n; ++i) {
    const rte_mbuf* m = pkts[i];
    if (!(m->ol_flags & q.rewritten_flag)) continue;
    const int32_t lo = int32_t{m->data_off} - RTE_PKTMBUF_HEADROOM;  // frame offsets
    const int32_t hi = lo + int32_t{m->data_len};
    if (hi <= head) continue;
    const uint32_t done = q.source.restore_pattern(
        reinterpret_cast<uint8_t*>(pkts[i]) + q.data_offset,
        static_cast<uint32_t>(std::max(lo, head)), static_cast<uint32_t>(hi));
    frames += done != 0;
    bytes += done;
  }
  if (frames) {
    q.restored.add(frames);
    q.restored_bytes.add(bytes);
  }
}

// RX callback of the in-line source: fills the burst net_null handed out.
uint16_t fill_rx(uint16_t, uint16_t, rte_mbuf* pkts[], uint16_t nb, uint16_t, void* arg) {
  auto& q = *static_cast<SynthPort::RxQueue*>(arg);
  const uint64_t now = rte_rdtsc();
  uint16_t take = nb;
  if (q.per_cycle > 0.0) {
    if (q.t_start == 0) q.t_start = now;  // the first poll opens the tap
    uint64_t due = static_cast<uint64_t>(static_cast<double>(now - q.t_start) * q.per_cycle);
    if (q.limit && due > q.limit) due = q.limit;
    if (due > q.arrived) {
      const uint64_t fresh = due - q.arrived;
      const uint64_t room = q.ring_slots - (q.accepted - q.delivered);
      const uint64_t in = std::min(fresh, room);
      for (uint64_t j = 0; j < in; ++j)  // tail drop: the earliest arrivals get the slots
        q.arrival[(q.accepted + j) & q.arrival_mask] =
            q.t_start +
            static_cast<uint64_t>(static_cast<double>(q.arrived + j) * q.cycles_per_frame);
      q.accepted += in;
      if (fresh > in) q.missed.add(fresh - in);
      q.arrived = due;
    }
    take = static_cast<uint16_t>(std::min<uint64_t>(nb, q.accepted - q.delivered));
    build_frames<false, true>(q, pkts, take,
                              [&](uint16_t) { return q.arrival[q.delivered++ & q.arrival_mask]; });
  } else {
    if (q.limit) take = static_cast<uint16_t>(std::min<uint64_t>(nb, q.limit - q.cursor.index));
    build_frames<false, true>(q, pkts, take, [now](uint16_t) { return now; });
  }
  if (take < nb) rte_pktmbuf_free_bulk(pkts + take, nb - take);
  return take;
}

// RX callback of the generator-lcore source, the driver's half of a NIC: the
// burst's descriptors come from the ring and each mbuf's first line is written
// from its descriptor, in four stores as a vector RX path writes them. This
// lcore freed those mbufs last, so the line is usually still in its cache.
// As many empty mbufs go back to the generator, taken from this lcore's
// mempool cache as a driver refills its RX ring: the generator writes into a
// small set of buffers that stays in cache instead of cycling through the pool.
uint16_t take_ring(uint16_t, uint16_t, rte_mbuf* pkts[], uint16_t nb_rx, uint16_t max, void* arg) {
  auto& q = *static_cast<SynthPort::RxQueue*>(arg);
  if (unlikely(nb_rx)) rte_pktmbuf_free_bulk(pkts, nb_rx);  // refused at setup: no-rx=1
  constexpr uint64_t kOlFlags = RTE_MBUF_F_RX_RSS_HASH;
  RxDesc d[64];
  uint16_t n = 0;
  for (unsigned got = 64; got == 64 && n < max; n = static_cast<uint16_t>(n + got)) {
    got = q.ring->dequeue_burst(d, std::min<unsigned>(max - n, 64));
    for (unsigned i = 0; i < got; ++i) {
      auto* base = reinterpret_cast<uint8_t*>(d[i].m);
      const uint64_t type_len = uint64_t{d[i].len} << 32;              // packet_type 0, pkt_len
      const uint64_t len_hash = d[i].len | uint64_t{d[i].hash} << 32;  // data_len, vlan_tci 0, rss
      std::memcpy(base + offsetof(rte_mbuf, rearm_data), &q.rearm, 8);
      std::memcpy(base + offsetof(rte_mbuf, ol_flags), &kOlFlags, 8);
      std::memcpy(base + offsetof(rte_mbuf, rx_descriptor_fields1), &type_len, 8);
      std::memcpy(base + offsetof(rte_mbuf, rx_descriptor_fields1) + 8, &len_hash, 8);
      d[i].m->vlan_tci_outer = 0;
      pkts[n + i] = d[i].m;
    }
  }
  rte_mbuf* fresh[64];
  for (uint16_t done = 0; done < n;) {
    const unsigned chunk = std::min<unsigned>(n - done, 64);
    // Only this lcore produces into `refill`: the room seen is there.
    if (q.refill->free_count() < chunk ||
        rte_mempool_get_bulk(q.pool, reinterpret_cast<void**>(fresh), chunk) != 0)
      break;
    q.refill->enqueue_burst(fresh, chunk, nullptr);
    done = static_cast<uint16_t>(done + chunk);
  }
  return n;
}

constexpr uint16_t kGeneratorBurst = 32;

// PREFETCHW (any AMD64 CPU of the last decade; a no-op before Broadwell): the
// line comes in owned, ready for the stores, instead of shared and then
// upgraded. The build's -march predates it, so the compiler would not emit it.
inline void prefetch_for_write(const void* p) noexcept {
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
}

// A generator lcore: round-robin over its queues, a burst each while there is
// room (and, with rate=, frames due). With rate=, frames carry the enqueue
// time as their arrival stamp; without, the ring is kept full and a latency
// would only measure its length, so they carry none.
int generator_main(void* arg) {
  auto& g = *static_cast<SynthPort::Generator*>(arg);
  rte_mbuf* pkts[kGeneratorBurst];
  RxDesc desc[kGeneratorBurst];
  uint64_t t = rte_rdtsc();
  while (!g.stop.load(std::memory_order_relaxed)) {
    bool made = false, blocked = false;
    for (SynthPort::RxQueue* qp : g.queues) {
      auto& q = *qp;
      const unsigned room = q.ring->free_count();
      uint64_t want = kGeneratorBurst;
      if (q.per_cycle > 0.0) {
        if (q.t_start == 0) q.t_start = t;
        uint64_t due = static_cast<uint64_t>(static_cast<double>(t - q.t_start) * q.per_cycle);
        if (q.limit && due > q.limit) due = q.limit;
        uint64_t backlog = due - q.arrived;
        if (backlog > q.ring_slots) {  // a ring's worth behind: the source's own shortfall
          q.late.add(backlog - q.ring_slots);
          q.arrived += backlog - q.ring_slots;
          backlog = q.ring_slots;
        }
        if (backlog > room) {  // these found the RX ring full
          q.missed.add(backlog - room);
          q.arrived += backlog - room;
          backlog = room;
        }
        want = std::min<uint64_t>(want, backlog);
      } else if (q.limit) {
        want = std::min<uint64_t>(want, q.limit - q.cursor.index);
      }
      auto n = static_cast<uint16_t>(std::min<uint64_t>(want, room));
      // Unpaced, wait for room for a whole burst (or the whole ring, if
      // shorter), as a NIC sees its RX ring refilled in batches: a few slots
      // at a time would move the ring's index lines between the two lcores
      // for every few frames.
      if (q.per_cycle == 0.0 && n < want &&
          room < std::min<uint32_t>(kGeneratorBurst, q.ring_slots))
        n = 0;
      if (n == 0) {
        blocked |= want > 0;
        continue;
      }
      // The mbufs the polling lcore handed back first, the pool for the rest.
      const unsigned back = q.refill->dequeue_burst(pkts, n);
      if (back < n &&
          rte_mempool_get_bulk(q.pool, reinterpret_cast<void**>(pkts + back), n - back) != 0) {
        if (back) rte_mempool_put_bulk(q.pool, reinterpret_cast<void* const*>(pkts), back);
        q.nombuf.add(1);
        blocked = true;
        continue;
      }
      // The consumer's lcore touched these lines last: ask for them all at
      // once. The mbufs' own lines are not written here (take_ring does).
      for (uint16_t i = 0; i < n; ++i)
        prefetch_for_write(reinterpret_cast<uint8_t*>(pkts[i]) + q.data_offset);
      // Read after the mbufs were taken: an mbuf a payload-rewriting engine
      // freed was freed after the flag was set, so the flag is seen set.
      const bool head_only = q.keep_payload;
      if (head_only && q.payload_dirty->load(std::memory_order_acquire))
        restore_payloads(q, pkts, n);
      const uint64_t now = rte_rdtsc();
      if (q.per_cycle > 0.0)  // latency is only meaningful for offered loads
        build_frames<true, true>(
            q, pkts, n, [now](uint16_t) { return now; }, head_only, desc);
      else
        build_frames<true, false>(
            q, pkts, n, [now](uint16_t) { return now; }, head_only, desc);
      if (q.per_cycle > 0.0) q.arrived += n;
      // Single producer and `room` was free: the whole burst fits.
      q.ring->enqueue_burst(desc, n);
      g.frames.add(n);
      made = true;
    }
    const uint64_t now = rte_rdtsc();
    (made ? g.busy_cycles : blocked ? g.full_cycles : g.idle_cycles).add(now - t);
    t = now;
    if (!made) rte_pause();
  }
  return 0;
}

uint16_t drain_tx(uint16_t, uint16_t, rte_mbuf*[], uint16_t nb, void* arg) {
  auto& q = *static_cast<SynthPort::TxQueue*>(arg);
  const uint64_t now = rte_rdtsc();
  if (q.last == 0) q.last = now;
  q.tokens = std::min(q.cap, q.tokens + static_cast<double>(now - q.last) * q.per_cycle);
  q.last = now;
  const uint16_t take = static_cast<uint16_t>(std::min<double>(nb, q.tokens));
  q.tokens -= take;
  q.taken.add(take);
  if (take < nb) q.refused.add(nb - take);
  return take;  // the rest stays with the caller, as from a full TX ring
}

}  // namespace

SynthPort::SynthPort(uint16_t port, const TrafficSpec& spec, uint16_t rx_desc,
                     uint16_t mbuf_data_room, rte_mempool* pool)
    : port_(port), spec_(spec) {
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(port, &info) != 0)
    throw Error("--synth: port " + std::to_string(port) + " does not exist");
  char name[RTE_ETH_NAME_MAX_LEN] = "?";
  rte_eth_dev_get_name_by_port(port, name);
  if (std::string_view(info.driver_name) != "net_null")
    throw Error("--synth " + std::to_string(port) + ": port " + std::to_string(port) + " is " +
                name + " (" + info.driver_name +
                "); the synthetic source rides on a net_null vdev: add --vdev net_null" +
                std::to_string(port) + " before '--'");
  const uint16_t nb_rx = info.nb_rx_queues, nb_tx = info.nb_tx_queues;
  const int tsc_offset = runtime::rx_tsc_field_offset();
  const std::string where = "--synth " + std::to_string(port) + ": ";
  const bool generators = !spec.lcores.empty();
  if (generators) {
    if (spec.lcores.size() > nb_rx)
      throw Error(where + "lcore= names " + std::to_string(spec.lcores.size()) +
                  " generator lcores for " + std::to_string(nb_rx) +
                  " RX queue(s); one generator feeds one or more queues (fewer lcores, or more "
                  "forwarding lcores)");
    for (unsigned l : spec.lcores) {
      if (l >= RTE_MAX_LCORE || !rte_lcore_is_enabled(l) || l == rte_get_main_lcore())
        throw Error(where + "generator lcore " + std::to_string(l) +
                    " is not a worker lcore of the EAL (give it in -l/--lcores; not the main "
                    "lcore)");
      if (rte_eal_get_lcore_state(l) != WAIT)
        throw Error(where + "generator lcore " + std::to_string(l) + " is busy");
    }
    // net_null must hand out nothing itself, or every poll would allocate and
    // free a burst of empty mbufs on the forwarding lcore.
    rte_mbuf* probe[1];
    if (rte_eth_rx_burst(port, 0, probe, 1) != 0) {
      rte_pktmbuf_free(probe[0]);
      throw Error(where + "lcore= needs a net_null vdev that makes no frames of its own: --vdev " +
                  name + ",no-rx=1");
    }
  }
  for (uint16_t q = 0; q < nb_rx; ++q) {
    auto rq = std::make_unique<RxQueue>(spec, q, nb_rx);
    if (rq->source.max_frame() > mbuf_data_room)
      throw Error("--synth " + std::to_string(port) + ": frames up to " +
                  std::to_string(rq->source.max_frame()) + " B do not fit mbufs of " +
                  std::to_string(mbuf_data_room) + " B (raise --mbuf-size)");
    rq->limit = spec.count;
    rq->keep_payload = needs_own_pool(spec) && rq->source.head_bytes() <= mbuf_data_room;
    if (spec.bank) {
      // Generators that keep the fill pattern copy only each frame's header
      // lines: a bank of those alone stays in cache (512 KiB for 8192 frames
      // with 64-byte heads, instead of 12 MiB of 1500-byte frames).
      const uint32_t keep = rq->keep_payload ? rq->source.head_bytes() : 0;
      rq->bank_stride = keep ? keep : RTE_ALIGN_CEIL(rq->source.max_frame(), 64u);
      if (uint64_t{spec.bank} * rq->bank_stride > (256ull << 20))
        throw Error("--synth " + std::to_string(port) + ": bank=" + std::to_string(spec.bank) +
                    " frames of up to " + std::to_string(rq->source.max_frame()) +
                    " B exceed 256 MiB per queue (lower bank or size)");
      rq->bank.resize(uint64_t{spec.bank} * rq->bank_stride);
      rq->bank_len.resize(spec.bank);
      rq->bank_hash.resize(spec.bank);
      rq->bank_invalid.resize(spec.bank);
      auto cur = rq->source.cursor_at(0);
      FrameInfo fi;
      std::vector<uint8_t> whole(keep ? rq->source.max_frame() : 0);
      for (uint32_t b = 0; b < spec.bank; ++b, rq->source.advance(cur)) {
        uint8_t* slot = &rq->bank[uint64_t{b} * rq->bank_stride];
        rq->bank_len[b] = rq->source.build(cur, keep ? whole.data() : slot, &fi);
        if (keep) std::memcpy(slot, whole.data(), std::min<uint32_t>(keep, rq->bank_len[b]));
        rq->bank_hash[b] = fi.hash;
        rq->bank_invalid[b] = fi.kind != InvalidKind::kNone;
      }
    }
    rq->tsc_offset = tsc_offset;
    rq->port = port;
    rq->ring_slots = spec.ring ? spec.ring : rx_desc;  // modelled (inline) or real (generators)
    if (spec.rate) {
      const double hz = static_cast<double>(rte_get_tsc_hz());
      rq->per_cycle = static_cast<double>(spec.rate) / hz;
      rq->cycles_per_frame = hz / static_cast<double>(spec.rate);
      if (!generators) {
        rq->arrival.assign(rte_align32pow2(rq->ring_slots), 0);
        rq->arrival_mask = rq->arrival.size() - 1;
      }
    }
    if (generators) {
      const std::string ring_name = "dp_synth" + std::to_string(port) + "_" + std::to_string(q);
      const int socket = std::max(rte_eth_dev_socket_id(port), SOCKET_ID_ANY);
      rq->ring = std::make_unique<runtime::ElemRing<RxDesc>>(ring_name, rq->ring_slots, socket,
                                                             true, true);
      rq->refill = std::make_unique<runtime::Ring>(ring_name + "_refill", rq->ring_slots, socket,
                                                   true, true);
      rq->pool = pool;
      rq->data_offset = static_cast<uint32_t>(sizeof(rte_mbuf) + rte_pktmbuf_priv_size(pool) +
                                              RTE_PKTMBUF_HEADROOM);
      rte_mbuf fresh{};  // what a raw mbuf's first 8 bytes of rearm data must say
      fresh.data_off = RTE_PKTMBUF_HEADROOM;
      rte_mbuf_refcnt_set(&fresh, 1);
      fresh.nb_segs = 1;
      fresh.port = port;
      std::memcpy(&rq->rearm, &fresh.rearm_data, 8);
      if (rte_mbuf* m = rte_pktmbuf_alloc(pool)) {  // the layout rte_pktmbuf_init gives
        const bool inline_buffer = static_cast<uint8_t*>(m->buf_addr) + RTE_PKTMBUF_HEADROOM ==
                                   reinterpret_cast<uint8_t*>(m) + rq->data_offset;
        rte_pktmbuf_free(m);
        if (!inline_buffer)
          throw Error(where + "lcore= needs a mempool whose buffers follow their mbufs");
      }
    }
    rq->payload_dirty = &payload_dirty_;
    if (rq->keep_payload) rq->rewritten_flag = runtime::payload_rewritten_flag();
    const void* cb = rte_eth_add_rx_callback(port, q, generators ? take_ring : fill_rx, rq.get());
    if (!cb)
      throw Error("--synth " + std::to_string(port) + ": cannot add an RX callback to queue " +
                  std::to_string(q) + " (" + rte_strerror(rte_errno) + ")");
    rx_cbs_.push_back(cb);
    rx_.push_back(std::move(rq));
  }
  if (spec.tx_rate)
    for (uint16_t q = 0; q < nb_tx; ++q) {
      auto tq = std::make_unique<TxQueue>();
      tq->per_cycle = static_cast<double>(spec.tx_rate) / static_cast<double>(rte_get_tsc_hz());
      tq->cap = 64;  // a short burst's worth of credit
      const void* cb = rte_eth_add_tx_callback(port, q, drain_tx, tq.get());
      if (!cb)
        throw Error("--synth " + std::to_string(port) + ": cannot add a TX callback to queue " +
                    std::to_string(q) + " (" + rte_strerror(rte_errno) + ")");
      tx_cbs_.push_back(cb);
      tx_.push_back(std::move(tq));
    }
  if (needs_own_pool(spec) && !rx_.empty()) {  // every buffer holds the pattern from the start
    struct Fill {
      const FrameSource* source;
      uint32_t data_offset;
    } fill{&rx_[0]->source, rx_[0]->data_offset};
    rte_mempool_obj_iter(
        pool,
        [](rte_mempool*, void* arg, void* obj, unsigned) {
          const auto& f = *static_cast<const Fill*>(arg);
          f.source->fill_buffer(static_cast<uint8_t*>(obj) + f.data_offset);
        },
        &fill);
  }
  for (size_t i = 0; i < spec.lcores.size(); ++i) {
    auto g = std::make_unique<Generator>();
    g->lcore = spec.lcores[i];
    for (size_t q = i; q < rx_.size(); q += spec.lcores.size())
      g->queues.push_back(rx_[q].get());
    gens_.push_back(std::move(g));
  }
}

void SynthPort::start_generators() {
  for (auto& g : gens_) {
    g->stop.store(false);
    const int rc = rte_eal_remote_launch(generator_main, g.get(), g->lcore);
    if (rc != 0)
      throw Error("--synth " + std::to_string(port_) + ": cannot launch generator lcore " +
                  std::to_string(g->lcore) + " (" + rte_strerror(-rc) + ")");
    g->launched = true;
  }
}

void SynthPort::stop_generators() noexcept {
  for (auto& g : gens_)
    g->stop.store(true, std::memory_order_relaxed);
  for (auto& g : gens_)
    if (g->launched) {
      rte_eal_wait_lcore(g->lcore);
      g->launched = false;
    }
  for (auto& q : rx_)
    if (q->ring) flushed_.fetch_add(q->free_queued(), std::memory_order_relaxed);
}

SynthPort::~SynthPort() {
  stop_generators();
  for (size_t q = 0; q < rx_cbs_.size(); ++q)
    if (rte_eth_remove_rx_callback(port_, static_cast<uint16_t>(q),
                                   static_cast<const rte_eth_rxtx_callback*>(rx_cbs_[q])) == 0)
      rte_free(const_cast<void*>(rx_cbs_[q]));  // no lcore polls any more
  for (size_t q = 0; q < tx_cbs_.size(); ++q)
    if (rte_eth_remove_tx_callback(port_, static_cast<uint16_t>(q),
                                   static_cast<const rte_eth_rxtx_callback*>(tx_cbs_[q])) == 0)
      rte_free(const_cast<void*>(tx_cbs_[q]));
}

SynthStats SynthPort::stats() const noexcept {
  SynthStats s;
  for (const auto& q : rx_) {
    // Queued before generated: generated - queued then never runs below zero.
    const uint64_t queued = q->ring ? q->ring->count() : 0;
    const uint64_t generated = q->generated.load();
    s.generated += generated;
    s.delivered += generated - queued;
    s.bytes += q->bytes.load();
    s.missed += q->missed.load();
    s.invalid += q->invalid.load();
    s.late += q->late.load();
    s.nombuf += q->nombuf.load();
    s.head_only += q->head_only.load();
    s.restored += q->restored.load();
    s.restored_bytes += q->restored_bytes.load();
  }
  s.flushed = flushed_.load(std::memory_order_relaxed);
  s.delivered -= s.flushed;
  for (const auto& q : tx_) {
    s.tx_taken += q->taken.load();
    s.tx_refused += q->refused.load();
  }
  const double hz = static_cast<double>(rte_get_tsc_hz());
  for (const auto& g : gens_) {
    const double busy = static_cast<double>(g->busy_cycles.load()) / hz;
    if (busy > 0) s.mpps_alone += static_cast<double>(g->frames.load()) / busy / 1e6;
    s.busy_s += busy;
    s.full_s += static_cast<double>(g->full_cycles.load()) / hz;
    s.idle_s += static_cast<double>(g->idle_cycles.load()) / hz;
  }
  s.generator_lcores = static_cast<unsigned>(gens_.size());
  return s;
}

std::string SynthPort::describe_stats() const {
  const SynthStats st = stats();
  std::string s = "synthetic port " + std::to_string(port_) + ": generated " +
                  std::to_string(st.generated) + " frames (" + std::to_string(st.bytes) + " B, " +
                  std::to_string(st.invalid) + " invalid on purpose), missed " +
                  std::to_string(st.missed) +
                  (spec_.tx_rate ? ", sink took " + std::to_string(st.tx_taken) + " refused " +
                                       std::to_string(st.tx_refused)
                                 : std::string()) +
                  "\n";
  if (!st.generator_lcores) return s;
  // What the generator lcores did: their rate alone (frames per busy second)
  // and how long they waited on full rings (the consumer was the bottleneck).
  const double total = st.busy_s + st.full_s + st.idle_s;
  auto pct = [&](double x) { return total > 0 ? 100.0 * x / total : 0.0; };
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "synthetic port %u: %u generator lcore(s): %.2f Mpps alone (busy %.3f s), ring "
                "full %.1f%%, idle %.1f%% of their time; delivered %llu, flushed %llu at stop",
                port_, st.generator_lcores, st.mpps_alone, st.busy_s, pct(st.full_s),
                pct(st.idle_s), static_cast<unsigned long long>(st.delivered),
                static_cast<unsigned long long>(st.flushed));
  s += buf;
  if (st.late)
    s += ", late " + std::to_string(st.late) +
         " (the generators could not keep up with rate=; fewer frames were offered)";
  if (st.nombuf) s += ", " + std::to_string(st.nombuf) + " bursts found no mbufs";
  if (spec_.payload == PayloadModel::kFill) {
    s += "; payload already in place in " + std::to_string(st.head_only) + " frames";
    if (st.restored)
      s += " (" + std::to_string(st.restored) + " had " +
           std::to_string(st.restored_bytes / st.restored) +
           " B per frame put back after an engine rewrote them)";
  }
  return s + "\n";
}

void SynthPort::write_json(JsonWriter& w) const {
  const SynthStats st = stats();
  w.begin_object();
  w.value("port", unsigned{port_}).value("spec", spec_.describe());
  w.value("generated", st.generated).value("bytes", st.bytes).value("missed", st.missed);
  w.value("invalid", st.invalid).value("tx_taken", st.tx_taken);
  w.value("tx_refused", st.tx_refused);
  if (st.generator_lcores) {
    w.value("generator_lcores", st.generator_lcores).value("delivered", st.delivered);
    w.value("flushed", st.flushed).value("late", st.late).value("nombuf", st.nombuf);
    w.value("head_only", st.head_only).value("restored", st.restored);
    w.value("restored_bytes", st.restored_bytes);
    w.value("generator_busy_s", st.busy_s).value("generator_full_s", st.full_s);
    w.value("generator_idle_s", st.idle_s);
    w.value("generator_mpps_alone", st.mpps_alone);
  }
  w.end_object();
}

}  // namespace deltaplane::drivers::synth
