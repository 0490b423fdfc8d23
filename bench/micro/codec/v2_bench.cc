// Micro-benchmarks of codec v2 (docs/wire-format-v2.md) on synthetic traffic
// (drivers/synth), next to the raw library calls a packet codec could make
// instead: LZ4 per frame, igzip per frame. Bytes/s are of original frames;
// the counter `wire` is bytes out over bytes in.
//
//   v2/encode/MODEL/SIZE      Encoder::encode_burst, level 1, bursts of 32
//   v2/decode/MODEL/SIZE      Decoder::decode of the packets that made
//   huffman/encode|decode     the literal coder alone on a frame's payload
//   lz4/compress|decompress   LZ4_compress_fast / LZ4_decompress_safe per frame
//   igzip/compress            ISA-L igzip level 1 per frame
// MODEL: records (slowly changing JSON), web (HTTP from a shared corpus),
// random (incompressible).
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "codec/deflate.hh"
#include "codec/v2/decoder.hh"
#include "codec/v2/encoder.hh"
#include "codec/v2/huffman.hh"
#include "codec/v2/replay.hh"
#include "synth/frame_source.hh"
#include "synth/traffic_spec.hh"
#if DP_HAVE_LZ4
#include <lz4.h>
#endif

namespace deltaplane::codec::v2 {
namespace {

constexpr size_t kFrames = 4096;
constexpr uint16_t kBurst = 32;

struct Traffic {
  Trace trace;
  std::vector<FrameIn> in;  // flow slots assigned once, as the engines' table would
};

const Traffic& traffic(const std::string& model, int size) {
  static std::vector<std::pair<std::string, std::unique_ptr<Traffic>>> cache;
  const std::string spec =
      "flows=64,size=" + std::to_string(size) + ",payload=" + model + ",tcp=0.5,seed=1";
  for (auto& [k, t] : cache)
    if (k == spec) return *t;
  auto t = std::make_unique<Traffic>();
  const drivers::synth::FrameSource src(drivers::synth::parse_traffic_spec(spec), 0, 1);
  std::vector<uint8_t> buf(src.max_frame());
  auto c = src.cursor_at(0);
  for (size_t i = 0; i < kFrames; ++i, src.advance(c))
    t->trace.add({buf.data(), src.build(c, buf.data())});
  FlowSlots slots(4096);
  for (size_t i = 0; i < t->trace.frames.size(); ++i) {
    bool fresh;
    const uint32_t slot = slots.slot_of(t->trace.parsed[i].key, fresh);
    t->in.push_back({t->trace.frames[i].data(), static_cast<uint32_t>(t->trace.frames[i].size()),
                     &t->trace.parsed[i], slot, fresh});
  }
  cache.emplace_back(spec, std::move(t));
  return *cache.back().second;
}

EncoderConfig config() {
  EncoderConfig c;
  c.level = level_params(kDefaultLevel);
  c.max_payload = 1472;
  c.contexts = 4096;
  return c;
}

void set_rate(benchmark::State& state, uint64_t frame_bytes, uint64_t wire_bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(frame_bytes));
  state.counters["wire"] =
      frame_bytes ? static_cast<double>(wire_bytes) / static_cast<double>(frame_bytes) : 0;
}

void bm_encode(benchmark::State& state, const std::string& model) {
  const Traffic& t = traffic(model, static_cast<int>(state.range(0)));
  Encoder enc(config());
  Encoder::Burst out;
  uint64_t bytes = 0, wire = 0;
  size_t at = 0;
  for (auto _ : state) {
    if (at + kBurst > t.in.size()) at = 0;
    enc.encode_burst(std::span<const FrameIn>(t.in.data() + at, kBurst), out);
    for (uint16_t k = 0; k < out.npackets; ++k)
      wire += out.packets[k].len;
    for (uint16_t k = 0; k < kBurst; ++k)
      bytes += t.in[at + k].len;
    at += kBurst;
  }
  set_rate(state, bytes, wire);
}

void bm_decode(benchmark::State& state, const std::string& model) {
  const Traffic& t = traffic(model, static_cast<int>(state.range(0)));
  // One pass of the encoder; its packets are decoded in order, by a fresh
  // decoder for each pass over them.
  Encoder enc(config());
  Encoder::Burst out;
  std::vector<std::vector<uint8_t>> packets;
  std::vector<uint64_t> restores;  // original bytes each packet carries
  for (size_t at = 0; at + kBurst <= t.in.size(); at += kBurst) {
    enc.encode_burst(std::span<const FrameIn>(t.in.data() + at, kBurst), out);
    for (uint16_t k = 0; k < out.npackets; ++k) {
      const uint8_t* p = enc.arena() + out.packets[k].offset;
      packets.emplace_back(p, p + out.packets[k].len);
      restores.push_back(0);
    }
  }
  DecoderConfig dc;
  dc.history = config().level.history;
  dc.contexts = 4096;
  auto dec = std::make_unique<Decoder>(dc);
  Decoder::Result r;
  uint64_t bytes = 0, wire = 0;
  size_t at = 0;
  for (auto _ : state) {
    if (at == packets.size()) {
      state.PauseTiming();
      dec = std::make_unique<Decoder>(dc);
      at = 0;
      state.ResumeTiming();
    }
    dec->decode(packets[at], 1, r);
    for (unsigned k = 0; k < r.nframes; ++k)
      bytes += r.frames[k].size();
    wire += packets[at].size();
    ++at;
  }
  set_rate(state, bytes, wire);
}

// The literal coder on each frame's payload: counts, code, table, bits.
size_t huffman_code(std::span<const uint8_t> lit, uint8_t* out, size_t cap) {
  std::array<uint32_t, 256> counts{};
  for (uint8_t b : lit)
    ++counts[b];
  HuffmanCode code;
  if (!build_code(counts, code)) return 0;
  const size_t table = write_table(code, out);
  const size_t bits = encode(code, lit, std::span<uint8_t>(out + table, cap - table));
  return bits ? table + bits : 0;
}

std::span<const uint8_t> payload_of(const FrameIn& f) {
  return {f.data + f.parsed->payload_off, f.len - f.parsed->payload_off};
}

void bm_huffman_encode(benchmark::State& state, const std::string& model) {
  const Traffic& t = traffic(model, static_cast<int>(state.range(0)));
  std::vector<uint8_t> out(70000);
  uint64_t bytes = 0, wire = 0;
  size_t at = 0;
  for (auto _ : state) {
    if (at == t.in.size()) at = 0;
    const auto lit = payload_of(t.in[at++]);
    const size_t n = huffman_code(lit, out.data(), out.size());
    bytes += lit.size();
    wire += n ? n : lit.size();
  }
  set_rate(state, bytes, wire);
}

void bm_huffman_decode(benchmark::State& state, const std::string& model) {
  const Traffic& t = traffic(model, static_cast<int>(state.range(0)));
  std::vector<std::vector<uint8_t>> coded;
  for (const FrameIn& f : t.in) {
    std::vector<uint8_t> c(70000);
    c.resize(huffman_code(payload_of(f), c.data(), c.size()));
    coded.push_back(std::move(c));
  }
  std::vector<uint8_t> back(70000);
  HuffmanDecoder dec;
  uint64_t bytes = 0, wire = 0;
  size_t at = 0;
  for (auto _ : state) {
    if (at == t.in.size()) at = 0;
    const auto lit = payload_of(t.in[at]);
    const std::vector<uint8_t>& c = coded[at++];
    if (c.empty()) continue;
    size_t used = 0;
    if (read_table(c, dec, used) != HuffmanStatus::ok ||
        decode(dec, std::span<const uint8_t>(c.data() + used, c.size() - used),
               std::span<uint8_t>(back.data(), lit.size())) != HuffmanStatus::ok) {
      state.SkipWithError("huffman round trip failed");
      break;
    }
    bytes += lit.size();
    wire += c.size();
  }
  set_rate(state, bytes, wire);
}

void bm_igzip(benchmark::State& state, const std::string& model) {
  const Traffic& t = traffic(model, static_cast<int>(state.range(0)));
  DeflateContext ctx(1);
  std::vector<uint8_t> out(70000);
  uint64_t bytes = 0, wire = 0;
  size_t at = 0;
  for (auto _ : state) {
    if (at == t.in.size()) at = 0;
    const size_t n = ctx.compress(t.in[at].data, t.in[at].len, out.data(), out.size());
    bytes += t.in[at].len;
    wire += n && n + 4 < t.in[at].len ? n + 4 : t.in[at].len;
    ++at;
  }
  set_rate(state, bytes, wire);
}

#if DP_HAVE_LZ4
void bm_lz4(benchmark::State& state, const std::string& model, bool decompress) {
  const Traffic& t = traffic(model, static_cast<int>(state.range(0)));
  std::vector<std::vector<char>> coded;
  for (const FrameIn& f : t.in) {
    std::vector<char> c(static_cast<size_t>(LZ4_compressBound(static_cast<int>(f.len))));
    c.resize(static_cast<size_t>(LZ4_compress_fast(reinterpret_cast<const char*>(f.data), c.data(),
                                                   static_cast<int>(f.len),
                                                   static_cast<int>(c.size()), 1)));
    coded.push_back(std::move(c));
  }
  std::vector<char> out(70000);
  uint64_t bytes = 0, wire = 0;
  size_t at = 0;
  for (auto _ : state) {
    if (at == t.in.size()) at = 0;
    const FrameIn& f = t.in[at];
    int n;
    if (decompress)
      n = LZ4_decompress_safe(coded[at].data(), out.data(), static_cast<int>(coded[at].size()),
                              static_cast<int>(out.size()));
    else
      n = LZ4_compress_fast(reinterpret_cast<const char*>(f.data), out.data(),
                            static_cast<int>(f.len), static_cast<int>(out.size()), 1);
    benchmark::DoNotOptimize(n);
    bytes += f.len;
    wire += std::min<size_t>(coded[at].size() + 4, f.len);
    ++at;
  }
  set_rate(state, bytes, wire);
}
#endif

template <class F>
void add(const std::string& name, F fn) {
  auto* b = benchmark::RegisterBenchmark(name.c_str(), fn);
  for (int s : {512, 1500})
    b->Arg(s);
}

void register_all() {
  for (const std::string m : {"records", "web", "random"}) {
    add("v2/encode/" + m, [=](benchmark::State& s) { bm_encode(s, m); });
    add("v2/decode/" + m, [=](benchmark::State& s) { bm_decode(s, m); });
    add("huffman/encode/" + m, [=](benchmark::State& s) { bm_huffman_encode(s, m); });
    add("huffman/decode/" + m, [=](benchmark::State& s) { bm_huffman_decode(s, m); });
    add("igzip/compress/" + m, [=](benchmark::State& s) { bm_igzip(s, m); });
#if DP_HAVE_LZ4
    add("lz4/compress/" + m, [=](benchmark::State& s) { bm_lz4(s, m, false); });
    add("lz4/decompress/" + m, [=](benchmark::State& s) { bm_lz4(s, m, true); });
#endif
  }
}

}  // namespace
}  // namespace deltaplane::codec::v2

int main(int argc, char** argv) {
  deltaplane::codec::v2::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
