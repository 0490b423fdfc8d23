// dp-codec-bench: codec v2 on captures, off the data path: bytes on the wire,
// lossless or not, frames lost through a hostile WAN, and encode/decode
// speed on one core (library calls, best of --rounds). bench/codec_v2.py runs
// it over every capture next to v1 and DEFLATE; the engines' own speed is
// measured by bench/system_bench.py.
//
//   dp-codec-bench [--mtu 1500] [--level 1] [--rounds 3] [--loss P] [--reorder P]
//                  [--duplicate P] [--corrupt P] [--seed N] [--convert-links] FILE...
// Frames are read as net_pcap reads them (every file as Ethernet) unless
// --convert-links gives null, raw-IP and Linux cooked captures Ethernet headers.
// Output: one JSON object per file, then one for the total.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "codec/v2/replay.hh"

using namespace deltaplane::codec::v2;

namespace {

void print(const char* name, const ReplayResult& r, double enc_ns, double dec_ns, bool last) {
  std::printf(
      "{\"file\": \"%s\", \"frames\": %llu, \"bytes\": %llu, \"wire_bytes\": %llu, \"ratio\": "
      "%.4f, \"packets\": %llu, \"bypassed\": %llu, \"emitted\": %llu, \"altered\": %llu, "
      "\"lost_on_wire\": %llu, \"collateral\": %llu, \"packets_refused\": %llu, "
      "\"hdr_compressed\": %llu, \"hdr_new_context\": %llu, \"hdr_whole\": %llu, \"match_bytes\": "
      "%llu, \"literal_bytes\": %llu, \"raw_bytes\": %llu, \"transient\": %llu, "
      "\"huffman_packets\": %llu, \"split\": %llu, \"fragmented\": %llu, \"drops\": {",
      name, (unsigned long long)r.frames, (unsigned long long)r.bytes,
      (unsigned long long)r.wire_bytes, r.bytes ? double(r.wire_bytes) / double(r.bytes) : 1.0,
      (unsigned long long)r.packets, (unsigned long long)r.bypassed, (unsigned long long)r.emitted,
      (unsigned long long)r.altered, (unsigned long long)r.lost_on_wire,
      (unsigned long long)r.collateral(), (unsigned long long)r.packets_refused,
      (unsigned long long)r.encoder.hdr_compressed, (unsigned long long)r.encoder.hdr_new_context,
      (unsigned long long)r.encoder.hdr_whole, (unsigned long long)r.encoder.match_bytes,
      (unsigned long long)r.encoder.literal_bytes, (unsigned long long)r.encoder.raw_bytes,
      (unsigned long long)r.encoder.transient, (unsigned long long)r.encoder.huffman_packets,
      (unsigned long long)r.encoder.split, (unsigned long long)r.encoder.fragmented);
  bool first = true;
  for (unsigned s = 1; s < 32; ++s) {
    if (!r.dropped[s]) continue;
    std::printf("%s\"%.*s\": %llu", first ? "" : ", ",
                static_cast<int>(status_name(static_cast<Status>(s)).size()),
                status_name(static_cast<Status>(s)).data(), (unsigned long long)r.dropped[s]);
    first = false;
  }
  const double frames = r.frames ? double(r.frames) : 1.0;
  std::printf(
      "}, \"encode_ns_per_frame\": %.1f, \"decode_ns_per_frame\": %.1f, \"encode_gbps\": %.2f, "
      "\"decode_gbps\": %.2f}%s\n",
      enc_ns / frames, dec_ns / frames, enc_ns > 0 ? double(r.bytes) * 8 / enc_ns : 0.0,
      dec_ns > 0 ? double(r.bytes) * 8 / dec_ns : 0.0, last ? "" : "");
}

}  // namespace

