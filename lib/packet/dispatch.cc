// Picks the burst validator for a SIMD level. Selection happens once (at
// start-up, by the caller keeping the returned pointer); nothing here runs per
// packet.
#include "packet/detail/kernels.hh"
#include "packet/validate.hh"

namespace deltaplane::packet {
namespace {

constexpr BurstValidator kValidators[] = {
    {SimdLevel::kScalar, "scalar", &detail::validate_burst_scalar},
    {SimdLevel::kSse42, "sse42", &detail::validate_burst_sse42},
    {SimdLevel::kAvx2, "avx2", &detail::validate_burst_avx2},
};

}  // namespace

const BurstValidator& burst_validator(SimdLevel level) noexcept {
  const SimdLevel best = best_simd_level();
  if (static_cast<uint8_t>(level) > static_cast<uint8_t>(best)) level = best;
  return kValidators[static_cast<size_t>(level)];
}

void validate_burst(const uint8_t* const* data, const uint32_t* len, uint16_t n, const Options& opt,
                    Verdict* out_verdicts, Parsed* out_parsed) noexcept {
  static const BurstFn fn = burst_validator(best_simd_level()).validate_burst;
  fn(data, len, n, opt, out_verdicts, out_parsed);
}

}  // namespace deltaplane::packet
