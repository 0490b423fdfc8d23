// Zero-run coder: every ISA's encoder must produce the reference's bytes, every
// decoder must restore the input, and malformed bodies must fail the same way
// in all of them without touching memory out of bounds.
#include <gtest/gtest.h>

#include "codec/reference.hh"
#include "codec/zero_run.hh"
#include "codec_test_util.hh"

namespace deltaplane::codec::test {
namespace {

Bytes ref_encode(const Bytes& in) {
  Bytes out(zero_run_bound(in.size()));
  out.resize(ref::zero_run_encode(in.data(), in.size(), out.data(), out.size()));
  return out;
}

// Encodes `in` with each level (plain and fused against `key`), checks the
// bytes against the reference and decodes back with each level.
void check_round_trip(const Bytes& in, std::size_t in_off, std::size_t out_off) {
  const std::size_t n = in.size();
  const Bytes want = ref_encode(in);
  if (n > 0) {
    ASSERT_GE(want.size(), 2u);
  }
  ASSERT_LE(want.size(), zero_run_bound(n));
  Bytes back(n + 1);
  ASSERT_EQ(ref::zero_run_decode(want.data(), want.size(), back.data(), n), ZeroRunStatus::ok);
  back.resize(n);
  ASSERT_EQ(back, in);

  Guarded src(n, in_off);
  std::copy(in.begin(), in.end(), src.data());
  for (const auto* k : supported_kernels()) {
    const std::size_t cap = zero_run_bound(n);
    Guarded enc(cap, out_off);
    const std::size_t got = k->zero_run_encode(src.data(), n, enc.data(), cap);
    ASSERT_EQ(got, want.size()) << simd_level_name(k->level) << " n=" << n;
    ASSERT_EQ(enc.bytes(got), want) << simd_level_name(k->level) << " n=" << n;
    ASSERT_TRUE(enc.guards_intact(cap));

    // Decode from a body placed so its end is the end of the readable bytes.
    Guarded body(want.size(), out_off);
    std::copy(want.begin(), want.end(), body.data());
    Guarded dec(n, in_off);
    ASSERT_EQ(k->zero_run_decode(body.data(), want.size(), dec.data(), n), ZeroRunStatus::ok)
        << simd_level_name(k->level) << " n=" << n;
    ASSERT_EQ(dec.bytes(n), in) << simd_level_name(k->level) << " n=" << n;
    ASSERT_TRUE(dec.guards_intact(n)) << simd_level_name(k->level) << " n=" << n;
  }
}

// The fused paths against "XOR, then the reference coder", for a key of any length.
void check_fused(const Bytes& frame, const Bytes& key, std::mt19937_64& rng) {
  const std::size_t n = frame.size();
  Bytes delta(n);
  for (std::size_t i = 0; i < n; ++i) {
    delta[i] = static_cast<std::uint8_t>(frame[i] ^ (i < key.size() ? key[i] : 0));
  }
  const Bytes want = ref_encode(delta);
  Guarded f(n, rng() % 64);
  Guarded kb(key.size(), rng() % 64);
  std::copy(frame.begin(), frame.end(), f.data());
  std::copy(key.begin(), key.end(), kb.data());
  for (const auto* k : supported_kernels()) {
    const std::size_t cap = zero_run_bound(n);
    Guarded enc(cap, rng() % 64);
    const std::size_t got =
        k->xor_zero_run_encode(f.data(), n, kb.data(), key.size(), enc.data(), cap);
    ASSERT_EQ(got, want.size()) << simd_level_name(k->level) << " n=" << n << " key=" << key.size();
    ASSERT_EQ(enc.bytes(got), want) << simd_level_name(k->level) << " n=" << n;
    ASSERT_TRUE(enc.guards_intact(cap));

    Guarded body(want.size(), rng() % 64);
    std::copy(want.begin(), want.end(), body.data());
    Guarded dec(n, rng() % 64);
    ASSERT_EQ(
        k->zero_run_decode_xor(body.data(), want.size(), kb.data(), key.size(), dec.data(), n),
        ZeroRunStatus::ok)
        << simd_level_name(k->level) << " n=" << n << " key=" << key.size();
    ASSERT_EQ(dec.bytes(n), frame)
        << simd_level_name(k->level) << " n=" << n << " key=" << key.size();
    ASSERT_TRUE(dec.guards_intact(n));
  }
}

TEST(ZeroRun, KnownEncodings) {
  // Canonical examples, also listed in docs/wire-format.md.
  EXPECT_EQ(ref_encode({}), Bytes{});
  EXPECT_EQ(ref_encode(Bytes(5, 0)), (Bytes{0x05, 0x00}));
  EXPECT_EQ(ref_encode({7}), (Bytes{0x00, 0x01, 0x07}));
  EXPECT_EQ(ref_encode({0, 0, 9, 0, 0, 8, 0, 0, 0, 0}),
            (Bytes{0x02, 0x04, 0x09, 0x00, 0x00, 0x08, 0x04, 0x00}));
  EXPECT_EQ(ref_encode({1, 0, 0}), (Bytes{0x00, 0x03, 0x01, 0x00, 0x00}));
  EXPECT_EQ(ref_encode(Bytes(300, 0)), (Bytes{0xAC, 0x02, 0x00}));
  Bytes tail(200, 0);
  tail[199] = 0x42;
  EXPECT_EQ(ref_encode(tail), (Bytes{0xC7, 0x01, 0x01, 0x42}));
}

TEST(ZeroRun, AllLengthsAdversarial) {
  std::mt19937_64 rng(3);
  for (std::size_t n = 0; n <= 300; ++n) {
    for (const Bytes& in : adversarial_inputs(n, rng)) {
      check_round_trip(in, n % 64, (n * 5) % 64);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(ZeroRun, AllAlignments) {
  std::mt19937_64 rng(4);
  for (std::size_t off = 0; off < 64; ++off) {
    for (std::size_t n : {1u, 17u, 33u, 64u, 100u, 257u}) {
      check_round_trip(sparse_bytes(rng, n, 0.05), off, 63 - off);
      check_round_trip(random_bytes(rng, n), off, (off * 3) % 64);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(ZeroRun, RandomLongInputs) {
  std::mt19937_64 rng(5);
  for (int iter = 0; iter < 400; ++iter) {
    const std::size_t n = rng() % 9601;
    const double density = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    check_round_trip(sparse_bytes(rng, n, density * density * density), rng() % 64, rng() % 64);
    if (HasFatalFailure()) return;
  }
}

TEST(ZeroRun, LongRunsNeedMultiByteVarints) {
  for (std::size_t n : {127u, 128u, 16383u, 16384u, 65535u, 70000u}) {
    Bytes in(n, 0);
    check_round_trip(in, 0, 0);
    in[n / 2] = 1;
    check_round_trip(in, 1, 2);
    std::fill(in.begin(), in.end(), 0x33);
    check_round_trip(in, 3, 4);
  }
}

TEST(ZeroRun, FusedMatchesXorThenEncode) {
  std::mt19937_64 rng(6);
  for (std::size_t n = 0; n <= 300; ++n) {
    const Bytes key = random_bytes(rng, n + 40);
    Bytes frame(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      if (rng() % 16 == 0) frame[i] = static_cast<std::uint8_t>(rng());
    }
    // Keys shorter than, equal to and longer than the frame.
    for (std::size_t klen : {std::size_t{0}, n / 3, n > 5 ? n - 5 : 0, n, n + 1, n + 40}) {
      check_fused(frame, Bytes(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(klen)), rng);
      if (HasFatalFailure()) return;
    }
  }
  for (int iter = 0; iter < 200; ++iter) {
    const std::size_t n = rng() % 9601;
    const Bytes key = random_bytes(rng, rng() % 9601);
    Bytes frame = random_bytes(rng, n);
    for (std::size_t i = 0; i < n && i < key.size(); ++i) {
      if (rng() % 50 != 0) frame[i] = key[i];
    }
    check_fused(frame, key, rng);
    if (HasFatalFailure()) return;
  }
}

TEST(ZeroRun, CapacityIsExact) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 200; ++iter) {
    const std::size_t n = 1 + rng() % 600;
    const Bytes in = sparse_bytes(rng, n, iter % 2 ? 0.05 : 0.9);
    const Bytes want = ref_encode(in);
    for (const auto* k : supported_kernels()) {
      for (std::size_t cap : {std::size_t{0}, want.size() / 2, want.size() - 1, want.size()}) {
        Guarded out(cap, 0);
        const std::size_t got = k->zero_run_encode(in.data(), n, out.data(), cap);
        ASSERT_TRUE(out.guards_intact(cap)) << simd_level_name(k->level) << " cap=" << cap;
        if (cap < want.size()) {
          ASSERT_EQ(got, 0u) << simd_level_name(k->level) << " cap=" << cap;
        } else {
          ASSERT_EQ(out.bytes(got), want) << simd_level_name(k->level);
        }
        Guarded fused(cap, 0);
        const Bytes zeros(n, 0);
        ASSERT_EQ(k->xor_zero_run_encode(in.data(), n, zeros.data(), n, fused.data(), cap), got);
        ASSERT_TRUE(fused.guards_intact(cap));
      }
      ASSERT_EQ(ref::zero_run_encode(in.data(), n, Bytes(want.size()).data(), want.size() - 1), 0u);
    }
  }
}

// Decodes `body` with the reference and every level (plain and fused); all
// must agree on the status, and on the bytes when they succeed.
void check_malformed(const Bytes& body, std::size_t n, const Bytes& key) {
  Guarded body_buf(body.size(), 0);
  std::copy(body.begin(), body.end(), body_buf.data());
  Bytes ref_out(n + 1);
  const ZeroRunStatus want = ref::zero_run_decode(body_buf.data(), body.size(), ref_out.data(), n);
  ref_out.resize(n);
  Bytes ref_fused = ref_out;
  for (std::size_t i = 0; i < n && i < key.size(); ++i)
    ref_fused[i] ^= key[i];
  for (const auto* k : supported_kernels()) {
    Guarded out(n, 0);
    ASSERT_EQ(k->zero_run_decode(body_buf.data(), body.size(), out.data(), n), want)
        << simd_level_name(k->level);
    ASSERT_TRUE(out.guards_intact(n));
    if (want == ZeroRunStatus::ok) {
      ASSERT_EQ(out.bytes(n), ref_out);
    }
    Guarded fused(n, 0);
    ASSERT_EQ(k->zero_run_decode_xor(body_buf.data(), body.size(), key.data(), key.size(),
                                     fused.data(), n),
              want)
        << simd_level_name(k->level);
    ASSERT_TRUE(fused.guards_intact(n));
    if (want == ZeroRunStatus::ok) {
      ASSERT_EQ(fused.bytes(n), ref_fused);
    }
  }
}

TEST(ZeroRun, MalformedBodiesNamedStatuses) {
  const Bytes key(16, 0x10);
  auto status = [](const Bytes& body, std::size_t n) {
    Bytes out(n + 1);
    return ref::zero_run_decode(body.data(), body.size(), out.data(), n);
  };
  EXPECT_EQ(status({}, 0), ZeroRunStatus::ok);
  EXPECT_EQ(status({0x01}, 0), ZeroRunStatus::trailing);
  EXPECT_EQ(status({}, 4), ZeroRunStatus::truncated);
  EXPECT_EQ(status({0x04}, 4), ZeroRunStatus::truncated);
  EXPECT_EQ(status({0x00, 0x04, 1, 2, 3}, 4), ZeroRunStatus::truncated);
  EXPECT_EQ(status({0x00, 0x00}, 4), ZeroRunStatus::empty_pair);
  EXPECT_EQ(status({0x05, 0x00}, 4), ZeroRunStatus::overrun);
  EXPECT_EQ(status({0x02, 0x03, 1, 2, 3}, 4), ZeroRunStatus::overrun);
  EXPECT_EQ(status({0x04, 0x00, 0x00}, 4), ZeroRunStatus::trailing);
  EXPECT_EQ(status({0x80, 0x80, 0x80, 0x80, 0x10, 0x00}, 4), ZeroRunStatus::bad_varint);
  EXPECT_EQ(status({0x80, 0x80, 0x80, 0x80, 0x80}, 4), ZeroRunStatus::bad_varint);
  EXPECT_EQ(status({0x84, 0x80, 0x80, 0x80, 0x00, 0x00}, 4), ZeroRunStatus::ok);  // 4, padded
  EXPECT_EQ(status({0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00}, 4), ZeroRunStatus::overrun);
  for (const Bytes& b :
       {Bytes{}, Bytes{0x01}, Bytes{0x04}, Bytes{0x00, 0x04, 1, 2, 3}, Bytes{0x00, 0x00},
        Bytes{0x05, 0x00}, Bytes{0x02, 0x03, 1, 2, 3}, Bytes{0x04, 0x00, 0x00},
        Bytes{0x80, 0x80, 0x80, 0x80, 0x10, 0x00}, Bytes{0x01, 0x02, 7, 8, 0x01, 0x00}}) {
    for (std::size_t n : {0u, 4u, 5u}) {
      check_malformed(b, n, key);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(ZeroRun, CorruptedBodiesNeverMisbehave) {
  std::mt19937_64 rng(8);
  for (int iter = 0; iter < 3000; ++iter) {
    const std::size_t n = rng() % 400;
    Bytes body = ref_encode(sparse_bytes(rng, n, 0.05));
    switch (rng() % 4) {
      case 0:  // flip bits
        for (int f = 0; f < 3 && !body.empty(); ++f)
          body[rng() % body.size()] ^= 1 << (rng() % 8);
        break;
      case 1:  // truncate
        body.resize(body.empty() ? 0 : rng() % body.size());
        break;
      case 2:  // append
        body.push_back(static_cast<std::uint8_t>(rng()));
        break;
      default:  // garbage
        body = random_bytes(rng, rng() % 64);
        break;
    }
    const Bytes key = random_bytes(rng, rng() % 500);
    const std::size_t claimed = (rng() % 4 == 0) ? rng() % 400 : n;
    check_malformed(body, claimed, key);
    if (HasFatalFailure()) return;
  }
}

TEST(ZeroRun, DispatchedEntryPointsMatchReference) {
  std::mt19937_64 rng(9);
  const Bytes in = sparse_bytes(rng, 1500, 0.02);
  const Bytes want = ref_encode(in);
  Bytes out(zero_run_bound(in.size()));
  ASSERT_EQ(zero_run_encode(in.data(), in.size(), out.data(), out.size()), want.size());
  out.resize(want.size());
  EXPECT_EQ(out, want);
  Bytes back(in.size());
  ASSERT_EQ(zero_run_decode(out.data(), out.size(), back.data(), back.size()), ZeroRunStatus::ok);
  EXPECT_EQ(back, in);
  EXPECT_EQ(to_string(ZeroRunStatus::overrun), "overrun");
}

}  // namespace
}  // namespace deltaplane::codec::test
