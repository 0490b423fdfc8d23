// dp-library-codecs: the general-purpose compressors a packet codec could be
// built on (ISA-L igzip, LZ4, zstd), each as a packet codec would use it, next
// to codec v2 on the same frames, in one run: bytes, lossless, and encode and
// decode speed on one core. It answers whether a library earns its place in
// codec v2 (docs/performance.md, "Libraries side by side").
//
//   dp-library-codecs [--mtu 1500] [--rounds 5] [--dict 32768] [--convert-links] FILE...
//
// Frames are the validator's, per capture (Trace, as dp-codec-bench reads
// them). Each coder starts afresh on every capture. A library-coded frame
// costs its compressed bytes plus a 4-byte header, or the frame itself when
// that is not smaller (as IPComp, RFC 3173); codec v2 costs its tunnel
// packets with their outer headers. The ways a library is used:
//   per packet  stateless: nothing shared between frames (loss costs nothing)
//   dictionary  a dictionary learned from the first quarter of the capture's
//               frames (zstd's trainer), shared ahead of time: loss-tolerant
//               (it sees the frames it learned from: an optimistic figure)
//   stream      the last frames as history (LZ4's 64 KiB, zstd's window,
//               flushed per frame): every frame depends on all before it, so
//               one lost packet loses the rest of the capture (a bound, as the
//               DEFLATE stream bound is)
// Rounds alternate the coders (the order rotates each round); speeds are
// medians (min-max) of the rounds, in original frame bytes.
#define ZSTD_STATIC_LINKING_ONLY  // magicless frames: 4 bytes less per packet
#include <isa-l/igzip_lib.h>
#include <lz4.h>
#include <zdict.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "codec/v2/replay.hh"

namespace {

using deltaplane::codec::v2::Trace;

constexpr size_t kIpcompHeader = 4;

// One capture's frames, back to back (LZ4's stream needs its history contiguous).
struct Capture {
  std::string name;
  Trace trace;
  std::vector<uint8_t> bytes;
  std::vector<size_t> at;  // frame k: bytes[at[k], at[k + 1])
  std::vector<uint8_t> dict;
  size_t frames() const { return at.size() - 1; }
  const uint8_t* frame(size_t k) const { return bytes.data() + at[k]; }
  size_t len(size_t k) const { return at[k + 1] - at[k]; }
};

// The dictionary: zstd's trainer over the first quarter of the frames, or
// those frames' last bytes as they are when there are too few to train on.
std::vector<uint8_t> learn_dictionary(const Capture& c, size_t capacity) {
  const size_t n = c.frames() / 4;
  if (n == 0) return {};
  std::vector<uint8_t> d(capacity);
  std::vector<size_t> sizes;
  for (size_t k = 0; k < n; ++k)
    sizes.push_back(c.len(k));
  const size_t got =
      ZDICT_trainFromBuffer(d.data(), d.size(), c.frame(0), sizes.data(), static_cast<unsigned>(n));
  if (!ZDICT_isError(got)) {
    d.resize(got);
    return d;
  }
  const size_t end = c.at[n], begin = end > capacity ? end - capacity : 0;
  return {c.bytes.begin() + static_cast<long>(begin), c.bytes.begin() + static_cast<long>(end)};
}

// Shared framing: frame k's code starts at k * stride of `out`.
size_t stride_of(const Capture& c) {
  size_t m = 0;
  for (size_t k = 0; k < c.frames(); ++k)
    m = std::max(m, c.len(k));
  return m + m / 8 + 1024;
}

// How a library is used (see the top of the file).
enum class Use { kPacket, kDict, kStream };

// A coder: encode() codes every frame of a capture into `out` (and lengths
// into `coded`, 0 = sent raw); decode() restores them into `back`.
class Coder {
 public:
  Coder(const char* library, Use use) : use_(use) {
    name_ = library;
    if (use == Use::kDict) name_ += " dict";
    if (use == Use::kStream) name_ += " stream";
  }
  virtual ~Coder() = default;
  const std::string& name() const { return name_; }
  Use use() const { return use_; }
  const char* use_name() const {
    return use_ == Use::kPacket ? "per packet" : use_ == Use::kDict ? "dictionary" : "stream";
  }
  virtual void encode(const Capture& c, std::vector<uint8_t>& out, std::vector<size_t>& coded) = 0;
  virtual bool decode(const Capture& c, const std::vector<uint8_t>& out,
                      const std::vector<size_t>& coded, std::vector<uint8_t>& back) = 0;

