#include "engines/lcore_runner.hh"

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_pause.h>
#include <vector>

#include "base/error.hh"
#include "engines/registry.hh"

namespace deltaplane::engines {

void LcoreRunner::launch(config::Engine engine, bool cycles) {
  if (launched_) return;
  const EngineMains& mains = engine_mains(engine);
  set_.rx_done.store(false);
  set_.work_done.store(false);
  // stop_and_wait() waits for stage_done of RX stages: only those launched.
  for (auto& s : set_.slots()) {
    s.core->paused_ack.store(false);
    s.core->stage_done.store(s.role != LcoreRole::kRx);
  }
  control_.state.store(RunState::kRunning);
  auto start = [&](LcoreMain fn, void* arg, LcoreSlot& s) {
    if (rte_eal_remote_launch(fn, arg, s.core->lcore) != 0) {
      s.core->stage_done.store(true);  // never ran
      stop_and_wait();
      throw Error("cannot launch lcore " + std::to_string(s.core->lcore) + " (busy?)");
    }
    launched_ = true;
  };
  for (auto& s : set_.slots()) {
    switch (s.role) {
      case LcoreRole::kRtc:
        if (s.streams->nb)
          start(cycles && mains.rtc_cycles ? mains.rtc_cycles : mains.rtc, s.context, s);
        break;
      case LcoreRole::kRx:
        if (IoLcore* io = set_.io_lcore_of(s.core->lcore))
          start(pipeline_io_main, io, s);
        else
          start(pipeline_rx_main, s.context, s);
        break;
      case LcoreRole::kWork:
        if (!mains.worker)
          throw Error("--fwd " + std::string(config::engine_name(engine)) +
                      ": generators run in the rtc model only");
        start(mains.worker, s.context, s);
        break;
      case LcoreRole::kTx:
        if (!set_.io_lcore_of(s.core->lcore)) start(pipeline_tx_main, s.context, s);
        break;  // else: its I/O lcore sends
    }
  }
}

void LcoreRunner::stop_and_wait() noexcept {
  control_.state.store(RunState::kStopping);
  if (!launched_) return;
  auto wait_role = [&](LcoreRole role) {
    for (auto& s : set_.slots())
      if (s.role == role && (role != LcoreRole::kRtc || s.streams->nb))
        rte_eal_wait_lcore(s.core->lcore);
  };
  wait_role(LcoreRole::kRtc);
  // RX stages report through a flag: an I/O lcore's loop keeps sending until
  // the workers are done, so its lcore cannot be waited for yet.
  for (auto& s : set_.slots())
    if (s.role == LcoreRole::kRx)
      while (!s.core->stage_done.load(std::memory_order_acquire))
        rte_pause();
  set_.rx_done.store(true, std::memory_order_release);
  wait_role(LcoreRole::kWork);
  set_.work_done.store(true, std::memory_order_release);
  wait_role(LcoreRole::kTx);
  wait_role(LcoreRole::kRx);  // returns at once for lcores already collected
  launched_ = false;
}

void LcoreRunner::pause() noexcept {
  RunState expected = RunState::kRunning;
  control_.state.compare_exchange_strong(expected, RunState::kPaused);
  // Only lcores that poll ports acknowledge (RunGate): pipeline workers and TX
  // stages keep draining their rings.
  const uint64_t deadline = rte_get_tsc_cycles() + rte_get_tsc_hz() / 5;
  for (const auto& s : set_.slots()) {
    const bool polls = s.role == LcoreRole::kRtc || s.role == LcoreRole::kRx;
    if (!launched_ || !polls || s.streams->nb == 0) continue;
    while (!s.core->paused_ack.load(std::memory_order_acquire) && rte_get_tsc_cycles() < deadline)
      rte_pause();
  }
}

void LcoreRunner::quiesce() const noexcept {
  if (!launched_) return;
  std::vector<std::pair<const LcoreCore*, uint64_t>> seen;
  for (const auto& s : set_.slots())
    if (s.role != LcoreRole::kWork && s.core)
      seen.emplace_back(s.core, s.core->loops.load(std::memory_order_acquire));
  // Two iterations: the one under way when the callback went, and a margin.
  const uint64_t deadline = rte_get_tsc_cycles() + rte_get_tsc_hz();
  for (const auto& [core, loops] : seen)
    while (core->loops.load(std::memory_order_acquire) < loops + 2 &&
           !core->stage_done.load(std::memory_order_acquire) && rte_get_tsc_cycles() < deadline)
      rte_delay_us_sleep(20);
}

void LcoreRunner::resume() noexcept {
  RunState expected = RunState::kPaused;
  control_.state.compare_exchange_strong(expected, RunState::kRunning);
}

bool LcoreRunner::paused() const noexcept {
  return control_.state.load() == RunState::kPaused;
}

}  // namespace deltaplane::engines
