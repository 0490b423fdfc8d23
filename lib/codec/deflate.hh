// Raw DEFLATE of one buffer through Intel ISA-L igzip, stateless (each packet
// on its own). Not on the v1 wire: it is the yardstick the zero-run coder is
// benchmarked against (bench/micro/codec).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace deltaplane::codec {

// Owns igzip's large stream state and level buffer (~0.2-0.5 MiB), allocated
// once at construction; compress/decompress then allocate nothing.
class DeflateContext {
 public:
  // level 0..3 as in ISA-L (0 = fastest). Throws std::invalid_argument otherwise.
  explicit DeflateContext(int level = 1);
  ~DeflateContext();
  DeflateContext(const DeflateContext&) = delete;
  DeflateContext& operator=(const DeflateContext&) = delete;

  // Compresses in[0, n) to raw DEFLATE in out; the size, or 0 if it does not
  // fit in `capacity` (or on any igzip error).
  [[nodiscard]] std::size_t compress(const std::uint8_t* in, std::size_t n, std::uint8_t* out,
                                     std::size_t capacity) noexcept;

  // Inflates in[0, in_len) into exactly n bytes of out; false on malformed
  // input or any other decompressed length.
  [[nodiscard]] bool decompress(const std::uint8_t* in, std::size_t in_len, std::uint8_t* out,
                                std::size_t n) noexcept;

  [[nodiscard]] int level() const noexcept { return level_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  int level_;
};

}  // namespace deltaplane::codec