 protected:
  // Room for every frame's code in `out`, none coded yet; returns the stride.
  static size_t prepare(const Capture& c, std::vector<uint8_t>& out, std::vector<size_t>& coded) {
    const size_t stride = stride_of(c);
    out.resize(stride * c.frames());
    coded.assign(c.frames(), 0);
    return stride;
  }
  bool with_dict(const Capture& c) const { return use_ == Use::kDict && !c.dict.empty(); }
  Use use_;

 private:
  std::string name_;
};

class IsalDeflate final : public Coder {
 public:
  // The processed dictionary starts zeroed: igzip checks its level first.
  explicit IsalDeflate(Use use)
      : Coder("igzip-1", use),
        level_buf_(ISAL_DEF_LVL1_DEFAULT),
        processed_(std::make_unique<isal_dict>()) {}
  void encode(const Capture& c, std::vector<uint8_t>& out, std::vector<size_t>& coded) override {
    const size_t stride = prepare(c, out, coded);
    const bool d = with_dict(c);
    if (d) {
      start();
      isal_deflate_process_dict(&s_, processed_.get(), const_cast<uint8_t*>(c.dict.data()),
                                static_cast<uint32_t>(c.dict.size()));
    }
    for (size_t k = 0; k < c.frames(); ++k) {
      start();
      if (d) isal_deflate_reset_dict(&s_, processed_.get());
      s_.next_in = const_cast<uint8_t*>(c.frame(k));
      s_.avail_in = static_cast<uint32_t>(c.len(k));
      s_.next_out = out.data() + k * stride;
      s_.avail_out = static_cast<uint32_t>(stride);
      s_.end_of_stream = 1;
      if (isal_deflate(&s_) == COMP_OK && s_.avail_in == 0 && s_.internal_state.state == ZSTATE_END)
        coded[k] = s_.total_out;
    }
  }
  bool decode(const Capture& c, const std::vector<uint8_t>& out, const std::vector<size_t>& coded,
              std::vector<uint8_t>& back) override {
    const size_t stride = stride_of(c);
    const bool d = with_dict(c);
    for (size_t k = 0; k < c.frames(); ++k) {
      if (!coded[k]) continue;
      isal_inflate_init(&in_);
      if (d)
        isal_inflate_set_dict(&in_, const_cast<uint8_t*>(c.dict.data()),
                              static_cast<uint32_t>(c.dict.size()));
      in_.crc_flag = ISAL_DEFLATE;
      in_.next_in = const_cast<uint8_t*>(out.data() + k * stride);
      in_.avail_in = static_cast<uint32_t>(coded[k]);
      in_.next_out = back.data() + c.at[k];
      in_.avail_out = static_cast<uint32_t>(c.len(k));
      if (isal_inflate(&in_) != ISAL_DECOMP_OK || in_.block_state != ISAL_BLOCK_FINISH ||
          in_.total_out != c.len(k))
        return false;
    }
    return true;
  }

