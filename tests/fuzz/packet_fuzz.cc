// libFuzzer target: every input is one frame (and, split in pieces, a burst)
// fed to validate_reference, validate and the scalar / SSE4.2 / AVX2 burst
// validators under an option set taken from the first byte. Any difference in
// verdict, or in Parsed for kOk, aborts. ASan/UBSan catch out-of-bounds reads.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "packet/validate.hh"

namespace {

using namespace deltaplane::packet;
using deltaplane::SimdLevel;

[[noreturn]] void mismatch(const char* who, size_t i, Verdict a, Verdict b) {
  std::fprintf(stderr, "packet_fuzz: %s frame %zu: reference %s vs %s\n", who, i,
               verdict_name(a).data(), verdict_name(b).data());
  std::abort();
}

void compare(const char* who, size_t i, Verdict rv, const Parsed& rp, Verdict v, const Parsed& p) {
  if (rv != v) mismatch(who, i, rv, v);
  if (rv == Verdict::kOk && !(rp == p)) {
    std::fprintf(stderr,
                 "packet_fuzz: %s frame %zu: Parsed differs (l2 %u/%u l4 %u/%u pay %u/%u)\n", who,
                 i, rp.l2_len, p.l2_len, rp.l4_off, p.l4_off, rp.payload_off, p.payload_off);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t o = data[0];
  const Options opt{.drop_unknown_ethertype = (o & 1) != 0,
                    .drop_ttl_zero = (o & 2) == 0,
                    .verify_l4_checksum = (o & 4) != 0,
                    .verify_ipv4_checksum = (o & 8) == 0};
  ++data;
  --size;

  // Frames: the whole input, then up to 11 prefixes of it (a burst of 12
  // exercises the 8-wide block and the tail). Each frame is copied into its
  // own exact-size heap buffer so ASan sees any read past its end.
  std::vector<std::vector<uint8_t>> frames;
  frames.emplace_back(data, data + size);
  for (size_t k = 1; k < 12 && size > 0; ++k) {
    const size_t cut = size - (size * k) / 23;
    frames.emplace_back(data, data + cut);
  }
  const size_t n = frames.size();
  std::vector<const uint8_t*> ptrs(n);
  std::vector<uint32_t> lens(n);
  std::vector<Verdict> rv(n), v(n);
  std::vector<Parsed> rp(n), p(n);
  for (size_t i = 0; i < n; ++i) {
    // Zero-length vectors may have a null data(); give them a real pointer.
    ptrs[i] = frames[i].empty() ? data : frames[i].data();
    lens[i] = static_cast<uint32_t>(frames[i].size());
    rv[i] = validate_reference(ptrs[i], lens[i], opt, &rp[i]);
    Parsed q;
    compare("validate", i, rv[i], rp[i], validate(ptrs[i], lens[i], opt, &q), q);
  }
  for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kSse42, SimdLevel::kAvx2}) {
    const BurstValidator& bv = burst_validator(level);
    bv.validate_burst(ptrs.data(), lens.data(), static_cast<uint16_t>(n), opt, v.data(), p.data());
    for (size_t i = 0; i < n; ++i)
      compare(bv.name.data(), i, rv[i], rp[i], v[i], p[i]);
    bv.validate_burst(ptrs.data(), lens.data(), static_cast<uint16_t>(n), opt, v.data(), nullptr);
    for (size_t i = 0; i < n; ++i)
      if (v[i] != rv[i]) __builtin_trap();  // verdict-only mode disagrees
  }
  return 0;
}
