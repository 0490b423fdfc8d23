// Everything a forwarding lcore touches, in one cache-aligned block allocated on
// the lcore's NUMA socket. Set up by the control lcore before launch; afterwards
// the forwarding lcore is the only writer (counters are read by the control
// lcore through relaxed atomics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "packet/validate.hh"
#include "stats/counters.hh"

namespace deltaplane::engines {

inline constexpr uint16_t kMaxBurst = 512;
inline constexpr uint16_t kMaxStreamsPerLcore = 64;

// What the control lcore tells the forwarding lcores; one cache line, read by
// every forwarding lcore once per loop iteration.
enum class RunState : uint32_t { kRunning, kPaused, kStopping };

struct alignas(64) ControlBlock {
  std::atomic<RunState> state{RunState::kRunning};
};

// Gateway direction of a stream: frames from a LAN port are encoded towards
// the WAN, frames from a WAN port are decoded towards the LAN.
enum class StreamRole : uint8_t { kLan, kWan };

struct Stream {
  uint16_t rx_port = 0, rx_queue = 0, tx_port = 0, tx_queue = 0;
  StreamRole role = StreamRole::kLan;
};

struct CodecLcoreState;  // engines/codec_state.hh

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
  CodecLcoreState* codec = nullptr;  // encode/decode/gateway engines only
  std::array<Stream, kMaxStreamsPerLcore> streams{};

  // Written by this lcore only.
  std::atomic<bool> paused_ack{false};  // this lcore has seen kPaused and stopped polling
  stats::LcoreCounters counters;
  std::array<stats::StreamCounters, kMaxStreamsPerLcore> stream_counters;
};

}  // namespace deltaplane::engines