 private:
  void start() {
    isal_deflate_init(&s_);
    s_.level = 1;
    s_.level_buf = level_buf_.data();
    s_.level_buf_size = static_cast<uint32_t>(level_buf_.size());
    s_.flush = NO_FLUSH;
    s_.gzip_flag = IGZIP_DEFLATE;
  }
  isal_zstream s_{};
  inflate_state in_{};
  std::vector<uint8_t> level_buf_;
  std::unique_ptr<isal_dict> processed_;
};

class Lz4 final : public Coder {
 public:
  explicit Lz4(Use use) : Coder("lz4", use), s_(LZ4_createStream()), loaded_(LZ4_createStream()) {}
  ~Lz4() override {
    LZ4_freeStream(s_);
    LZ4_freeStream(loaded_);
  }
  void encode(const Capture& c, std::vector<uint8_t>& out, std::vector<size_t>& coded) override {
    const size_t stride = prepare(c, out, coded);
    const bool d = with_dict(c);
    if (d)
      LZ4_loadDict(loaded_, reinterpret_cast<const char*>(c.dict.data()),
                   static_cast<int>(c.dict.size()));
    LZ4_resetStream_fast(s_);
    for (size_t k = 0; k < c.frames(); ++k) {
      const char* src = reinterpret_cast<const char*>(c.frame(k));
      char* dst = reinterpret_cast<char*>(out.data() + k * stride);
      int n;
      if (use_ == Use::kStream) {
        n = LZ4_compress_fast_continue(s_, src, dst, static_cast<int>(c.len(k)),
                                       static_cast<int>(stride), 1);
      } else if (d) {
        // The loaded dictionary's state, copied per packet (LZ4's own
        // attach_dictionary is not in Debian's shared library).
        std::memcpy(s_, loaded_, sizeof(LZ4_stream_t));
        n = LZ4_compress_fast_continue(s_, src, dst, static_cast<int>(c.len(k)),
                                       static_cast<int>(stride), 1);
      } else {
        n = LZ4_compress_fast(src, dst, static_cast<int>(c.len(k)), static_cast<int>(stride), 1);
      }
      coded[k] = n > 0 ? static_cast<size_t>(n) : 0;
      // The stream's frames stay coded whatever their size: the decoder's
      // history is the frames themselves, raw or not.
    }
  }
  bool decode(const Capture& c, const std::vector<uint8_t>& out, const std::vector<size_t>& coded,
              std::vector<uint8_t>& back) override {
    const size_t stride = stride_of(c);
    const bool d = with_dict(c);
    for (size_t k = 0; k < c.frames(); ++k) {
      if (!coded[k]) continue;
      const char* src = reinterpret_cast<const char*>(out.data() + k * stride);
      char* dst = reinterpret_cast<char*>(back.data() + c.at[k]);
      const int cap = static_cast<int>(c.len(k));
      int n;
      if (use_ == Use::kStream) {
        const size_t prefix = std::min<size_t>(c.at[k], 65536);
        n = LZ4_decompress_safe_usingDict(src, dst, static_cast<int>(coded[k]), cap, dst - prefix,
                                          static_cast<int>(prefix));
      } else if (d) {
        n = LZ4_decompress_safe_usingDict(src, dst, static_cast<int>(coded[k]), cap,
                                          reinterpret_cast<const char*>(c.dict.data()),
                                          static_cast<int>(c.dict.size()));
      } else {
        n = LZ4_decompress_safe(src, dst, static_cast<int>(coded[k]), cap);
      }
      if (n != cap) return false;
    }
    return true;
  }

