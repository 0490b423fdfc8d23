// Everything a forwarding lcore touches, in one cache-aligned block allocated on
// the lcore's NUMA socket. Set up by the control lcore before launch; afterwards
// the forwarding lcore is the only writer (counters are read by the control
// lcore through relaxed atomics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "config/app_config.hh"
#include "packet/validate.hh"

struct rte_mempool;
#include "stats/counters.hh"
#include "stats/histogram.hh"

namespace deltaplane::runtime {
class Ring;  // runtime/ring.hh
}  // namespace deltaplane::runtime

namespace deltaplane::engines {

inline constexpr uint16_t kMaxBurst = config::kMaxBurst;
inline constexpr uint16_t kMaxStreamsPerLcore = 64;

// What the control lcore tells the forwarding lcores; one cache line, read by
// every forwarding lcore once per loop iteration.
enum class RunState : uint32_t { kRunning, kPaused, kStopping };

inline constexpr uint16_t kMaxPorts = 32;  // RTE_MAX_ETHPORTS of Debian's DPDK

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

inline constexpr uint16_t kMaxStageRings = 16;  // workers or TX lcores in a pipeline
inline constexpr uint16_t kNoPort = 0xffff;
inline constexpr uint16_t kMaxTxPortsPerLcore = 8;

enum class LcoreRole : uint8_t { kRtc, kRx, kWork, kTx };

// A producer's view of one output ring (single writer: the producing lcore).
struct alignas(64) RingCounters {
  stats::Counter enqueued;
  stats::Counter full_events;  // enqueue attempts that did not take everything
  stats::Counter dropped;      // frames dropped after the retries
  stats::Counter high_water;   // most entries seen in the ring after an enqueue
};

// Pipeline wiring of one lcore (unused in the run-to-completion model).
struct PipelineLinks {
  LcoreRole role = LcoreRole::kRtc;
  runtime::Ring* in_ring = nullptr;                        // workers and TX lcores
  std::array<runtime::Ring*, kMaxStageRings> out_rings{};  // RX: per worker; workers: per TX lcore
  uint16_t nb_out_rings = 0;
  std::array<uint8_t, kMaxPorts> out_ring_of_tx_port{};  // workers: TX lcore of a port
  std::array<Stream, kMaxPorts> stream_of_rx_port{};     // workers: engine's view per RX port
  const std::atomic<bool>* upstream_done = nullptr;      // workers: RX done; TX: workers done
  config::Backpressure backpressure = config::Backpressure::kRetry;
  uint32_t ring_retries = 64;
  // Block mode: work the lcore must keep doing while it waits for room (an I/O
  // lcore sends what the workers hand back, or the two would wait on each other).
  void (*while_blocked)(void*) noexcept = nullptr;
  void* while_blocked_arg = nullptr;
  int tsc_offset = -1;  // mbuf dynamic field holding the RX timestamp
  std::array<RingCounters, kMaxStageRings> ring_counters;
};

struct alignas(64) LcoreContext {
  // Read-only while forwarding.
  unsigned lcore = 0;
  int socket = 0;
  uint16_t nb_streams = 0;
  uint16_t burst = 32;
  uint32_t max_frame = 9600;
  uint32_t tx_retries = 0;
  uint32_t tx_retry_delay_us = 1;
  const ControlBlock* control = nullptr;
  const packet::BurstValidator* validator = nullptr;  // chosen once (--simd)
  packet::Options validate_options{};
  bool rx_csum_flags = false;        // some RX port of this lcore sets checksum flags: read them
  CodecLcoreState* codec = nullptr;  // encode/decode/gateway engines only
  // Generators (txonly, flowgen): where frames come from and how fast.
  rte_mempool* tx_pool = nullptr;
  uint16_t tx_pkt_len = 64;
  uint32_t gen_flows = 1;
  uint64_t tx_rate = 0;  // packets per second, 0 = unlimited
  PipelineLinks pipe;
  std::array<Stream, kMaxStreamsPerLcore> streams{};

  // Written by this lcore only.
  std::atomic<bool> paused_ack{false};  // this lcore has seen kPaused and stopped polling
  std::atomic<bool> stage_done{false};  // pipeline: this stage's loop has finished
  stats::LcoreCounters counters;
  std::array<stats::StreamCounters, kMaxStreamsPerLcore> stream_counters;
  // pipeline: RX->worker (workers), RX->TX (TX lcores); rtc: arrival->TX of stamped streams
  stats::LatencyHistogram latency;
};

}  // namespace deltaplane::engines
