// Thin owners of one rte_ring: Ring holds mbuf pointers, ElemRing<T> fixed-size
// records (descriptors). The producer/consumer sync modes are fixed at creation
// (the pipeline: SP/SC when one lcore produces, MP when several do; the
// synthetic source's generator rings: SP/SC); enqueue/dequeue are DPDK's burst
// calls, which read the mode from the ring. Benchmarked against the raw calls
// in bench/micro/runtime/ring_bench.cc.
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <string>
#include <type_traits>

namespace deltaplane::runtime {

// rte_ring_create_elem with exactly `size` usable slots; throws Error.
rte_ring* create_ring(const std::string& name, unsigned size, unsigned elem_size, int socket,
                      bool single_producer, bool single_consumer);

// A ring of T records, copied in and out by value (rte_ring's _elem calls).
template <class T>
class ElemRing {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) % 4 == 0,
                "rte_ring elements are plain data in multiples of 4 bytes");

 public:
  ElemRing(const std::string& name, unsigned size, int socket, bool single_producer,
           bool single_consumer)
      : ring_(create_ring(name, size, sizeof(T), socket, single_producer, single_consumer)) {}
  ~ElemRing() { rte_ring_free(ring_); }
  ElemRing(const ElemRing&) = delete;
  ElemRing& operator=(const ElemRing&) = delete;

  // Up to n records; returns how many were taken. `free_space` (may be null)
  // receives the room left afterwards.
  [[gnu::always_inline]] unsigned enqueue_burst(const T* v, unsigned n,
                                                unsigned* free_space = nullptr) noexcept {
    return rte_ring_enqueue_burst_elem(ring_, v, sizeof(T), n, free_space);
  }
  [[gnu::always_inline]] unsigned dequeue_burst(T* v, unsigned n) noexcept {
    return rte_ring_dequeue_burst_elem(ring_, v, sizeof(T), n, nullptr);
  }
  unsigned count() const noexcept { return rte_ring_count(ring_); }
  unsigned free_count() const noexcept { return rte_ring_free_count(ring_); }
  unsigned capacity() const noexcept { return rte_ring_get_capacity(ring_); }
  rte_ring* get() const noexcept { return ring_; }

 private:
  rte_ring* ring_;
};

// A ring of mbuf pointers that knows its name and producer mode (the
// pipeline's stage rings, reported and wired by name).
class Ring : public ElemRing<rte_mbuf*> {
 public:
  Ring(const std::string& name, unsigned size, int socket, bool single_producer,
       bool single_consumer)
      : ElemRing(name, size, socket, single_producer, single_consumer),
        name_(name),
        sp_(single_producer) {}
  const std::string& name() const noexcept { return name_; }
  bool single_producer() const noexcept { return sp_; }

 private:
  std::string name_;
  bool sp_;
};

}  // namespace deltaplane::runtime
