// Lets dpdk-dumpcap / dpdk-pdump capture live traffic from a running
// deltaplane (rte_pdump in the primary). Costs nothing on the data path until a
// capture starts: pdump installs its RX/TX callbacks only then. Needs the EAL's
// multi-process support, i.e. not --in-memory.
//
// DPDK 22.11 removes a capture's callbacks without waiting for a burst
// already inside one, and dpdk-dumpcap frees its mempool as soon as the
// primary replies: a forwarding lcore descheduled in the callback then
// copies into freed memory (a segfault in about 1 capture in 10 under CPU
// load). The server's reply to a stop is held until every forwarding lcore
// began a new loop iteration (set_quiesce).
#pragma once

#include <functional>
#include <string>

namespace deltaplane::control {

class PdumpServer {
 public:
  PdumpServer();  // never throws; `available()` says whether it worked
  ~PdumpServer();
  PdumpServer(const PdumpServer&) = delete;
  PdumpServer& operator=(const PdumpServer&) = delete;

  bool available() const noexcept { return ok_; }
  // What to wait for before a capture's stop is acknowledged (the
  // dataplane's quiesce); empty: nothing to wait for. Set once the lcores
  // exist, cleared before they go.
  static void set_quiesce(std::function<void()> quiesce);
  const std::string& reason() const noexcept { return reason_; }

 private:
  bool ok_ = false;
  std::string reason_;
};

// A quiesce hook for its lifetime: declared after what it waits on, it is
// gone before that is.
class PdumpQuiesce {
 public:
  explicit PdumpQuiesce(std::function<void()> quiesce) {
    PdumpServer::set_quiesce(std::move(quiesce));
  }
  ~PdumpQuiesce() { PdumpServer::set_quiesce({}); }
  PdumpQuiesce(const PdumpQuiesce&) = delete;
  PdumpQuiesce& operator=(const PdumpQuiesce&) = delete;
};

}  // namespace deltaplane::control
