#include "control/pdump.hh"

#include <rte_errno.h>
#include <rte_pdump.h>

namespace deltaplane::control {

PdumpServer::PdumpServer() {
  if (rte_pdump_init() == 0) {
    ok_ = true;
  } else {
    reason_ = std::string("rte_pdump_init: ") + rte_strerror(rte_errno) +
              " (live capture needs multi-process EAL: drop --in-memory, use --file-prefix)";
  }
}

PdumpServer::~PdumpServer() {
  if (ok_) rte_pdump_uninit();
}

}  // namespace deltaplane::control
