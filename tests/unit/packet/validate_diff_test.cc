// Differential tests: every implementation against validate_reference, over
// every Ethernet frame of the shared pcap corpus and over millions of random
// mutations of valid frames (fixed seed, so failures reproduce).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "check_all.hh"
#include "frame_builder.hh"
#include "packet/validate.hh"

namespace deltaplane::packet::testing {
namespace {

std::filesystem::path pcap_dir() {
  const char* shared = std::getenv("DELTAPLANE_SHARED");
  return std::filesystem::path(shared ? shared : "../shared") / "pcaps";
}

// Empty when ../shared/pcaps is absent (a clone of the repository alone).
std::vector<Bytes> corpus_frames() {
  std::vector<Bytes> all;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(pcap_dir(), ec)) {
    const auto ext = e.path().extension();
    if (ext != ".pcap" && ext != ".pcapng") continue;
    for (Bytes& f : read_pcap_ethernet(e.path().string()))
      all.push_back(std::move(f));
  }
  return all;
}

std::vector<Options> all_options() {
  std::vector<Options> v;
  for (int m = 0; m < 16; ++m) {
    v.push_back({.drop_unknown_ethertype = (m & 1) != 0,
                 .drop_ttl_zero = (m & 2) != 0,
                 .verify_l4_checksum = (m & 4) != 0,
                 .verify_ipv4_checksum = (m & 8) != 0});
  }
  return v;
}

TEST(PacketValidateDiff, EveryPcapFrameEveryOptionSet) {
  if (!std::filesystem::is_directory(pcap_dir()))
    GTEST_SKIP() << "needs the captures of " << pcap_dir()
                 << " (CI has them, a clone alone does not)";
  const std::vector<Bytes> frames = corpus_frames();
  ASSERT_GE(frames.size(), 2724u);  // all Ethernet frames listed in pcaps/README.md
  std::vector<const uint8_t*> d;
  std::vector<uint32_t> l;
  for (const Bytes& f : frames) {
    d.push_back(f.data());
    l.push_back(static_cast<uint32_t>(f.size()));
  }
  std::array<size_t, kVerdictCount> histogram{};
  for (const Options& opt : all_options()) {
    std::vector<Verdict> rv;
    ASSERT_EQ(compare_batch(d, l, opt, &rv), "");
    if (opt == Options{}) {
      for (Verdict v : rv)
        ++histogram[static_cast<size_t>(v)];
    }
  }
  std::printf("pcap corpus: %zu Ethernet frames x 16 option sets; default-option verdicts:\n",
              frames.size());
  for (size_t i = 0; i < kVerdictCount; ++i) {
    if (histogram[i]) {
      std::printf("  %-24s %zu\n", std::string(verdict_name(static_cast<Verdict>(i))).c_str(),
                  histogram[i]);
    }
  }
}

TEST(PacketValidateDiff, KnownPcapVerdicts) {
  if (!std::filesystem::is_directory(pcap_dir()))
    GTEST_SKIP() << "needs the captures of " << pcap_dir()
                 << " (CI has them, a clone alone does not)";
  auto first = [](const char* name) {
    const auto frames = read_pcap_ethernet((pcap_dir() / name).string());
    Parsed p;
    return frames.empty()
               ? std::string("none")
               : std::string(verdict_name(validate_reference(
                     frames[0].data(), static_cast<uint32_t>(frames[0].size()), {}, &p)));
  };
  EXPECT_EQ(first("ipv4_invalid_hdr_length.pcap"), "ipv4_bad_ihl");
  EXPECT_EQ(first("ipv4_invalid_total_length.pcap"), "ipv4_bad_total_length");
  EXPECT_EQ(first("bigtcp-ipv4.pcap"), "ipv4_bad_total_length");
  EXPECT_EQ(first("bigtcp-ipv6-hbh.pcap"), "ipv6_bad_payload_length");
  EXPECT_EQ(first("ipv6_invalid_length.pcap"), "runt");
  EXPECT_EQ(first("802.1ad_QinQ.pcap"), "ok");
  EXPECT_EQ(first("ipv4_tcp_http_xml.pcap"), "ok");
  EXPECT_EQ(first("LINKTYPE_RAW_ipv4.pcap"), "none");  // not Ethernet: skipped
}

// Random mutations of a valid frame, biased towards header fields.
class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  Bytes mutate(const Bytes& base) {
    Bytes f = base;
    const int rounds = 1 + static_cast<int>(rng_() % 3);
    for (int r = 0; r < rounds; ++r)
      one(f);
    return f;
  }

