// The bounded flow table: lookups, inserts, eviction when full (CLOCK over
// last-used times), counters; a flood of keys never grows it.
#include "flow/flow_table.hh"

#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "../eal_environment.hh"

namespace deltaplane::flow {
namespace {

[[maybe_unused]] ::testing::Environment* const g_env =
    ::testing::AddGlobalTestEnvironment(new eal_test::Environment("dp-flow-test"));

uint32_t hash_u64(const void* key, uint32_t, uint32_t) noexcept {
  uint64_t k;
  std::memcpy(&k, key, 8);
  k *= 0x9e3779b97f4a7c15ull;
  return static_cast<uint32_t>(k >> 32);
}

TEST(FlowTable, InsertLookupTouch) {
  FlowTable t("ft_basic", 64, 8, hash_u64, SOCKET_ID_ANY);
  EXPECT_EQ(t.capacity(), 64u);
  std::set<int32_t> slots;
  for (uint64_t k = 0; k < 64; ++k) {
    EXPECT_EQ(t.lookup(&k, hash_u64(&k, 8, 0)), -1);
    bool evicted = true;
    const int32_t s = t.insert(&k, hash_u64(&k, 8, 0), k, &evicted);
    ASSERT_GE(s, 0);
    EXPECT_FALSE(evicted);
    EXPECT_TRUE(slots.insert(s).second) << "slot " << s << " given twice";
    EXPECT_EQ(t.lookup(&k, hash_u64(&k, 8, 0)), s);
    EXPECT_EQ(t.last_used(s), k);
    uint64_t stored;
    std::memcpy(&stored, t.key_at(s), 8);
    EXPECT_EQ(stored, k);
  }
  EXPECT_EQ(t.occupancy(), 64u);
  EXPECT_EQ(t.insertions(), 64u);
  EXPECT_EQ(t.evictions(), 0u);
  const uint64_t k0 = 0;
  const int32_t s0 = t.lookup(&k0, hash_u64(&k0, 8, 0));
  t.touch(s0, 1000);
  EXPECT_EQ(t.last_used(s0), 1000u);
}

// Full: each new key evicts an old one; the recently touched survive; the
// table never holds more than its capacity, whatever the flood.
TEST(FlowTable, FloodEvictsLeastRecentlyUsed) {
  FlowTable t("ft_flood", 64, 8, hash_u64, SOCKET_ID_ANY);
  uint64_t now = 0;
  for (uint64_t k = 0; k < 64; ++k) {
    bool ev;
    t.insert(&k, hash_u64(&k, 8, 0), ++now, &ev);
  }
  const uint64_t hot = 7;
  const int32_t hot_slot = t.lookup(&hot, hash_u64(&hot, 8, 0));
  for (uint64_t k = 1000; k < 11000; ++k) {
    t.touch(hot_slot, ++now);  // the hot flow keeps being used
    bool ev = false;
    ASSERT_GE(t.insert(&k, hash_u64(&k, 8, 0), ++now, &ev), 0);
    ASSERT_TRUE(ev);
    ASSERT_EQ(t.occupancy(), 64u);
  }
  EXPECT_EQ(t.evictions(), 10000u);
  EXPECT_EQ(t.lookup(&hot, hash_u64(&hot, 8, 0)), hot_slot);  // never evicted
  const uint64_t cold = 3;
  EXPECT_EQ(t.lookup(&cold, hash_u64(&cold, 8, 0)), -1);
}

}  // namespace
}  // namespace deltaplane::flow
