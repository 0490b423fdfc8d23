// A bounded flow table for one lcore: rte_hash (cuckoo, extendable buckets)
// maps a fixed-size key to a slot 0..capacity-1; the caller keeps per-flow state
// in arrays indexed by slot. When the table is full, insert() evicts a victim
// chosen CLOCK-style: the least recently used of a few slots after a rotating
// hand, so a flood of new flows costs O(1) per packet and memory never grows.
// Single writer and reader (the owning lcore); occupancy and evictions are
// counters the control lcore may read.
#pragma once

#include <cstdint>
#include <string>

#include "stats/counters.hh"

struct rte_hash;

namespace deltaplane::flow {

class FlowTable {
 public:
  // The hash of a key: callers pass it as `sig`, and rte_hash uses the same
  // function whenever it rehashes a stored key (e.g. looking up by position).
  using HashFn = uint32_t (*)(const void* key, uint32_t key_len, uint32_t init) noexcept;

  // Throws Error when rte_hash cannot be created (name must be unique).
  FlowTable(const std::string& name, uint32_t capacity, uint32_t key_len, HashFn hash, int socket);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Slot of `key`, or -1. `sig` is the caller's hash of the key.
  int32_t lookup(const void* key, uint32_t sig) noexcept;

  // Inserts a key known to be absent and returns its slot, evicting another
  // flow when full (`*evicted` tells). Returns -1 only if rte_hash refuses.
  int32_t insert(const void* key, uint32_t sig, uint64_t now, bool* evicted) noexcept;

  // When the slot was last used (TSC), for aging.
  uint64_t last_used(int32_t slot) const noexcept { return last_used_[slot]; }

  // Marks a slot used at `now` (TSC) so eviction prefers others.
  void touch(int32_t slot, uint64_t now) noexcept { last_used_[slot] = now; }

  // Key stored at a slot, or null if the slot is free (for reports; racy
  // against the owning lcore, never dereferenced on the data path).
  const void* key_at(int32_t slot) const noexcept;

  uint32_t capacity() const noexcept { return capacity_; }
  uint64_t occupancy() const noexcept { return occupancy_.load(); }
  uint64_t evictions() const noexcept { return evictions_.load(); }
  uint64_t insertions() const noexcept { return insertions_.load(); }

 private:
  int32_t evict(uint64_t now) noexcept;

  rte_hash* hash_ = nullptr;
  uint32_t capacity_;
  uint32_t hand_ = 0;
  uint64_t* last_used_ = nullptr;  // per slot, TSC
  uint32_t* sigs_ = nullptr;       // per slot, to delete without rehashing
  stats::Counter occupancy_, evictions_, insertions_;
};

}  // namespace deltaplane::flow