  uint32_t below(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

 private:
  // Header bytes of interest: most mutations land in the first 128 bytes.
  size_t header_offset(const Bytes& f) {
    const size_t lim = f.size() < 128 ? f.size() : 128;
    return lim ? below(static_cast<uint32_t>(lim)) : 0;
  }

  void one(Bytes& f) {
    if (f.empty()) return;
    switch (below(10)) {
      case 0:
      case 1:  // bit flip
        f[header_offset(f)] ^= static_cast<uint8_t>(1u << below(8));
        break;
      case 2: {  // interesting byte
        static constexpr uint8_t kVals[] = {0x00, 0xff, 0x45, 0x46, 0x4f, 0x60, 0x06, 0x11,
                                            0x01, 0x3a, 0x2c, 0x00, 0x2b, 0x3c, 0x33, 0x84,
                                            0x81, 0x88, 0x91, 0xa8, 0x86, 0xdd, 0x08, 0x50};
        f[header_offset(f)] = kVals[below(sizeof kVals)];
        break;
      }
      case 3:  // truncation
        f.resize(below(static_cast<uint32_t>(f.size()) + 1));
        break;
      case 4:
      case 5: {  // 16-bit length-ish field: small delta or random value
        const size_t off = header_offset(f);
        if (off + 1 >= f.size()) break;
        uint16_t v = static_cast<uint16_t>((f[off] << 8) | f[off + 1]);
        v = below(2) ? static_cast<uint16_t>(v + static_cast<int>(below(17)) - 8)
                     : static_cast<uint16_t>(rng_());
        put16(f, off, v);
        break;
      }
      case 6: {  // VLAN insertion
        static constexpr uint16_t kTpids[] = {0x8100, 0x88a8, 0x9100};
        if (f.size() < 12) break;
        const uint16_t tpid = kTpids[below(3)];
        const uint16_t tci = static_cast<uint16_t>(rng_());
        const uint8_t tag[4] = {static_cast<uint8_t>(tpid >> 8), static_cast<uint8_t>(tpid),
                                static_cast<uint8_t>(tci >> 8), static_cast<uint8_t>(tci)};
        f.insert(f.begin() + 12, tag, tag + 4);
        break;
      }
      case 7: {  // fix the IPv4 header checksum after earlier edits (gets past that check)
        size_t l3 = 14;
        while (l3 + 2 <= f.size() && l3 <= 22 &&
               is_vlan_tpid(static_cast<uint16_t>((f[l3 - 2] << 8) | f[l3 - 1]))) {
          l3 += 4;
        }
        if (l3 + 20 <= f.size() && (f[l3] >> 4) == 4 && l3 + (f[l3] & 15) * 4u <= f.size() &&
            (f[l3] & 15) >= 5) {
          fix_ipv4_checksum(f, l3);
        }
        break;
      }
      case 8: {  // grow (padding / trailing bytes)
        const uint32_t extra = below(64);
        for (uint32_t i = 0; i < extra; ++i)
          f.push_back(static_cast<uint8_t>(rng_()));
        break;
      }
      default: {  // random byte anywhere
        f[below(static_cast<uint32_t>(f.size()))] = static_cast<uint8_t>(rng_());
        break;
      }
    }
  }

  std::mt19937_64 rng_;
};

std::vector<Bytes> seed_frames() {
  std::vector<Bytes> s;
  uint32_t seed = 1;
  for (L3 l3 : {L3::kIpv4, L3::kIpv6}) {
    for (uint8_t proto :
         {kProtoTcp, kProtoUdp, kProtoSctp, kProtoIcmp, kProtoIcmpv6, uint8_t{47}}) {
      for (uint32_t payload : {0u, 6u, 40u, 200u}) {
        s.push_back(build_frame({.l3 = l3, .proto = proto, .payload = payload, .seed = seed++}));
        s.push_back(build_frame({.vlans = {{0x8100, static_cast<uint16_t>(seed)}},
                                 .l3 = l3,
                                 .proto = proto,
                                 .payload = payload,
                                 .seed = seed++}));
      }
      s.push_back(build_frame({.l3 = l3,
                               .proto = proto,
                               .payload = 300,
                               .more_fragments = true,
                               .dont_fragment = false,
                               .ipv6_ext = {kProtoFragment},
                               .seed = seed++}));
      s.push_back(build_frame({.l3 = l3,
                               .proto = proto,
                               .payload = 300,
                               .frag_offset = 1,
                               .ipv6_ext = {kProtoFragment},
                               .seed = seed++}));
    }
  }
  s.push_back(build_frame({.payload = 9, .ipv4_option_bytes = 12, .tcp_option_bytes = 12}));
  s.push_back(build_frame({.l3 = L3::kIpv6,
                           .proto = kProtoUdp,
                           .payload = 17,
                           .ipv6_ext = {kProtoHopByHop, kProtoRouting, kProtoAh, kProtoDestOpts}}));
  s.push_back(build_frame({.vlans = {{0x88a8, 5}, {0x8100, 6}}, .proto = kProtoUdp}));
  s.push_back(build_frame({.l3 = L3::kArp}));
  // Near the less common verdicts: first fragments at the minimum size, and an
  // IPv6 chain at the extension-header limit.
  s.push_back(build_frame({.more_fragments = true, .dont_fragment = false}));
  s.push_back(build_frame({.proto = kProtoUdp, .more_fragments = true, .dont_fragment = false}));
  s.push_back(build_frame({.l3 = L3::kIpv6,
                           .proto = kProtoUdp,
                           .ipv6_ext = std::vector<uint8_t>(kMaxIpv6ExtHeaders, kProtoDestOpts)}));
  return s;
}

TEST(PacketValidateDiff, RandomMutations) {
  std::vector<Bytes> bases = seed_frames();
  const size_t n_built = bases.size();
  for (Bytes& f : corpus_frames()) {
    if (f.size() <= 2000) bases.push_back(std::move(f));
  }
  Mutator m(0x5eed'd317a'91a4eull);
  const std::vector<Options> opts = all_options();
  constexpr int kRounds = 300000;
  constexpr int kBurst = 32;
  size_t compared = 0;
  std::array<size_t, kVerdictCount> histogram{};
  std::vector<Bytes> burst(kBurst);
  for (int r = 0; r < kRounds; ++r) {
    std::vector<const uint8_t*> d(kBurst);
    std::vector<uint32_t> l(kBurst);
    for (int i = 0; i < kBurst; ++i) {
      // Half the bases from the builder (every protocol), half from the corpus.
      const size_t b = m.below(2) ? m.below(static_cast<uint32_t>(n_built))
                                  : m.below(static_cast<uint32_t>(bases.size()));
      burst[i] = m.below(8) == 0 ? bases[b] : m.mutate(bases[b]);
      d[i] = burst[i].data();
      l[i] = static_cast<uint32_t>(burst[i].size());
    }
    const Options& opt = opts[m.below(static_cast<uint32_t>(opts.size()))];
    std::vector<Verdict> rv;
    const std::string err = compare_batch(d, l, opt, &rv);
    if (!err.empty()) {
      std::string hex;
      const size_t bad = std::stoul(err.substr(err.find("frame ") + 6));
      for (uint8_t c : burst[bad]) {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%02x", c);
        hex += buf;
      }
      FAIL() << "round " << r << ": " << err << "\nframe: " << hex;
    }
    for (Verdict v : rv)
      ++histogram[static_cast<size_t>(v)];
    compared += kBurst;
  }
  // Each input is compared across 5 implementations (reference, validate,
  // scalar/SSE4.2/AVX2 bursts).
  std::printf("random mutations: %zu inputs compared (x5 implementations); verdicts:\n", compared);
  for (size_t i = 0; i < kVerdictCount; ++i) {
    std::printf("  %-24s %zu\n", std::string(verdict_name(static_cast<Verdict>(i))).c_str(),
                histogram[i]);
  }
}

}  // namespace
}  // namespace deltaplane::packet::testing
