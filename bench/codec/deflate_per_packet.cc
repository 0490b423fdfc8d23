// dp-deflate-per-packet: what per-packet DEFLATE (ISA-L igzip, stateless, as
// IPComp would compress each datagram) does to a capture: bytes on the wire and
// nanoseconds per packet on one core. bench/codec_vs_deflate.py puts it next to
// `deltaplane --fwd encode` on the same capture.
//
//   dp-deflate-per-packet [--level 0..3] [--rounds N] FILE.pcap
// Output: one JSON object. A packet is sent compressed (plus a 4-byte IPComp
// header) only when that is smaller than the frame, as IPComp does.
#include <pcap/pcap.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "codec/deflate.hh"

int main(int argc, char** argv) {
  int level = 1, rounds = 5;
  const char* file = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--level") && i + 1 < argc)
      level = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc)
      rounds = std::atoi(argv[++i]);
    else
      file = argv[i];
  }
  if (!file || level < 0 || level > 3 || rounds < 1) {
    std::fprintf(stderr, "usage: dp-deflate-per-packet [--level 0..3] [--rounds N] FILE.pcap\n");
    return 2;
  }
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(file, err);
  if (!p) {
    std::fprintf(stderr, "dp-deflate-per-packet: %s: %s\n", file, err);
    return 1;
  }
  std::vector<std::vector<uint8_t>> frames;
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1)
    frames.emplace_back(d, d + h->caplen);
  pcap_close(p);

  deltaplane::codec::DeflateContext ctx(level);
  std::vector<uint8_t> out(70000);
  uint64_t in_bytes = 0, out_bytes = 0, compressed = 0;
  double best_ns = 1e30;
  for (int r = 0; r < rounds; ++r) {
    uint64_t ib = 0, ob = 0, nc = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (const auto& f : frames) {
      size_t n = ctx.compress(f.data(), f.size(), out.data(), out.size());
      ib += f.size();
      if (n && n + 4 < f.size()) {
        ob += n + 4;
        ++nc;
      } else {
        ob += f.size();
      }
    }
    double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
        static_cast<double>(frames.size());
    if (ns < best_ns) best_ns = ns;
    in_bytes = ib;
    out_bytes = ob;
    compressed = nc;
  }
  std::printf(
      "{\"file\": \"%s\", \"level\": %d, \"packets\": %zu, \"bytes_in\": %llu, \"bytes_out\": "
      "%llu, \"compressed_packets\": %llu, \"ns_per_packet\": %.1f, \"mpps\": %.3f}\n",
      file, level, frames.size(), (unsigned long long)in_bytes, (unsigned long long)out_bytes,
      (unsigned long long)compressed, best_ns, 1e3 / best_ns);
  return 0;
}
