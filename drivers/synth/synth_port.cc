#include "synth/synth_port.hh"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "base/error.hh"
#include "runtime/rx_timestamp.hh"
#include "stats/counters.hh"

namespace deltaplane::drivers::synth {

// One RX queue's generator, touched only by the lcore polling the queue.
struct alignas(64) SynthPort::RxQueue {
  RxQueue(const TrafficSpec& spec, uint16_t queue, uint16_t nb_queues)
      : source(spec, queue, nb_queues) {}
  FrameSource source;
  FrameSource::Cursor cursor;
  uint64_t limit = 0;  // arrivals (rate) or frames (no rate) before silence; 0 = endless
  int tsc_offset = -1;
  // Rate model: arrivals since t_start at `per_cycle` frames per TSC cycle;
  // those that found a free slot wait in `arrival` (their arrival TSC).
  double per_cycle = 0.0;
  double cycles_per_frame = 0.0;
  uint64_t t_start = 0;
  uint64_t arrived = 0, accepted = 0, delivered = 0;
  uint32_t ring = 0;
  std::vector<uint64_t> arrival;  // power-of-two size >= ring
  uint64_t arrival_mask = 0;
  // Bank mode (bank=N): the first N frames built once, replayed in a cycle.
  std::vector<uint8_t> bank;  // frame b at b * bank_stride
  std::vector<uint16_t> bank_len;
  std::vector<uint32_t> bank_hash;
  std::vector<uint8_t> bank_invalid;
  uint32_t bank_stride = 0, bank_next = 0;
  stats::Counter generated, bytes, missed, invalid;
};

struct alignas(64) SynthPort::TxQueue {
  double per_cycle = 0.0;  // frames per TSC cycle
  double tokens = 0.0, cap = 0.0;
  uint64_t last = 0;
  stats::Counter taken, refused;
};

namespace {

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
      const uint64_t room = q.ring - (q.accepted - q.delivered);
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
  } else if (q.limit) {
    take = static_cast<uint16_t>(std::min<uint64_t>(nb, q.limit - q.cursor.index));
  }
  uint64_t bytes = 0, invalid = 0;
  auto finish = [&](rte_mbuf* m, uint16_t len, uint32_t hash) {
    m->data_len = len;
    m->pkt_len = len;
    m->hash.rss = hash;
    m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
    runtime::rx_tsc(m, q.tsc_offset) =
        q.per_cycle > 0.0 ? q.arrival[q.delivered++ & q.arrival_mask] : now;
    bytes += len;
  };
  if (!q.bank_len.empty()) {
    const uint32_t size = static_cast<uint32_t>(q.bank_len.size());
    for (uint16_t i = 0; i < take; ++i) {
      const uint32_t b = q.bank_next;
      std::memcpy(rte_pktmbuf_mtod(pkts[i], uint8_t*), &q.bank[size_t{b} * q.bank_stride],
                  q.bank_len[b]);
      finish(pkts[i], q.bank_len[b], q.bank_hash[b]);
      invalid += q.bank_invalid[b];
      q.bank_next = b + 1 == size ? 0 : b + 1;
    }
    q.cursor.index += take;  // counts frames for count=
  } else {
    FrameInfo info;
    for (uint16_t i = 0; i < take; ++i) {
      const uint16_t len = q.source.build(q.cursor, rte_pktmbuf_mtod(pkts[i], uint8_t*), &info);
      q.source.advance(q.cursor);
      finish(pkts[i], len, info.hash);
      invalid += info.kind != InvalidKind::kNone;
    }
  }
  if (take < nb) rte_pktmbuf_free_bulk(pkts + take, nb - take);
  q.generated.add(take);
  q.bytes.add(bytes);
  if (invalid) q.invalid.add(invalid);
  return take;
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
                     uint16_t mbuf_data_room)
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
  for (uint16_t q = 0; q < nb_rx; ++q) {
    auto rq = std::make_unique<RxQueue>(spec, q, nb_rx);
    if (rq->source.max_frame() > mbuf_data_room)
      throw Error("--synth " + std::to_string(port) + ": frames up to " +
                  std::to_string(rq->source.max_frame()) + " B do not fit mbufs of " +
                  std::to_string(mbuf_data_room) + " B (raise --mbuf-size)");
    rq->limit = spec.count;
    if (spec.bank) {
      rq->bank_stride = RTE_ALIGN_CEIL(rq->source.max_frame(), 64u);
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
      for (uint32_t b = 0; b < spec.bank; ++b, rq->source.advance(cur)) {
        rq->bank_len[b] = rq->source.build(cur, &rq->bank[uint64_t{b} * rq->bank_stride], &fi);
        rq->bank_hash[b] = fi.hash;
        rq->bank_invalid[b] = fi.kind != InvalidKind::kNone;
      }
    }
    rq->tsc_offset = tsc_offset;
    if (spec.rate) {
      const double hz = static_cast<double>(rte_get_tsc_hz());
      rq->per_cycle = static_cast<double>(spec.rate) / hz;
      rq->cycles_per_frame = hz / static_cast<double>(spec.rate);
      rq->ring = spec.ring ? spec.ring : rx_desc;
      rq->arrival.assign(rte_align32pow2(rq->ring), 0);
      rq->arrival_mask = rq->arrival.size() - 1;
    }
    const void* cb = rte_eth_add_rx_callback(port, q, fill_rx, rq.get());
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
}

SynthPort::~SynthPort() {
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
    s.generated += q->generated.load();
    s.bytes += q->bytes.load();
    s.missed += q->missed.load();
    s.invalid += q->invalid.load();
  }
  for (const auto& q : tx_) {
    s.tx_taken += q->taken.load();
    s.tx_refused += q->refused.load();
  }
  return s;
}

}  // namespace deltaplane::drivers::synth
