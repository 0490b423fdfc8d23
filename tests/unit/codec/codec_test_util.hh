// Shared helpers of the codec unit tests: deterministic inputs (random and
// adversarial), guarded buffers, and the frames of the shared pcap corpus.
#pragma once

#include <pcap/pcap.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "codec/detail/kernels.hh"
#include "codec/simd.hh"

namespace deltaplane::codec::test {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kGuard = 0xA5;
inline constexpr std::size_t kGuardSize = 64;

// The kernel tables this CPU can run.
inline std::vector<const detail::Kernels*> supported_kernels() {
  std::vector<const detail::Kernels*> v;
  for (SimdLevel l : kAllSimdLevels) {
    if (const auto* k = detail::kernels_for(l)) v.push_back(k);
  }
  return v;
}

inline Bytes random_bytes(std::mt19937_64& rng, std::size_t n) {
  Bytes b(n);
  for (auto& x : b)
    x = static_cast<std::uint8_t>(rng());
  return b;
}

// Mostly zeros with a given density of non-zero bytes: a realistic delta.
inline Bytes sparse_bytes(std::mt19937_64& rng, std::size_t n, double density) {
  Bytes b(n, 0);
  std::bernoulli_distribution hit(density);
  for (auto& x : b) {
    if (hit(rng)) x = static_cast<std::uint8_t>(1 + rng() % 255);
  }
  return b;
}

// Inputs that stress run boundaries: every kind of zero gap around the
// literal-splitting threshold, at the start, the end and vector edges.
inline std::vector<Bytes> adversarial_inputs(std::size_t n, std::mt19937_64& rng) {
  std::vector<Bytes> v;
  v.emplace_back(n, 0x00);
  v.emplace_back(n, 0xFF);
  for (std::size_t period : {2u, 3u, 4u, 5u, 7u, 31u, 33u}) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i)
      b[i] = (i % period == 0) ? 0x5A : 0;
    v.push_back(b);
    for (auto& x : b)
      x = x ? 0 : 0x01;  // inverted: lone zeros in non-zero data
    v.push_back(b);
  }
  for (std::size_t gap : {1u, 2u, 3u, 4u}) {
    // Non-zero bytes separated by exactly `gap` zeros, and a gap at each end.
    Bytes b(n, 0);
    for (std::size_t i = gap; i < n; i += gap + 1)
      b[i] = 0x80;
    v.push_back(b);
    Bytes c(n, 0x11);
    for (std::size_t i = 0; i < gap && i < n; ++i) {
      c[i] = 0;
      c[n - 1 - i] = 0;
    }
    v.push_back(c);
  }
  for (double d : {0.001, 0.01, 0.1, 0.5, 0.9})
    v.push_back(sparse_bytes(rng, n, d));
  v.push_back(random_bytes(rng, n));
  return v;
}

// A buffer with `offset` leading bytes and guard bytes after n, to check
// alignment handling and that nothing is written out of bounds.
class Guarded {
 public:
  Guarded(std::size_t n, std::size_t offset) : offset_(offset) {
    buf_.assign(offset + n + kGuardSize, kGuard);
  }
  std::uint8_t* data() { return buf_.data() + offset_; }
  [[nodiscard]] Bytes bytes(std::size_t len) const {
    return Bytes(buf_.begin() + static_cast<std::ptrdiff_t>(offset_),
                 buf_.begin() + static_cast<std::ptrdiff_t>(offset_ + len));
  }
  [[nodiscard]] bool guards_intact(std::size_t written_limit) const {
    const std::size_t from = offset_ + written_limit;
    return std::all_of(buf_.begin() + static_cast<std::ptrdiff_t>(from), buf_.end(),
                       [](std::uint8_t x) { return x == kGuard; }) &&
           std::all_of(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(offset_),
                       [](std::uint8_t x) { return x == kGuard; });
  }

 private:
  std::size_t offset_;
  Bytes buf_;
};

struct PcapFile {
  std::string name;
  std::vector<Bytes> frames;
};

inline std::filesystem::path pcap_dir() {
  const char* shared = std::getenv("DELTAPLANE_SHARED");
  return std::filesystem::path(shared ? shared : "../shared") / "pcaps";
}

// Every frame (captured bytes) of every capture libpcap can open.
inline std::vector<PcapFile> load_pcaps() {
  std::vector<PcapFile> files;
  std::error_code ec;
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(pcap_dir(), ec)) {
    const auto ext = e.path().extension();
    if (ext == ".pcap" || ext == ".pcapng") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* pc = pcap_open_offline(p.c_str(), err);
    if (pc == nullptr) continue;
    PcapFile f{p.filename().string(), {}};
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    while (pcap_next_ex(pc, &h, &data) == 1)
      f.frames.emplace_back(data, data + h->caplen);
    pcap_close(pc);
    files.push_back(std::move(f));
  }
  return files;
}

}  // namespace deltaplane::codec::test
