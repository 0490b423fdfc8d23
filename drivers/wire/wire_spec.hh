// An in-process WAN link: two ethdev ports joined back to back by rings, what
// one sends the other receives, with optional seeded impairments applied as
// the frames arrive (like netem on a veth pair, but inside the process):
//
//   --wire loss=0.01,flip=0.001,dup=0.001,reorder=0.01,seed=7
//
// Each impairment is a probability per frame and per direction; the same seed
// and the same frame order give the same impairments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace deltaplane::drivers::wire {

struct WireSpec {
  double loss = 0;     // frame lost on the wire
  double flip = 0;     // one bit of the frame flipped
  double dup = 0;      // frame delivered twice
  double reorder = 0;  // frame swapped with the next one of its burst
  uint64_t seed = 1;
  uint32_t ring = 16384;  // frames the wire holds in each direction (a power of two): deep
                          // enough for a receiver descheduled a few hundred ms at 50k frames/s;
                          // the mempool is sized to fill it (every slot may hold an mbuf)

  bool impaired() const noexcept { return loss > 0 || flip > 0 || dup > 0 || reorder > 0; }
  std::string describe() const;
};

// Parses "key=value,..." (an empty text is a clean wire). Throws
// deltaplane::Error naming the key and what is allowed.
WireSpec parse_wire_spec(std::string_view text);

// What happens to one frame, drawn from a seeded generator: a pure function of
// the spec and the draw, so tests can check the rates without DPDK.
struct Fate {
  bool lost = false, flipped = false, duplicated = false, swapped = false;
  uint32_t bit = 0;  // flipped: which bit, of a frame of `len` bytes
};

class Impairer {
 public:
  explicit Impairer(const WireSpec& s, uint64_t stream) noexcept;
  Fate next(uint32_t len) noexcept;

 private:
  uint64_t draw() noexcept;
  uint64_t state_;
  uint64_t loss_, flip_, dup_, reorder_;  // thresholds of 2^32
};

}  // namespace deltaplane::drivers::wire
