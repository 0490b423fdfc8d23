// A consistent-enough copy of all counters taken by the control lcore, and the
// reports built from it: periodic stats, the final table, the JSON summary and
// the accounting invariant rx = tx + sum(drops) + held.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/json.hh"
#include "stats/counters.hh"
#include "stats/drop_reason.hh"
#include "stats/histogram.hh"

namespace deltaplane::stats {

struct PortSnapshot {
  uint16_t port = 0;
  std::string name;
  int socket = -1;
  // What deltaplane's lcores saw.
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  // What the device reports (rte_eth_stats); frames the NIC dropped before we
  // saw them (imissed, rx_nombuf) are outside the invariant and shown apart.
  uint64_t hw_ipackets = 0, hw_opackets = 0, hw_imissed = 0, hw_ierrors = 0, hw_oerrors = 0,
           hw_rx_nombuf = 0;
};

struct LcoreSnapshot {
  unsigned lcore = 0;
  int socket = -1;
  uint64_t rx_packets = 0, tx_packets = 0, drops = 0, polls = 0, empty_polls = 0;
};

struct PoolSnapshot {
  std::string name;
  int socket = -1;
  uint64_t size = 0, in_use = 0;
};

struct CodecSnapshot {
#define DELTAPLANE_X(name, help) uint64_t name = 0;
  DELTAPLANE_CODEC_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
  uint64_t enc_flows = 0, dec_flows = 0;  // current table occupancy
  uint64_t flow_capacity = 0;             // per lcore and table
  bool active = false;                    // a codec engine runs

  void add(const CodecCounters& c) noexcept;
  // original bytes / wire bytes of the encoder (1.0 when nothing passed)
  double encoder_ratio() const noexcept;
};

struct RingSnapshot {
  std::string name;
  std::string sync;  // "SP/SC" or "MP/SC"
  uint64_t capacity = 0, count = 0, high_water = 0, enqueued = 0, full_events = 0, dropped = 0;
};

struct StageLatency {
  std::string stage;  // "rx_to_worker", "rx_to_tx" (end to end)
  LatencySummary ns;  // percentiles in nanoseconds
};

struct Snapshot {
  double elapsed_s = 0;
  std::vector<RingSnapshot> rings;    // pipeline model only
  std::vector<StageLatency> latency;  // pipeline model only
  CodecSnapshot codec;
  std::vector<PoolSnapshot> pools;
  std::vector<PortSnapshot> ports;
  std::vector<LcoreSnapshot> lcores;
  std::array<uint64_t, kDropReasonCount> drops{};
  uint64_t held = 0;  // frames inside deltaplane (rings, buffers); 0 at exit
  uint64_t cycles_rx = 0, cycles_engine = 0, cycles_tx = 0, cycles_packets = 0;  // --cycles
  uint64_t csum_offloaded = 0;
  uint64_t csum_ipv4_checked = 0, csum_ipv4_fixed = 0, csum_l4_checked = 0, csum_l4_fixed = 0;

  uint64_t rx_packets() const noexcept;
  uint64_t tx_packets() const noexcept;
  uint64_t rx_bytes() const noexcept;
  uint64_t tx_bytes() const noexcept;
  uint64_t dropped() const noexcept;
};

struct Accounting {
  uint64_t rx = 0, tx = 0, dropped = 0, held = 0;
  bool balanced() const noexcept { return rx == tx + dropped + held; }
  std::string describe() const;
};
Accounting account(const Snapshot& s) noexcept;

// One periodic block: per port and per lcore, rates over [prev, now].
std::string format_periodic(const Snapshot& now, const Snapshot& prev);
// The final accumulated summary as a human table.
std::string format_summary(const Snapshot& s);
// The same as JSON (an object written into `w` under `key`).
void write_summary_json(JsonWriter& w, const Snapshot& s);

}  // namespace deltaplane::stats
