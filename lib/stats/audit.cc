#include "stats/audit.hh"

#include <cstdio>

namespace deltaplane::stats {

namespace {
std::string num(uint64_t v) {
  return std::to_string(v);
}
}  // namespace

AuditVerdict audit_verdict(const Snapshot& s, const WanLinkReport& wan) {
  const CodecSnapshot& c = s.codec;
  AuditVerdict v;
  v.frames_in = c.audit_in;
  v.frames_out = c.audit_out;
  v.lan_bytes = c.enc_bytes_in;
  v.wan_bytes = c.enc_bytes_out;
  v.digests_equal = c.audit_in_digest == c.audit_out_digest;
  v.lossless = v.frames_in == v.frames_out && v.digests_equal;
  char line[256];
  const double pct =
      v.lan_bytes ? 100.0 * static_cast<double>(v.wan_bytes) / static_cast<double>(v.lan_bytes)
                  : 0.0;
  std::snprintf(line, sizeof line,
                "  WAN bytes: %llu B of LAN frames crossed as %llu B (%.1f%%): %llu B saved\n",
                (unsigned long long)v.lan_bytes, (unsigned long long)v.wan_bytes, pct,
                (unsigned long long)(v.lan_bytes > v.wan_bytes ? v.lan_bytes - v.wan_bytes : 0));
  v.text = "==== gateway pair verdict ====\n";
  v.text += "  frames into the encoders: " + num(v.frames_in) +
            ", out of the decoders: " + num(v.frames_out) + "\n";
  v.text += line;
  if (v.lossless) {
    v.text +=
        "  lossless: YES (every frame left a decoder byte for byte: counts and CRC-32 "
        "digests of both ends agree)\n";
    return v;
  }
  v.text += "  lossless: NO";
  if (v.frames_out < v.frames_in)
    v.text += ", " + num(v.frames_in - v.frames_out) + " frame(s) missing";
  else if (v.frames_out > v.frames_in)
    v.text += ", " + num(v.frames_out - v.frames_in) + " frame(s) too many";
  if (!v.digests_equal)
    v.text += v.frames_out == v.frames_in ? ", same count but different bytes (altered frames)"
                                          : ", digests differ";
  v.text += "\n";
  if (wan.lost || wan.flipped || wan.duplicated || wan.reordered || wan.in_flight)
    v.text += "  the WAN link: " + num(wan.lost) + " lost, " + num(wan.flipped) + " bit-flipped, " +
              num(wan.duplicated) + " duplicated, " + num(wan.reordered) + " reordered, " +
              num(wan.in_flight) + " still on it at stop\n";
  std::string drops;
  for (size_t r = 0; r < kDropReasonCount; ++r)
    if (s.drops[r] && kDropReasonNames[r].starts_with("decode_"))
      drops += " " + std::string(kDropReasonNames[r]) + "=" + num(s.drops[r]);
  if (!drops.empty()) v.text += "  decoder drops:" + drops + "\n";
  return v;
}

void write_audit_json(JsonWriter& w, const AuditVerdict& v, const WanLinkReport& wan) {
  w.begin_object("audit")
      .value("frames_in", v.frames_in)
      .value("frames_out", v.frames_out)
      .value("lan_bytes", v.lan_bytes)
      .value("wan_bytes", v.wan_bytes)
      .value("digests_equal", v.digests_equal)
      .value("lossless", v.lossless);
  w.begin_object("wan_link")
      .value("carried", wan.carried)
      .value("lost", wan.lost)
      .value("flipped", wan.flipped)
      .value("duplicated", wan.duplicated)
      .value("reordered", wan.reordered)
      .value("in_flight", wan.in_flight)
      .end_object();
  w.end_object();
}

}  // namespace deltaplane::stats