int main(int argc, char** argv) {
  ReplayOptions o;
  unsigned level = kDefaultLevel, mtu = 1500;
  Trace::Links links = Trace::Links::kAsNetPcap;
  int rounds = 3;
  std::vector<const char*> files;
  // Level parameters to try instead of the level's (-1: the level's).
  struct {
    int max_ancestors = -1, max_uses = -1, max_sources = -1, hash_bits = -1, skip_log = -1,
        history = -1, min_source_match = -1, context_packets = -1, sample_log = -1, span = -1,
        aligned_gap = -1, min_match = -1, ref_ancestors = -1;
  } tune;
  for (int i = 1; i < argc; ++i) {
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "dp-codec-bench: %s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--mtu"))
      mtu = static_cast<unsigned>(std::atoi(value()));
    else if (!std::strcmp(argv[i], "--level"))
      level = static_cast<unsigned>(std::atoi(value()));
    else if (!std::strcmp(argv[i], "--rounds"))
      rounds = std::atoi(value());
    else if (!std::strcmp(argv[i], "--loss"))
      o.wan.loss = std::atof(value());
    else if (!std::strcmp(argv[i], "--reorder"))
      o.wan.reorder = std::atof(value());
    else if (!std::strcmp(argv[i], "--duplicate"))
      o.wan.duplicate = std::atof(value());
    else if (!std::strcmp(argv[i], "--corrupt"))
      o.wan.corrupt = std::atof(value());
    else if (!std::strcmp(argv[i], "--seed"))
      o.wan.seed = std::strtoull(value(), nullptr, 10);
    else if (!std::strcmp(argv[i], "--convert-links"))
      links = Trace::Links::kConvert;
    else if (!std::strcmp(argv[i], "--ancestors"))
      tune.max_ancestors = std::atoi(value());
    else if (!std::strcmp(argv[i], "--uses"))
      tune.max_uses = std::atoi(value());
    else if (!std::strcmp(argv[i], "--sources"))
      tune.max_sources = std::atoi(value());
    else if (!std::strcmp(argv[i], "--hash-bits"))
      tune.hash_bits = std::atoi(value());
    else if (!std::strcmp(argv[i], "--skip-log"))
      tune.skip_log = std::atoi(value());
    else if (!std::strcmp(argv[i], "--history"))
      tune.history = std::atoi(value());
    else if (!std::strcmp(argv[i], "--min-source-match"))
      tune.min_source_match = std::atoi(value());
    else if (!std::strcmp(argv[i], "--context-packets"))
      tune.context_packets = std::atoi(value());
    else if (!std::strcmp(argv[i], "--sample-log"))
      tune.sample_log = std::atoi(value());
    else if (!std::strcmp(argv[i], "--span"))
      tune.span = std::atoi(value());
    else if (!std::strcmp(argv[i], "--ref-ancestors"))
      tune.ref_ancestors = std::atoi(value());
    else if (!std::strcmp(argv[i], "--min-match"))
      tune.min_match = std::atoi(value());
    else if (!std::strcmp(argv[i], "--aligned-gap"))
      tune.aligned_gap = std::atoi(value());
    else if (argv[i][0] == '-') {
      std::fprintf(stderr, "dp-codec-bench: unknown option %s\n", argv[i]);
      return 2;
    } else
      files.push_back(argv[i]);
  }
  if (files.empty() || mtu < 576 || mtu > 9216 || rounds < 1) {
    std::fprintf(stderr,
                 "usage: dp-codec-bench [--mtu 576..9216] [--level 1..%u] [--rounds N] [--loss P] "
                 "[--reorder P] [--duplicate P] [--corrupt P] [--seed N] FILE...\n",
                 kMaxLevel);
    return 2;
  }
  try {
    o.encoder.level = level_params(level);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dp-codec-bench: %s\n", e.what());
    return 2;
  }
  Level& lv = o.encoder.level;
  if (tune.max_ancestors >= 0) lv.max_ancestors = static_cast<uint8_t>(tune.max_ancestors);
  if (tune.max_uses >= 0) lv.max_uses = static_cast<uint16_t>(tune.max_uses);
  if (tune.max_sources >= 0) lv.max_sources = static_cast<uint8_t>(tune.max_sources);
  if (tune.hash_bits >= 0) lv.hash_bits = static_cast<uint8_t>(tune.hash_bits);
  if (tune.skip_log >= 0) lv.skip_log = static_cast<uint8_t>(tune.skip_log);
  if (tune.history >= 0) lv.history = uint32_t{1} << tune.history;
  if (tune.min_source_match >= 0) lv.min_source_match = static_cast<uint8_t>(tune.min_source_match);
  if (tune.context_packets >= 0) lv.context_packets = static_cast<uint8_t>(tune.context_packets);
  if (tune.sample_log >= 0) lv.sample_log = static_cast<uint8_t>(tune.sample_log);
  if (tune.span >= 0) lv.span = static_cast<uint8_t>(tune.span);
  if (tune.aligned_gap >= 0) lv.aligned_gap = static_cast<uint8_t>(tune.aligned_gap);
  if (tune.min_match >= 0) lv.min_match = static_cast<uint8_t>(tune.min_match);
  if (tune.ref_ancestors >= 0) lv.ref_ancestors = static_cast<uint8_t>(tune.ref_ancestors);
  o.encoder.max_payload = mtu - 28;
  o.decoder.history = o.encoder.level.history;
  ReplayResult total;
  double total_enc = 0, total_dec = 0;
  for (const char* f : files) {
    Trace t;
    if (const std::string err = t.load(f, links); !err.empty()) {
      std::fprintf(stderr, "dp-codec-bench: skipped: %s\n", err.c_str());
      continue;
    }
    ReplayResult best;
    double enc = 1e300, dec = 1e300;
    for (int r = 0; r < rounds; ++r) {
      ReplayResult res = replay(t, o);
      enc = std::min(enc, res.encode_ns);
      dec = std::min(dec, res.decode_ns);
      best = res;
    }
    print(f, best, enc, dec, false);
    total.frames += best.frames;
    total.bytes += best.bytes;
    total.wire_bytes += best.wire_bytes;
    total.packets += best.packets;
    total.bypassed += best.bypassed;
    total.emitted += best.emitted;
    total.altered += best.altered;
    total.lost_on_wire += best.lost_on_wire;
    total.packets_refused += best.packets_refused;
    for (unsigned s = 0; s < 32; ++s)
      total.dropped[s] += best.dropped[s];
    total.encoder.hdr_compressed += best.encoder.hdr_compressed;
    total.encoder.hdr_new_context += best.encoder.hdr_new_context;
    total.encoder.hdr_whole += best.encoder.hdr_whole;
    total.encoder.match_bytes += best.encoder.match_bytes;
    total.encoder.literal_bytes += best.encoder.literal_bytes;
    total.encoder.raw_bytes += best.encoder.raw_bytes;
    total.encoder.transient += best.encoder.transient;
    total.encoder.huffman_packets += best.encoder.huffman_packets;
    total.encoder.split += best.encoder.split;
    total.encoder.fragmented += best.encoder.fragmented;
    total_enc += enc;
    total_dec += dec;
  }
  print("total", total, total_enc, total_dec, true);
  return 0;
}
