// The end-to-end verdict of a gateway pair whose two ends run in one process
// (--wire): did every frame that entered an encoder leave a decoder, unaltered
// and once? Checked from the --audit digests (codec::frame_digest), not
// assumed from the codec's own CRC checks: the multiset of frames the encoders
// sent towards the WAN must equal the multiset the decoders sent to the LAN.
#pragma once

#include <cstdint>
#include <string>

#include "base/json.hh"
#include "stats/snapshot.hh"

namespace deltaplane::stats {

// What the in-process WAN link did to the frames (drivers/wire), both directions.
struct WanLinkReport {
  uint64_t carried = 0;  // frames that came off the wire
  uint64_t lost = 0, flipped = 0, duplicated = 0, reordered = 0;
  uint64_t in_flight = 0;  // still on the wire when the run stopped
};

struct AuditVerdict {
  uint64_t frames_in = 0, frames_out = 0;  // encoders towards WAN, decoders towards LAN
  uint64_t lan_bytes = 0, wan_bytes = 0;   // original bytes, bytes the encoders sent
  bool digests_equal = false;
  bool lossless = false;  // same count and same digest
  std::string text;       // a few lines for the summary
};

AuditVerdict audit_verdict(const Snapshot& s, const WanLinkReport& wan);
void write_audit_json(JsonWriter& w, const AuditVerdict& v, const WanLinkReport& wan);

}  // namespace deltaplane::stats
