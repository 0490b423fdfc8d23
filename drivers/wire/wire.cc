#include "wire/wire.hh"

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <array>

#include "base/error.hh"

namespace deltaplane::drivers::wire {

namespace {
// Queues each ring port offers; every one of a direction maps to its one ring,
// so whatever queue counts the placement configures, no frame is stranded.
constexpr unsigned kQueues = 16;

struct Counter {  // single writer (the polling lcore), read by the control lcore
  std::atomic<uint64_t> v{0};
  void add(uint64_t n) noexcept {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t load() const noexcept { return v.load(std::memory_order_relaxed); }
};
}  // namespace

struct WireTaps::Tap {
  explicit Tap(const WireSpec& s, uint64_t stream) : impairer(s, stream) {}
  Impairer impairer;
  Counter frames, lost, flipped, duplicated, swapped, dup_failed;
};

Wire::Wire(const WireSpec& spec, int socket) : spec_(spec) {
  const int sock = socket < 0 ? SOCKET_ID_ANY : socket;
  // Many TX queues (one per sending lcore) enqueue; RX queue 0 of the peer
  // dequeues. The other RX queues map to the same ring and stay empty unless
  // polled; give the wire's ports one RX queue (--rxq 1).
  a_to_b_ = rte_ring_create("dp_wire_ab", spec.ring, sock, RING_F_SC_DEQ);
  b_to_a_ = rte_ring_create("dp_wire_ba", spec.ring, sock, RING_F_SC_DEQ);
  if (!a_to_b_ || !b_to_a_) {
    rte_ring_free(a_to_b_);
    rte_ring_free(b_to_a_);
    throw Error(std::string("--wire: cannot create its rings (") + rte_strerror(rte_errno) + ")");
  }
  std::array<rte_ring*, kQueues> ab, ba;
  ab.fill(a_to_b_);
  ba.fill(b_to_a_);
  const int a = rte_eth_from_rings("wire_a", ba.data(), kQueues, ab.data(), kQueues,
                                   static_cast<unsigned>(sock < 0 ? 0 : sock));
  const int b = a < 0 ? -1
                      : rte_eth_from_rings("wire_b", ab.data(), kQueues, ba.data(), kQueues,
                                           static_cast<unsigned>(sock < 0 ? 0 : sock));
  if (a < 0 || b < 0) {
    if (a >= 0) rte_eth_dev_close(static_cast<uint16_t>(a));
    rte_ring_free(a_to_b_);
    rte_ring_free(b_to_a_);
    throw Error(std::string("--wire: cannot create its ports (") + rte_strerror(rte_errno) + ")");
  }
  port_a_ = static_cast<uint16_t>(a);
  port_b_ = static_cast<uint16_t>(b);
}

uint64_t Wire::in_flight() const noexcept {
  return rte_ring_count(a_to_b_) + rte_ring_count(b_to_a_);
}

Wire::~Wire() {
  // The EthPort owners closed the ports; mbufs still on the wire go back to
  // their pool before the rings go.
  for (rte_ring* r : {a_to_b_, b_to_a_}) {
    void* m;
    while (rte_ring_dequeue(r, &m) == 0)
      rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(r);
  }
}

namespace {

// Applies one direction's impairments to a burst as it comes off the wire.
uint16_t impair(uint16_t, uint16_t, rte_mbuf** pkts, uint16_t n, uint16_t max_pkts,
                void* arg) noexcept {
  auto& t = *static_cast<WireTaps::Tap*>(arg);
  t.frames.add(n);
  uint16_t kept = 0;
  rte_mbuf* extra[64];
  uint16_t nb_extra = 0;
  uint64_t lost = 0, flipped = 0, dups = 0, swapped = 0, dup_failed = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const Fate f = t.impairer.next(m->pkt_len);
    if (f.lost) {
      rte_pktmbuf_free(m);
      ++lost;
      continue;
    }
    if (f.flipped && m->nb_segs == 1) {
      rte_pktmbuf_mtod(m, uint8_t*)[f.bit / 8] ^= static_cast<uint8_t>(1u << (f.bit % 8));
      ++flipped;
    }
    pkts[kept++] = m;
    if (f.duplicated) {
      rte_mbuf* c = nb_extra < 64 ? rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX) : nullptr;
      if (c) {
        extra[nb_extra++] = c;
        ++dups;
      } else {
        ++dup_failed;
      }
    }
    if (f.swapped && kept >= 2) {
      std::swap(pkts[kept - 1], pkts[kept - 2]);
      ++swapped;
    }
  }
  for (uint16_t i = 0; i < nb_extra; ++i) {  // duplicates arrive after their burst
    if (kept < max_pkts) {
      pkts[kept++] = extra[i];
    } else {
      rte_pktmbuf_free(extra[i]);
      --dups;
      ++dup_failed;
    }
  }
  t.lost.add(lost);
  t.flipped.add(flipped);
  t.duplicated.add(dups);
  t.swapped.add(swapped);
  t.dup_failed.add(dup_failed);
  return kept;
}

DirectionStats read(const WireTaps::Tap* t) noexcept {
  DirectionStats s;
  if (!t) return s;
  s.frames = t->frames.load();
  s.lost = t->lost.load();
  s.flipped = t->flipped.load();
  s.duplicated = t->duplicated.load();
  s.swapped = t->swapped.load();
  s.dup_failed = t->dup_failed.load();
  return s;
}

}  // namespace

WireTaps::WireTaps(const Wire& wire) : wire_(wire), port_a_(wire.port_a()), port_b_(wire.port_b()) {
  if (!wire.spec().impaired()) return;
  at_b_ = std::make_unique<Tap>(wire.spec(), 0);
  at_a_ = std::make_unique<Tap>(wire.spec(), 1);
  cb_b_ = rte_eth_add_rx_callback(port_b_, 0, impair, at_b_.get());
  cb_a_ = rte_eth_add_rx_callback(port_a_, 0, impair, at_a_.get());
  if (!cb_a_ || !cb_b_)
    throw Error(std::string("--wire: cannot add its RX callbacks (") + rte_strerror(rte_errno) +
                ")");
}

WireTaps::~WireTaps() {
  // No lcore polls any more: the callbacks can be freed at once.
  if (cb_b_ &&
      rte_eth_remove_rx_callback(port_b_, 0, static_cast<const rte_eth_rxtx_callback*>(cb_b_)) == 0)
    rte_free(const_cast<void*>(cb_b_));
  if (cb_a_ &&
      rte_eth_remove_rx_callback(port_a_, 0, static_cast<const rte_eth_rxtx_callback*>(cb_a_)) == 0)
    rte_free(const_cast<void*>(cb_a_));
}

DirectionStats WireTaps::a_to_b() const noexcept {
  return read(at_b_.get());
}
DirectionStats WireTaps::b_to_a() const noexcept {
  return read(at_a_.get());
}

stats::WanLinkReport WireTaps::report() const noexcept {
  stats::WanLinkReport r;
  for (const auto& d : {a_to_b(), b_to_a()}) {
    r.carried += d.frames;
    r.lost += d.lost;
    r.flipped += d.flipped;
    r.duplicated += d.duplicated;
    r.reordered += d.swapped;
  }
  r.in_flight = wire_.in_flight();
  return r;
}

}  // namespace deltaplane::drivers::wire
