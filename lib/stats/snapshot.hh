// A consistent-enough copy of all counters taken by the control lcore, and the
// reports built from it: periodic stats, the final table, the JSON summary and
// the accounting invariant rx + split = tx + merged + sum(drops) + held.
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

// A port's counters: what deltaplane's lcores saw, then what the device
// reports (rte_eth_stats); frames the NIC dropped before we saw them
// (imissed, rx_nombuf) are outside the invariant and shown apart.
#define DELTAPLANE_PORT_COUNTERS(X) \
  X(rx_packets)                     \
  X(rx_bytes)                       \
  X(tx_packets)                     \
  X(tx_bytes)                       \
  X(hw_ipackets)                    \
  X(hw_opackets)                    \
  X(hw_imissed)                     \
  X(hw_ierrors)                     \
  X(hw_oerrors)                     \
  X(hw_rx_nombuf)

struct PortSnapshot {
  uint16_t port = 0;
  std::string name;
  int socket = -1;
#define DELTAPLANE_X(name) uint64_t name = 0;
  DELTAPLANE_PORT_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
};

// Sums of an lcore's (or all lcores') DELTAPLANE_LCORE_COUNTERS.
struct LcoreTotals {
#define DELTAPLANE_X(name, help) uint64_t name = 0;
  DELTAPLANE_LCORE_COUNTERS(DELTAPLANE_X)
#undef DELTAPLANE_X
  void add(const LcoreCounters& c) noexcept;
  void add(const LcoreTotals& t) noexcept;
  void subtract(const LcoreTotals& t) noexcept;
};

struct LcoreSnapshot {
  unsigned lcore = 0;
  int socket = -1;
  uint64_t rx_packets = 0, tx_packets = 0, drops = 0;
  LcoreTotals counters;
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
  uint32_t version = 1;                   // wire format

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
  uint64_t held = 0;   // frames inside deltaplane (rings, buffers); 0 at exit
  LcoreTotals totals;  // every lcore's counters summed

  uint64_t rx_packets() const noexcept;
  uint64_t tx_packets() const noexcept;
  uint64_t rx_bytes() const noexcept;
  uint64_t tx_bytes() const noexcept;
  uint64_t dropped() const noexcept;
};

// Counters of `now` minus those of `base` (what a counter reset shows); a
// snapshot of another shape (ports or lcores changed) is returned as it is.
Snapshot subtract(const Snapshot& now, const Snapshot& base);

// Adds one lcore's counters: per-lcore figures, drops, and each stream's
// frames and bytes to its RX and TX ports (found by id in s.ports). An lcore
// already listed (the two halves of a pipeline I/O lcore) is merged into it.
struct StreamView {
  uint16_t rx_port, tx_port;
  const StreamCounters* counters;
};
void add_lcore(Snapshot& s, unsigned lcore, int socket, const LcoreCounters& c,
               const StreamView* streams, size_t nb_streams);

// A codec packs several frames into one tunnel packet (merged) and restores
// several from one (split): rx + split = tx + merged + dropped + held.
struct Accounting {
  uint64_t rx = 0, tx = 0, dropped = 0, held = 0, merged = 0, split = 0;
  bool balanced() const noexcept { return rx + split == tx + merged + dropped + held; }
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
