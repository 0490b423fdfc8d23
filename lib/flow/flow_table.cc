#include "flow/flow_table.hh"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "base/error.hh"

namespace deltaplane::flow {

namespace {
constexpr uint32_t kVictimScan = 8;  // slots looked at per eviction
}

FlowTable::FlowTable(const std::string& name, uint32_t capacity, uint32_t key_len, HashFn hash,
                     int socket)
    : capacity_(capacity) {
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = capacity;
  p.key_len = key_len;
  p.hash_func = reinterpret_cast<rte_hash_function>(hash);
  p.socket_id = socket;
  p.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;  // full capacity despite collisions
  hash_ = rte_hash_create(&p);
  if (!hash_)
    throw Error("cannot create flow table '" + name + "' of " + std::to_string(capacity) +
                " flows: " + rte_strerror(rte_errno));
  last_used_ = static_cast<uint64_t*>(
      rte_zmalloc_socket("dp_flow_used", sizeof(uint64_t) * capacity, 64, socket));
  sigs_ = static_cast<uint32_t*>(
      rte_zmalloc_socket("dp_flow_sig", sizeof(uint32_t) * capacity, 64, socket));
  if (!last_used_ || !sigs_) {
    rte_free(last_used_);
    rte_free(sigs_);
    rte_hash_free(hash_);
    throw Error("cannot allocate the state of flow table '" + name + "'");
  }
}

FlowTable::~FlowTable() {
  rte_free(last_used_);
  rte_free(sigs_);
  rte_hash_free(hash_);
}

const void* FlowTable::key_at(int32_t slot) const noexcept {
  void* key = nullptr;
  if (rte_hash_get_key_with_position(hash_, slot, &key) != 0) return nullptr;
  return key;
}

int32_t FlowTable::lookup(const void* key, uint32_t sig) noexcept {
  int32_t pos = rte_hash_lookup_with_hash(hash_, key, sig);
  return pos >= 0 ? pos : -1;
}

int32_t FlowTable::evict(uint64_t now) noexcept {
  // Approximate LRU: the oldest of the next kVictimScan slots after the hand.
  uint32_t victim = hand_;
  uint64_t oldest = UINT64_MAX;
  for (uint32_t i = 0; i < kVictimScan; ++i) {
    uint32_t s = (hand_ + i) % capacity_;
    if (last_used_[s] < oldest) {
      oldest = last_used_[s];
      victim = s;
    }
  }
  hand_ = (hand_ + kVictimScan) % capacity_;
  void* key = nullptr;
  if (rte_hash_get_key_with_position(hash_, static_cast<int32_t>(victim), &key) != 0) return -1;
  if (rte_hash_del_key_with_hash(hash_, key, sigs_[victim]) < 0) return -1;
  (void)now;
  evictions_.add(1);
  occupancy_.add(static_cast<uint64_t>(-1));
  return static_cast<int32_t>(victim);
}

int32_t FlowTable::insert(const void* key, uint32_t sig, uint64_t now, bool* evicted) noexcept {
  *evicted = false;
  int32_t pos = rte_hash_add_key_with_hash(hash_, key, sig);
  if (pos == -ENOSPC) {
    if (evict(now) < 0) return -1;
    *evicted = true;
    pos = rte_hash_add_key_with_hash(hash_, key, sig);
  }
  if (pos < 0) return -1;
  sigs_[pos] = sig;
  last_used_[pos] = now;
  occupancy_.add(1);
  insertions_.add(1);
  return pos;
}

}  // namespace deltaplane::flow
