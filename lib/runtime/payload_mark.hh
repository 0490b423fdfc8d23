// The mbuf dynamic flag an engine sets on a frame whose bytes it rewrote in
// place (the codec's delta paths). It means: everything the engine wrote lies
// in the frame it leaves in the mbuf (data_off, data_len). payload=fill
// generators read it to put their pattern back in those buffers only.
#pragma once

#include <cstdint>

namespace deltaplane::runtime {

// The flag's bit in ol_flags (registers it on first use; throws Error).
uint64_t payload_rewritten_flag();

}  // namespace deltaplane::runtime
