#include "runtime/payload_mark.hh"

#include <rte_mbuf_dyn.h>

#include "base/error.hh"

namespace deltaplane::runtime {

uint64_t payload_rewritten_flag() {
  static const rte_mbuf_dynflag flag = {"deltaplane_payload_rewritten", 0};
  const int bit = rte_mbuf_dynflag_register(&flag);  // same bit on every call
  if (bit < 0) throw Error("cannot register the mbuf payload-rewritten flag");
  return uint64_t{1} << bit;
}

}  // namespace deltaplane::runtime
