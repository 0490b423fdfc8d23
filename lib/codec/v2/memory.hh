// Where the codec's large state lives (histories, indexes, context tables):
// the caller decides, so the engines put it on the lcore's NUMA socket
// (rte_malloc_socket) while tests and tools use the heap. Memory is zeroed.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

namespace deltaplane::codec::v2 {

struct Memory {
  void* (*alloc)(size_t bytes, void* ctx) = nullptr;  // zeroed, 64-byte aligned; null on failure
  void (*release)(void* p, void* ctx) = nullptr;
  void* ctx = nullptr;

  static Memory heap() noexcept {
    return {[](size_t n, void*) -> void* {
              void* p = std::aligned_alloc(64, (n + 63) / 64 * 64);
              if (p) std::memset(p, 0, n);
              return p;
            },
            [](void* p, void*) { std::free(p); }, nullptr};
  }
};

// An array of n value-initialised T in Memory; throws std::bad_alloc.
template <class T>
class Array {
 public:
  Array() = default;
  Array(Memory m, size_t n) : m_(m), n_(n) {
    p_ = static_cast<T*>(m.alloc(sizeof(T) * n, m.ctx));
    if (!p_) throw std::bad_alloc();
    if constexpr (!std::is_trivially_default_constructible_v<T>)  // else: zeroed memory is T{}
      for (size_t i = 0; i < n; ++i)
        new (p_ + i) T();
  }
  ~Array() { reset(); }
  Array(Array&& o) noexcept : m_(o.m_), p_(o.p_), n_(o.n_) { o.p_ = nullptr; }
  Array& operator=(Array&& o) noexcept {
    if (this != &o) {
      reset();
      m_ = o.m_, p_ = o.p_, n_ = o.n_;
      o.p_ = nullptr;
    }
    return *this;
  }
  Array(const Array&) = delete;
  Array& operator=(const Array&) = delete;

  T* data() noexcept { return p_; }
  const T* data() const noexcept { return p_; }
  size_t size() const noexcept { return n_; }
  T& operator[](size_t i) noexcept { return p_[i]; }
  const T& operator[](size_t i) const noexcept { return p_[i]; }

 private:
  void reset() noexcept {
    if (!p_) return;
    if constexpr (!std::is_trivially_destructible_v<T>)
      for (size_t i = 0; i < n_; ++i)
        p_[i].~T();
    m_.release(p_, m_.ctx);
    p_ = nullptr;
  }
  Memory m_{};
  T* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace deltaplane::codec::v2
