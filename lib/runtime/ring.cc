#include "runtime/ring.hh"

#include <rte_errno.h>

#include "base/error.hh"

namespace deltaplane::runtime {

Ring::Ring(const std::string& name, unsigned size, int socket, bool single_producer,
           bool single_consumer)
    : name_(name), sp_(single_producer) {
  unsigned flags = (single_producer ? RING_F_SP_ENQ : 0) | (single_consumer ? RING_F_SC_DEQ : 0);
  // RING_F_EXACT_SZ: exactly `size` usable slots, as the user asked.
  ring_ = rte_ring_create(name.c_str(), size, socket, flags | RING_F_EXACT_SZ);
  if (!ring_)
    throw Error("cannot create ring '" + name + "' of " + std::to_string(size) +
                " entries: " + rte_strerror(rte_errno));
}

}  // namespace deltaplane::runtime
