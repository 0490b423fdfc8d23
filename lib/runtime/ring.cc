#include "runtime/ring.hh"

#include <rte_errno.h>

#include "base/error.hh"

namespace deltaplane::runtime {

rte_ring* create_ring(const std::string& name, unsigned size, unsigned elem_size, int socket,
                      bool single_producer, bool single_consumer) {
  const unsigned flags = (single_producer ? RING_F_SP_ENQ : 0) |
                         (single_consumer ? RING_F_SC_DEQ : 0) |
                         RING_F_EXACT_SZ;  // exactly `size` usable slots, as the user asked
  rte_ring* r = rte_ring_create_elem(name.c_str(), elem_size, size, socket, flags);
  if (!r)
    throw Error("cannot create ring '" + name + "' of " + std::to_string(size) +
                " entries: " + rte_strerror(rte_errno));
  return r;
}

}  // namespace deltaplane::runtime
