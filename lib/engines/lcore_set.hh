// Every lcore's context, built from a run-to-completion placement or a
// pipeline plan (with the pipeline's rings), each on its lcore's socket, and
// owned until shutdown. Nothing is launched here (lcore_runner.hh does that),
// so the wiring is unit-tested on its own.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/app_config.hh"
#include "engines/lcore_context.hh"
#include "engines/pipeline.hh"
#include "runtime/pipeline_plan.hh"
#include "runtime/placement.hh"
#include "stats/snapshot.hh"

struct rte_mempool;

namespace deltaplane::engines {

struct PortDesc {
  uint16_t id = 0;
  std::string name;
  int socket = -1;
  uint8_t tx_csum_offload = 0;   // kTxCsum* bits enabled on the port
  bool rx_csum_flags = false;    // RX mbufs carry checksum flags from the NIC
  bool arrival_stamped = false;  // RX frames carry their arrival TSC (synthetic source)
  bool wan = false;              // gateway: frames it receives are decoded
  // Adds a driver's own counters (e.g. the synthetic source's) to the port's.
  std::function<void(stats::PortSnapshot&)> extra_stats;
};

struct PoolDesc {
  std::string name;
  int socket = -1;
  rte_mempool* pool = nullptr;
  bool engines_allocate = true;  // false: a port's own RX pool (the synthetic generators')
};

enum class LcoreRole : uint8_t { kRtc, kRx, kWork, kTx };

// One lcore's entry: its role and typed context, and what the runner and the
// statistics read of it without knowing the role.
struct LcoreSlot {
  LcoreRole role = LcoreRole::kRtc;
  void* context = nullptr;  // RtcContext, RxStageContext, WorkerContext or TxStageContext
  LcoreCore* core = nullptr;
  StreamSet* streams = nullptr;                // null for workers
  RingOut* out = nullptr;                      // RX stages and workers
  stats::LatencyHistogram* latency = nullptr;  // null for RX stages
  EngineEnv* env = nullptr;                    // lcores that run an engine
};

// The validator --simd asks for (and the codec kernels set to the same
// level); throws Error if the CPU cannot run it.
const packet::BurstValidator& select_simd(const std::optional<SimdLevel>& level);

class LcoreSet {
 public:
  // `pipeline` set: the pipeline model with that plan; null: run to completion.
  LcoreSet(const config::AppConfig& cfg, const runtime::Placement& placement,
           const std::vector<PortDesc>& ports, const std::vector<PoolDesc>& pools,
           const ControlBlock& control, const runtime::PipelinePlan* pipeline);
  ~LcoreSet();
  LcoreSet(const LcoreSet&) = delete;
  LcoreSet& operator=(const LcoreSet&) = delete;

  std::span<LcoreSlot> slots() noexcept { return slots_; }
  std::span<const LcoreSlot> slots() const noexcept { return slots_; }
  const std::vector<std::unique_ptr<runtime::Ring>>& rings() const noexcept { return rings_; }
  // The RX half of an I/O lcore, if `lcore` is one (pipeline: RX and TX on one lcore).
  IoLcore* io_lcore_of(unsigned lcore) noexcept;
  bool pipeline() const noexcept { return !rings_.empty(); }

  // Codec state for every lcore that runs `engine`'s work, where it has none
  // yet (the console may switch to a codec engine while stopped).
  void ensure_codec_state(const config::AppConfig& cfg, config::Engine engine);
  void set_burst(uint16_t burst) noexcept;

  // Pipeline stop order: set by the runner once every RX stage, then every
  // worker, has finished.
  std::atomic<bool> rx_done{false}, work_done{false};

 private:
  struct Deleter {
    void operator()(void* p) const noexcept;  // the context's destructor ran already
  };
  template <class T>
  T* make(unsigned lcore, int socket, LcoreRole role);
  Stream stream_of(uint16_t rx_port, uint16_t rx_queue, uint16_t tx_port, uint16_t tx_queue) const;
  void init_core(LcoreCore& core, unsigned lcore, int socket) const;
  void init_env(EngineEnv& env, LcoreCore& core) const;
  void init_io(IoParams& io) const;

  const config::AppConfig& cfg_;
  const std::vector<PortDesc>& ports_;
  const std::vector<PoolDesc>& pools_;  // the codec engines take extra mbufs from these
  const ControlBlock& control_;
  const packet::BurstValidator* validator_;
  int tsc_offset_;
  std::vector<LcoreSlot> slots_;
  std::vector<std::function<void()>> destroy_;  // contexts' destructors, in build order
  std::vector<std::unique_ptr<void, Deleter>> memory_;
  std::vector<std::unique_ptr<CodecLcoreState>> codec_;
  std::vector<std::unique_ptr<runtime::Ring>> rings_;  // pipeline only
  std::vector<IoLcore> io_lcores_;
};

}  // namespace deltaplane::engines
