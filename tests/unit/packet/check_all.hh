// Test helper: runs one frame through every implementation (reference, fast
// scalar, each burst level both alone and inside a mixed burst) and reports
// any difference in verdict, or in Parsed when the verdict is kOk.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "frame_builder.hh"
#include "packet/validate.hh"

namespace deltaplane::packet::testing {

inline std::string describe(Verdict v, const Parsed& p) {
  std::string s(verdict_name(v));
  if (v == Verdict::kOk) {
    s += " l2=" + std::to_string(p.l2_len) + " l4=" + std::to_string(p.l4_off) +
         " pay=" + std::to_string(p.payload_off) + " end=" + std::to_string(p.l3_end) +
         " proto=" + std::to_string(p.key.proto) + " flags=" + std::to_string(p.flags) +
         " ports=" + std::to_string(p.key.src_port) + "/" + std::to_string(p.key.dst_port);
  }
  return s;
}

inline bool same(Verdict a, const Parsed& pa, Verdict b, const Parsed& pb) {
  return a == b && (a != Verdict::kOk || pa == pb);
}

// Validates a batch of frames with every implementation; returns "" if all
// agree with the reference, else a description of the first mismatch.
inline std::string compare_batch(const std::vector<const uint8_t*>& data,
                                 const std::vector<uint32_t>& len, const Options& opt,
                                 std::vector<Verdict>* ref_out = nullptr) {
  const size_t n = data.size();
  std::vector<Verdict> rv(n), v(n);
  std::vector<Parsed> rp(n), p(n);
  for (size_t i = 0; i < n; ++i)
    rv[i] = validate_reference(data[i], len[i], opt, &rp[i]);
  if (ref_out) *ref_out = rv;
  for (size_t i = 0; i < n; ++i) {
    Parsed q;
    const Verdict w = validate(data[i], len[i], opt, &q);
    if (!same(rv[i], rp[i], w, q)) {
      return "validate() frame " + std::to_string(i) + ": ref " + describe(rv[i], rp[i]) + " vs " +
             describe(w, q);
    }
  }
  for (auto level : {SimdLevel::kScalar, SimdLevel::kSse42, SimdLevel::kAvx2}) {
    const BurstValidator& bv = burst_validator(level);
    for (size_t off = 0; off < n; off += 65535) {
      const auto m = static_cast<uint16_t>(n - off < 65535 ? n - off : 65535);
      std::memset(p.data() + off, 0xa5, sizeof(Parsed) * m);  // stale garbage must not leak
      bv.validate_burst(data.data() + off, len.data() + off, m, opt, v.data() + off,
                        p.data() + off);
    }
    for (size_t i = 0; i < n; ++i) {
      if (!same(rv[i], rp[i], v[i], p[i])) {
        return std::string(bv.name) + " frame " + std::to_string(i) + ": ref " +
               describe(rv[i], rp[i]) + " vs " + describe(v[i], p[i]);
      }
    }
    // Verdict-only mode (no Parsed array): the same verdicts.
    for (size_t off = 0; off < n; off += 65535) {
      const auto m = static_cast<uint16_t>(n - off < 65535 ? n - off : 65535);
      bv.validate_burst(data.data() + off, len.data() + off, m, opt, v.data() + off, nullptr);
    }
    for (size_t i = 0; i < n; ++i)
      if (v[i] != rv[i])
        return std::string(bv.name) + " (verdict only) frame " + std::to_string(i) + ": ref " +
               std::string(verdict_name(rv[i])) + " vs " + std::string(verdict_name(v[i]));
  }
  return "";
}

// One frame, placed alone, at every position of a 9-frame burst of clean
// frames, so the SIMD block path and the scalar tail both see it.
inline std::string check_frame(const Bytes& f, const Options& opt, Verdict* ref = nullptr) {
  static const Bytes clean4 = build_frame({.proto = kProtoUdp, .payload = 30});
  static const Bytes clean6 = build_frame({.l3 = L3::kIpv6, .payload = 10});
  std::vector<Verdict> rv;
  std::string e = compare_batch({f.data()}, {static_cast<uint32_t>(f.size())}, opt, &rv);
  if (!e.empty()) return "alone: " + e;
  if (ref) *ref = rv[0];
  for (size_t pos = 0; pos < 9; ++pos) {
    std::vector<const uint8_t*> d;
    std::vector<uint32_t> l;
    for (size_t i = 0; i < 9; ++i) {
      const Bytes& g = i == pos ? f : (i % 2 ? clean4 : clean6);
      d.push_back(g.data());
      l.push_back(static_cast<uint32_t>(g.size()));
    }
    e = compare_batch(d, l, opt);
    if (!e.empty()) return "in burst at " + std::to_string(pos) + ": " + e;
  }
  return "";
}

}  // namespace deltaplane::packet::testing