 private:
  LZ4_stream_t* s_;
  LZ4_stream_t* loaded_;
};

class Zstd final : public Coder {
 public:
  explicit Zstd(Use use) : Coder("zstd-1", use), c_(ZSTD_createCCtx()), d_(ZSTD_createDCtx()) {}
  ~Zstd() override {
    ZSTD_freeCCtx(c_);
    ZSTD_freeDCtx(d_);
    ZSTD_freeCDict(cdict_);
    ZSTD_freeDDict(ddict_);
  }
  void encode(const Capture& c, std::vector<uint8_t>& out, std::vector<size_t>& coded) override {
    const size_t stride = prepare(c, out, coded);
    ZSTD_CCtx_reset(c_, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(c_, ZSTD_c_compressionLevel, 1);
    // The tunnel knows each frame's length and checks its CRC: no magic,
    // size, checksum or dictionary id in the frame header.
    ZSTD_CCtx_setParameter(c_, ZSTD_c_format, ZSTD_f_zstd1_magicless);
    ZSTD_CCtx_setParameter(c_, ZSTD_c_contentSizeFlag, 0);
    ZSTD_CCtx_setParameter(c_, ZSTD_c_checksumFlag, 0);
    ZSTD_CCtx_setParameter(c_, ZSTD_c_dictIDFlag, 0);
    if (with_dict(c)) {
      ZSTD_freeCDict(cdict_);
      cdict_ = ZSTD_createCDict(c.dict.data(), c.dict.size(), 1);
      ZSTD_CCtx_refCDict(c_, cdict_);
    }
    for (size_t k = 0; k < c.frames(); ++k) {
      uint8_t* dst = out.data() + k * stride;
      if (use_ == Use::kStream) {
        ZSTD_inBuffer in{c.frame(k), c.len(k), 0};
        ZSTD_outBuffer o{dst, stride, 0};
        const size_t left = ZSTD_compressStream2(c_, &o, &in, ZSTD_e_flush);
        coded[k] = ZSTD_isError(left) || left != 0 ? 0 : o.pos;
      } else {
        const size_t n = ZSTD_compress2(c_, dst, stride, c.frame(k), c.len(k));
        coded[k] = ZSTD_isError(n) ? 0 : n;
      }
    }
  }
  bool decode(const Capture& c, const std::vector<uint8_t>& out, const std::vector<size_t>& coded,
              std::vector<uint8_t>& back) override {
    const size_t stride = stride_of(c);
    ZSTD_DCtx_reset(d_, ZSTD_reset_session_and_parameters);
    ZSTD_DCtx_setParameter(d_, ZSTD_d_format, ZSTD_f_zstd1_magicless);
    if (with_dict(c)) {
      ZSTD_freeDDict(ddict_);
      ddict_ = ZSTD_createDDict(c.dict.data(), c.dict.size());
      ZSTD_DCtx_refDDict(d_, ddict_);
    }
    for (size_t k = 0; k < c.frames(); ++k) {
      if (!coded[k]) {
        if (use_ == Use::kStream) return false;  // the stream cannot skip a frame
        continue;
      }
      const uint8_t* src = out.data() + k * stride;
      uint8_t* dst = back.data() + c.at[k];
      if (use_ == Use::kStream) {
        ZSTD_inBuffer in{src, coded[k], 0};
        ZSTD_outBuffer o{dst, c.len(k), 0};
        while (in.pos < in.size || o.pos < o.size) {
          const size_t in_was = in.pos, out_was = o.pos;
          if (ZSTD_isError(ZSTD_decompressStream(d_, &o, &in))) return false;
          if (in.pos == in_was && o.pos == out_was) return false;  // no progress: truncated
        }
      } else {
        const size_t n = ZSTD_decompressDCtx(d_, dst, c.len(k), src, coded[k]);
        if (ZSTD_isError(n) || n != c.len(k)) return false;
      }
    }
    return true;
  }

 private:
  ZSTD_CCtx* c_;
  ZSTD_DCtx* d_;
  ZSTD_CDict* cdict_ = nullptr;
  ZSTD_DDict* ddict_ = nullptr;
};

double now_ns() {
  return std::chrono::duration<double, std::nano>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Row {
  std::string name, use;
  uint64_t wire = 0;
  bool lossless = true;
  std::vector<double> enc_ns, dec_ns;  // per round, all captures
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace deltaplane::codec::v2;
  unsigned mtu = 1500;
  int rounds = 5;
  size_t dict_size = 32768;
  Trace::Links links = Trace::Links::kAsNetPcap;
  std::vector<const char*> files;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--mtu") && has_value)
      mtu = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--rounds") && has_value)
      rounds = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--dict") && has_value)
      dict_size = static_cast<size_t>(std::atol(argv[++i]));
    else if (!std::strcmp(argv[i], "--convert-links"))
      links = Trace::Links::kConvert;
    else if (argv[i][0] == '-') {
      std::fprintf(stderr, "dp-library-codecs: unknown option or missing value: %s\n", argv[i]);
      return 2;
    } else
      files.push_back(argv[i]);
  }
  if (files.empty() || mtu < 576 || mtu > 9216 || rounds < 1 || dict_size < 256 ||
      dict_size > 32768) {
    std::fprintf(stderr,
                 "usage: dp-library-codecs [--mtu 576..9216] [--rounds N] [--dict 256..32768] "
                 "[--convert-links] FILE...\n");
    return 2;
  }
  std::vector<Capture> caps;
  uint64_t frames = 0, bytes = 0;
  for (const char* f : files) {
    Capture c;
    c.name = f;
    if (const std::string err = c.trace.load(f, links); !err.empty()) {
      std::fprintf(stderr, "dp-library-codecs: skipped: %s\n", err.c_str());
      continue;
    }
    if (c.trace.frames.empty()) continue;
    c.at.push_back(0);
    for (const auto& fr : c.trace.frames) {
      c.bytes.insert(c.bytes.end(), fr.begin(), fr.end());
      c.at.push_back(c.bytes.size());
    }
    c.dict = learn_dictionary(c, dict_size);
    frames += c.frames();
    bytes += c.bytes.size();
    caps.push_back(std::move(c));
  }

  std::vector<std::unique_ptr<Coder>> coders;
  for (Use u : {Use::kPacket, Use::kDict})
    coders.push_back(std::make_unique<IsalDeflate>(u));
  for (Use u : {Use::kPacket, Use::kDict, Use::kStream})
    coders.push_back(std::make_unique<Lz4>(u));
  for (Use u : {Use::kPacket, Use::kDict, Use::kStream})
    coders.push_back(std::make_unique<Zstd>(u));
  const size_t nlib = coders.size();
  std::vector<Row> rows(nlib + kMaxLevel);
  for (size_t v = 0; v < nlib; ++v)
    rows[v].name = coders[v]->name(), rows[v].use = coders[v]->use_name();
  for (unsigned l = 1; l <= kMaxLevel; ++l)
    rows[nlib + l - 1].name = "codec v2 level " + std::to_string(l),
                    rows[nlib + l - 1].use = l == kMaxLevel ? "history, loss costs what it costs"
                                                            : "history, loss-tolerant";

  std::vector<uint8_t> out, back;
  std::vector<size_t> coded;
  for (int r = 0; r < rounds; ++r) {
    for (size_t j = 0; j < rows.size(); ++j) {
      const size_t v = (j + static_cast<size_t>(r)) % rows.size();  // rotate the order
      Row& row = rows[v];
      double enc = 0, dec = 0;
      uint64_t wire = 0;
      bool ok = true;
      for (const Capture& c : caps) {
        if (v < nlib) {
          Coder& cd = *coders[v];
          const bool stream = cd.use() == Use::kStream;
          double t0 = now_ns();
          cd.encode(c, out, coded);
          enc += now_ns() - t0;
          back.assign(c.bytes.size(), 0);
          for (size_t k = 0; k < c.frames(); ++k) {
            if (!stream && coded[k] + kIpcompHeader >= c.len(k)) coded[k] = 0;  // sent raw
            wire += coded[k] ? coded[k] + kIpcompHeader : c.len(k);
            if (!coded[k]) std::memcpy(back.data() + c.at[k], c.frame(k), c.len(k));
          }
          t0 = now_ns();
          ok = cd.decode(c, out, coded, back) && ok;
          dec += now_ns() - t0;
          ok = ok && back == c.bytes;
        } else {
          ReplayOptions o;
          o.encoder.level = level_params(static_cast<unsigned>(v - nlib + 1));
          o.encoder.max_payload = mtu - 28;
          o.decoder.history = o.encoder.level.history;
          const ReplayResult res = replay(c.trace, o);
          enc += res.encode_ns;
          dec += res.decode_ns;
          wire += res.wire_bytes;
          ok = ok && res.altered == 0 && res.emitted == res.frames;
        }
      }
      row.wire = wire;
      row.lossless = row.lossless && ok;
      row.enc_ns.push_back(enc);
      row.dec_ns.push_back(dec);
      std::fprintf(stderr, "round %d %-18s %5.1f%% enc %6.2f dec %6.2f Gbit/s\n", r + 1,
                   row.name.c_str(), 100.0 * double(wire) / double(bytes), double(bytes) * 8 / enc,
                   double(bytes) * 8 / dec);
    }
  }
  std::printf(
      "%zu captures, %llu frames, %llu bytes, codec v2 at --mtu %u, %d rounds "
      "alternating, median (min-max) of Gbit/s of original frames per core:\n\n",
      caps.size(), (unsigned long long)frames, (unsigned long long)bytes, mtu, rounds);
  std::printf("| coder | use | wire bytes | lossless | encode Gbit/s | decode Gbit/s |\n");
  std::printf("|---|---|---:|---|---:|---:|\n");
  for (const Row& row : rows) {
    auto gbps = [&](const std::vector<double>& ns) {
      char s[64];
      const double lo = *std::max_element(ns.begin(), ns.end()),
                   hi = *std::min_element(ns.begin(), ns.end());
      std::snprintf(s, sizeof s, "%.2f (%.2f-%.2f)", double(bytes) * 8 / median(ns),
                    double(bytes) * 8 / lo, double(bytes) * 8 / hi);
      return std::string(s);
    };
    std::printf("| %s | %s | %.1f%% | %s | %s | %s |\n", row.name.c_str(), row.use.c_str(),
                100.0 * double(row.wire) / double(bytes), row.lossless ? "yes" : "NO",
                gbps(row.enc_ns).c_str(), gbps(row.dec_ns).c_str());
  }
  for (const Row& row : rows)
    if (!row.lossless) return 1;
  return 0;
}
