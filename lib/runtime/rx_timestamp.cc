#include "runtime/rx_timestamp.hh"

#include "base/error.hh"

namespace deltaplane::runtime {

int rx_tsc_field_offset() {
  static const rte_mbuf_dynfield field = {"deltaplane_rx_tsc", sizeof(uint64_t), alignof(uint64_t),
                                          0};
  const int offset = rte_mbuf_dynfield_register(&field);  // same offset on every call
  if (offset < 0) throw Error("cannot register the mbuf timestamp field");
  return offset;
}

}  // namespace deltaplane::runtime
