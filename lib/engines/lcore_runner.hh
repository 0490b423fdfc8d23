// Launches the loops of an LcoreSet on their lcores, pauses and resumes them,
// and stops them in pipeline order (RX first, then each stage once its input
// is drained), so that every frame is sent or counted when stop returns.
#pragma once

#include "config/engines.hh"
#include "engines/lcore_set.hh"

namespace deltaplane::engines {

class LcoreRunner {
 public:
  LcoreRunner(LcoreSet& set, ControlBlock& control) noexcept : set_(set), control_(control) {}
  ~LcoreRunner() { stop_and_wait(); }
  LcoreRunner(const LcoreRunner&) = delete;
  LcoreRunner& operator=(const LcoreRunner&) = delete;

  // Runs `engine`'s loops (with --cycles measurement if asked); throws Error
  // if an lcore cannot be launched (then none runs).
  void launch(config::Engine engine, bool cycles);
  void stop_and_wait() noexcept;
  bool launched() const noexcept { return launched_; }

  // Returns once every lcore that polls ports has finished its burst (bounded
  // wait: 200 ms), so RX counters read after pause() stay frozen.
  void pause() noexcept;
  void resume() noexcept;
  bool paused() const noexcept;
  // Returns once every lcore that calls into ethdev (all but pipeline
  // workers) has begun a new loop iteration, so none is still inside an RX
  // or TX callback removed before the call (bounded wait: 1 s).
  void quiesce() const noexcept;

 private:
  LcoreSet& set_;
  ControlBlock& control_;
  bool launched_ = false;
};

}  // namespace deltaplane::engines
