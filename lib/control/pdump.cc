#include "control/pdump.hh"

#include <dlfcn.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pdump.h>

#include <cstdint>
#include <cstring>
#include <mutex>

namespace deltaplane::control {
namespace {

std::mutex quiesce_mutex;
std::function<void()> quiesce_hook;  // guarded by quiesce_mutex

// rte_pdump's request and response (lib/pdump/rte_pdump.c, DPDK 22.11).
constexpr char kPdumpAction[] = "mp_pdump";
constexpr uint16_t kPdumpDisable = 1;
struct PdumpResponse {
  uint16_t ver;
  uint16_t res_op;
  int32_t err_value;
};

}  // namespace

void PdumpServer::set_quiesce(std::function<void()> quiesce) {
  std::lock_guard lock(quiesce_mutex);
  quiesce_hook = std::move(quiesce);
}

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

// Defined in the executable, it takes precedence over the EAL's for
// librte_pdump (as thread_safe_strtok.cc does for strtok): a reply that
// acknowledges a capture's stop waits for the lcores first (see pdump.hh);
// every other reply goes straight to the EAL's.
extern "C" int rte_mp_reply(struct rte_mp_msg* msg, const char* peer) {
  using Reply = int (*)(struct rte_mp_msg*, const char*);
  static const Reply eal_reply = reinterpret_cast<Reply>(dlsym(RTLD_NEXT, "rte_mp_reply"));
  namespace c = deltaplane::control;
  if (std::strncmp(msg->name, c::kPdumpAction, sizeof c::kPdumpAction) == 0 &&
      msg->len_param >= static_cast<int>(sizeof(c::PdumpResponse))) {
    c::PdumpResponse r;
    std::memcpy(&r, msg->param, sizeof r);
    if (r.res_op == c::kPdumpDisable) {
      std::lock_guard lock(c::quiesce_mutex);
      if (c::quiesce_hook) c::quiesce_hook();
    }
  }
  if (!eal_reply) {
    rte_errno = ENOSYS;
    return -1;
  }
  return eal_reply(msg, peer);
}
