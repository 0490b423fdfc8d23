// The in-process WAN link of --wire (wire_spec.hh): two net_ring ports made
// with rte_eth_from_rings, crossed so that what port A sends port B receives
// and the other way round; every TX queue of a port feeds its direction's one
// ring (multi-producer), which the peer's RX queue 0 drains. Impairments are
// applied by an RX callback on each end as frames arrive.
//
// Two owners, for the order in which main tears down: `Wire` (rings and
// ports; lives longer than the EthPort owners, which close the ports) and
// `WireTaps` (the RX callbacks; installed after the ports are started and
// removed before they are closed).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "stats/audit.hh"
#include "wire/wire_spec.hh"

struct rte_ring;

namespace deltaplane::drivers::wire {

// What one direction's impairments did (single writer: the lcore polling it).
struct DirectionStats {
  uint64_t frames = 0;  // frames that came off the wire, before impairment
  uint64_t lost = 0, flipped = 0, duplicated = 0, swapped = 0;
  uint64_t dup_failed = 0;  // duplicates that found no mbuf or no room in the burst
};

class Wire {
 public:
  // Creates the rings and the two ports (the next free port ids).
  Wire(const WireSpec& spec, int socket);
  ~Wire();
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;

  uint16_t port_a() const noexcept { return port_a_; }
  uint16_t port_b() const noexcept { return port_b_; }
  const WireSpec& spec() const noexcept { return spec_; }
  uint64_t in_flight() const noexcept;  // frames on the wire now, both directions

 private:
  WireSpec spec_;
  rte_ring* a_to_b_ = nullptr;
  rte_ring* b_to_a_ = nullptr;
  uint16_t port_a_ = 0, port_b_ = 0;
};

class WireTaps {
 public:
  explicit WireTaps(const Wire& wire);  // after both ports are started; throws Error
  ~WireTaps();
  WireTaps(const WireTaps&) = delete;
  WireTaps& operator=(const WireTaps&) = delete;

  DirectionStats a_to_b() const noexcept;  // impairments of frames arriving at port B
  DirectionStats b_to_a() const noexcept;
  stats::WanLinkReport report() const noexcept;  // both directions, and what is still on the wire

  struct Tap;  // wire.cc

 private:
  std::unique_ptr<Tap> at_b_, at_a_;
  const void* cb_b_ = nullptr;
  const void* cb_a_ = nullptr;
  const Wire& wire_;
  uint16_t port_a_, port_b_;
};

}  // namespace deltaplane::drivers::wire
