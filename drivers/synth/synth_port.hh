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
//
// Generator lcores (lcore=L[-M]): the frames are built on lcores of their own,
// which queue an RX descriptor per frame into a real SP/SC ring per RX queue,
// as a NIC does; the polling lcore's RX callback writes the mbufs from them and
// refills, as a NIC driver does.
// Without rate= the generator fills the ring as fast as it empties (time spent
// on a full ring is counted: the consumer is the bottleneck); with rate= the
// ring is the RX ring and arrivals finding it full are missed. The net_null
// vdev must then hand out no frames of its own (no-rx=1).
// With payload=fill the generators get a mempool of their own whose buffers
// hold the pattern from the start: they then write a frame's header lines
// only (64 or 128 bytes). Once an engine that rewrites payloads (encode,
// decode, gateway) has run, they also put the pattern back where it marked a
// frame as rewritten (runtime/payload_mark.hh).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/json.hh"

struct rte_mempool;

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
  uint64_t delivered = 0;   // frames the application took (generated - queued - flushed)
  // Generator lcores only (all zero otherwise):
  uint64_t flushed = 0;    // frames left in the rings at stop, freed unseen
  uint64_t late = 0;       // rate=: arrivals the generator fell too far behind to make
  uint64_t nombuf = 0;     // bursts the mempool could not supply
  uint64_t head_only = 0;  // frames whose payload the buffer already held (payload=fill)
  uint64_t restored = 0;   // ... of which an engine had rewritten part, put back first
  uint64_t restored_bytes = 0;
  double busy_s = 0;      // generator time spent building frames
  double full_s = 0;      // ... waiting because every ring was full (or no mbufs)
  double idle_s = 0;      // ... with nothing due (rate=, count=)
  double mpps_alone = 0;  // sum over generators of frames per busy second
  unsigned generator_lcores = 0;
};

class SynthPort {
 public:
  // Installs the callbacks on every RX (and, with tx-rate, TX) queue of a
  // started net_null port. Throws Error when the port is not net_null or a
  // frame would not fit the mbufs.
  // `pool` supplies the generator lcores' mbufs (the port's RX mempool). When
  // needs_own_pool(spec), it must be a pool no one else writes frames into
  // (freed mbufs still return to it): its buffers are filled with the pattern.
  SynthPort(uint16_t port, const TrafficSpec& spec, uint16_t rx_desc, uint16_t mbuf_data_room,
            rte_mempool* pool);
  static bool needs_own_pool(const TrafficSpec& spec) noexcept {
    return !spec.lcores.empty() && spec.payload == PayloadModel::kFill;
  }
  // Frames the generator lcores' rings may hold (frames and refill, per RX
  // queue): mbufs the port's pool must have beside its descriptors.
  static uint64_t ring_slots(const TrafficSpec& spec, uint16_t rx_queues,
                             uint16_t rx_desc) noexcept {
    return spec.lcores.empty() ? 0 : uint64_t{rx_queues} * 2 * (spec.ring ? spec.ring : rx_desc);
  }
  ~SynthPort();  // stops the generators, removes the callbacks; pollers must have stopped
  SynthPort(const SynthPort&) = delete;
  SynthPort& operator=(const SynthPort&) = delete;

  uint16_t port() const noexcept { return port_; }
  const TrafficSpec& spec() const noexcept { return spec_; }
  SynthStats stats() const noexcept;  // any lcore; relaxed reads
  // The summary's lines about this port, and its object in the JSON summary.
  std::string describe_stats() const;
  void write_json(JsonWriter& w) const;

  // Generator lcores: launched by start_generators() on idle EAL lcores, ended
  // by stop_generators(), which frees whatever the application did not take.
  const std::vector<unsigned>& generator_lcores() const noexcept { return spec_.lcores; }
  // Frames carry their arrival TSC (runtime/rx_timestamp.hh).
  bool stamps_arrivals() const noexcept { return spec_.lcores.empty() || spec_.rate; }
  void start_generators();
  void stop_generators() noexcept;
  // An engine that rewrites payloads is about to run (setup or while stopped,
  // before it sees a frame): from now on the generators put the pattern back
  // over what each buffer's last frame covered before building into it.
  void payload_rewritten() noexcept { payload_dirty_.store(true, std::memory_order_release); }

  struct RxQueue;
  struct TxQueue;
  struct Generator;

 private:
  uint16_t port_;
  TrafficSpec spec_;
  std::vector<std::unique_ptr<RxQueue>> rx_;
  std::vector<std::unique_ptr<TxQueue>> tx_;
  std::vector<std::unique_ptr<Generator>> gens_;
  std::atomic<uint64_t> flushed_{0};        // written by stop_generators, read by stats()
  std::atomic<bool> payload_dirty_{false};  // sticky; read by the generators
  std::vector<const void*> rx_cbs_, tx_cbs_;
};

}  // namespace deltaplane::drivers::synth
