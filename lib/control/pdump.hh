// Lets dpdk-dumpcap / dpdk-pdump capture live traffic from a running
// deltaplane (rte_pdump in the primary). Costs nothing on the data path until a
// capture starts: pdump installs its RX/TX callbacks only then. Needs the EAL's
// multi-process support, i.e. not --in-memory.
#pragma once

#include <string>

namespace deltaplane::control {

class PdumpServer {
 public:
  PdumpServer();  // never throws; `available()` says whether it worked
  ~PdumpServer();
  PdumpServer(const PdumpServer&) = delete;
  PdumpServer& operator=(const PdumpServer&) = delete;

  bool available() const noexcept { return ok_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  bool ok_ = false;
  std::string reason_;
};

}  // namespace deltaplane::control
