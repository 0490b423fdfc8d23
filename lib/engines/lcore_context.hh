// What each lcore touches, one cache-aligned block per lcore allocated on its
// NUMA socket (lcore_set.hh builds them before launch; afterwards the lcore is
// the only writer, and the control lcore reads counters through relaxed
// atomics). One type per role, over one common core:
//
//   RtcContext        run to completion: RX -> engine -> TX (and generators)
//   RxStageContext    pipeline RX: RX -> rings to workers
//   WorkerContext     pipeline worker: ring -> engine -> rings to TX lcores
//   TxStageContext    pipeline TX: ring -> TX
//
// Engines see an EngineEnv: the counters to count drops, the validator, the
// codec state; nothing of the loop that drives them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "config/app_config.hh"
#include "packet/validate.hh"
#include "stats/counters.hh"
#include "stats/histogram.hh"

struct rte_mempool;

namespace deltaplane::runtime {
class Ring;  // runtime/ring.hh
}  // namespace deltaplane::runtime

namespace deltaplane::engines {

inline constexpr uint16_t kMaxBurst = config::kMaxBurst;
inline constexpr uint16_t kMaxStreamsPerLcore = 64;
inline constexpr uint16_t kMaxPorts = 32;       // RTE_MAX_ETHPORTS of Debian's DPDK
inline constexpr uint16_t kMaxStageRings = 16;  // workers or TX lcores in a pipeline
inline constexpr uint16_t kMaxTxPortsPerLcore = 8;
inline constexpr uint16_t kNoPort = 0xffff;

// What the control lcore tells the forwarding lcores; one cache line, read by
// every forwarding lcore once per loop iteration.
enum class RunState : uint32_t { kRunning, kPaused, kStopping };

struct alignas(64) ControlBlock {
  std::atomic<RunState> state{RunState::kRunning};
  std::atomic<uint32_t> keyframe_interval{64};  // encoder: read once per burst
  // Set by the control lcore from the ports' link status; a burst for a port
  // whose link is down is dropped as link_down instead of filling its queue.
  std::array<std::atomic<uint8_t>, kMaxPorts> link_down{};
};

// Gateway direction of a stream: frames from a LAN port are encoded towards
// the WAN, frames from a WAN port are decoded towards the LAN.
enum class StreamRole : uint8_t { kLan, kWan };

// TX checksum offloads of a stream's TX port (csum engine).
inline constexpr uint8_t kTxCsumIpv4 = 1, kTxCsumTcp = 2, kTxCsumUdp = 4;

struct Stream {
  uint16_t rx_port = 0, rx_queue = 0, tx_port = 0, tx_queue = 0;
  StreamRole role = StreamRole::kLan;
  uint8_t tx_csum_offload = 0;  // kTxCsum* bits the TX port does in hardware
  bool stamped = false;         // RX port stamps arrival times: record arrival->TX latency
};

struct CodecLcoreState;  // engines/codec_state.hh

// Every role's common part.
struct alignas(64) LcoreCore {
  unsigned lcore = 0;
  int socket = 0;
  uint16_t burst = 32;
  const ControlBlock* control = nullptr;
  // Written by this lcore only.
  std::atomic<bool> paused_ack{false};  // it has seen kPaused and stopped polling
  std::atomic<bool> stage_done{false};  // pipeline: this stage's loop has finished
  // Loop iterations begun; one more begun means the burst in progress (and
  // any ethdev callback in it) has finished (LcoreRunner::quiesce).
  std::atomic<uint64_t> loops{0};
  stats::LcoreCounters counters;
};

inline void count_loop(LcoreCore& c) noexcept {
  c.loops.store(c.loops.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

// The streams an lcore polls (or sends on) and their counters.
struct StreamSet {
  uint16_t nb = 0;
  std::array<Stream, kMaxStreamsPerLcore> streams{};
  std::array<stats::StreamCounters, kMaxStreamsPerLcore> counters;
};

// How an lcore receives and sends: frames longer than max_frame are dropped
// at RX; what tx_burst does not take is retried tx_retries times.
struct IoParams {
  uint32_t max_frame = 9600;
  uint32_t tx_retries = 0;
  uint32_t tx_retry_delay_us = 1;
  int tsc_offset = -1;  // the mbuf field holding RX (or arrival) timestamps
};

// What an engine reads: built once per lcore, pointers into the lcore's own
// context.
struct EngineEnv {
  stats::LcoreCounters* counters = nullptr;
  const ControlBlock* control = nullptr;
  const packet::BurstValidator* validator = nullptr;  // chosen once (--simd)
  packet::Options validate_options{};
  bool rx_csum_flags = false;        // some RX port of this lcore sets checksum flags
  CodecLcoreState* codec = nullptr;  // engines with codec state only

  void drop(stats::DropReason r, uint64_t n) const noexcept { counters->drop(r, n); }
};

// Generators (txonly, flowgen): where frames come from and how fast.
struct GeneratorParams {
  rte_mempool* pool = nullptr;
  uint16_t pkt_len = 64;
  uint32_t flows = 1;
  uint64_t rate = 0;  // packets per second, 0 = unlimited
};

// A producer's view of one output ring (single writer: the producing lcore).
struct alignas(64) RingCounters {
  stats::Counter enqueued;
  stats::Counter full_events;  // enqueue attempts that did not take everything
  stats::Counter dropped;      // frames dropped after the retries
  stats::Counter high_water;   // most entries seen in the ring after an enqueue
};

// The rings a pipeline stage produces into, and what to do when one is full.
struct RingOut {
  std::array<runtime::Ring*, kMaxStageRings> rings{};
  uint16_t nb = 0;
  config::Backpressure backpressure = config::Backpressure::kRetry;
  uint32_t retries = 64;
  // Block mode: work the lcore must keep doing while it waits for room (an I/O
  // lcore sends what the workers hand back, or the two would wait on each other).
  void (*while_blocked)(void*) noexcept = nullptr;
  void* while_blocked_arg = nullptr;
  std::array<RingCounters, kMaxStageRings> counters;
};

struct alignas(64) RtcContext {
  LcoreCore core;
  IoParams io;
  StreamSet streams;  // RX queue -> TX queue
  EngineEnv env;
  GeneratorParams gen;  // txonly, flowgen
  // Arrival -> TX of streams from ports that stamp arrival times.
  stats::LatencyHistogram latency;
};

struct alignas(64) RxStageContext {
  LcoreCore core;
  IoParams io;
  StreamSet streams;  // RX queues polled (tx_port: where their frames go)
  RingOut out;        // one ring per worker
};

struct alignas(64) WorkerContext {
  LcoreCore core;
  EngineEnv env;
  int tsc_offset = -1;
  runtime::Ring* in = nullptr;
  const std::atomic<bool>* upstream_done = nullptr;  // every RX stage has finished
  RingOut out;                                       // one ring per TX lcore
  std::array<uint8_t, kMaxPorts> out_ring_of_tx_port{};
  std::array<Stream, kMaxPorts> stream_of_rx_port{};  // the engine's view per RX port
  stats::LatencyHistogram latency;                    // RX -> worker
};

struct alignas(64) TxStageContext {
  LcoreCore core;
  IoParams io;
  StreamSet streams;  // one per TX port this lcore owns (queue 0)
  runtime::Ring* in = nullptr;
  const std::atomic<bool>* upstream_done = nullptr;  // every worker has finished
  stats::LatencyHistogram latency;                   // RX -> TX
};

}  // namespace deltaplane::engines
