// The synthetic traffic source and sink as a port: rides on a net_null vdev
// (which hands out mbufs from the port's own mempool and frees what is sent)
// through ethdev RX/TX callbacks, so every engine, model and tool sees an
// ordinary ethdev port and nothing in the data path knows about it.
//
// RX: each polled burst is filled with FrameSource frames. With rate=R, frames
// "arrive" at R per second per queue into a modelled RX ring of `ring` slots
// (default: the port's RX descriptors); a poll takes what arrived, arrivals
// that find the ring full are lost and counted as missed (the port's imissed),
// as on a NIC whose queue the application does not drain in time. Each frame
// carries its arrival TSC (runtime/rx_timestamp.hh), so latency includes the
// time it waited in the ring.
// TX (tx-rate=R): a token bucket takes at most R frames per second per queue;
// the rest are refused, so the application sees a slow link.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "synth/frame_source.hh"
#include "synth/traffic_spec.hh"

namespace deltaplane::drivers::synth {

struct SynthStats {
  uint64_t generated = 0;   // frames handed to the application
  uint64_t bytes = 0;       // their bytes
  uint64_t missed = 0;      // arrivals lost to a full modelled RX ring
  uint64_t tx_taken = 0;    // frames the sink accepted
  uint64_t tx_refused = 0;  // frames the sink refused (tx-rate)
  uint64_t invalid = 0;     // frames made invalid on purpose
};

class SynthPort {
 public:
  // Installs the callbacks on every RX (and, with tx-rate, TX) queue of a
  // started net_null port. Throws Error when the port is not net_null or a
  // frame would not fit the mbufs.
  SynthPort(uint16_t port, const TrafficSpec& spec, uint16_t rx_desc, uint16_t mbuf_data_room);
  ~SynthPort();  // removes the callbacks; the port's lcores must have stopped
  SynthPort(const SynthPort&) = delete;
  SynthPort& operator=(const SynthPort&) = delete;

  uint16_t port() const noexcept { return port_; }
  const TrafficSpec& spec() const noexcept { return spec_; }
  SynthStats stats() const noexcept;  // any lcore; relaxed reads

  struct RxQueue;
  struct TxQueue;

 private:
  uint16_t port_;
  TrafficSpec spec_;
  std::vector<std::unique_ptr<RxQueue>> rx_;
  std::vector<std::unique_ptr<TxQueue>> tx_;
  std::vector<const void*> rx_cbs_, tx_cbs_;
};

}  // namespace deltaplane::drivers::synth
