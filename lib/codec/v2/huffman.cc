#include "codec/v2/huffman.hh"

#include <algorithm>
#include <cstring>

namespace deltaplane::codec::v2 {
namespace {

// Moffat and Katajainen's in-place minimum-redundancy code: a[] holds n >= 2
// weights in ascending order and receives the code lengths (non-increasing).
void minimum_redundancy(uint32_t* a, int n) noexcept {
  a[0] += a[1];
  int root = 0, leaf = 2;
  for (int next = 1; next < n - 1; ++next) {
    if (leaf >= n || a[root] < a[leaf]) {
      a[next] = a[root];
      a[root++] = static_cast<uint32_t>(next);
    } else {
      a[next] = a[leaf++];
    }
    if (leaf >= n || (root < next && a[root] < a[leaf])) {
      a[next] += a[root];
      a[root++] = static_cast<uint32_t>(next);
    } else {
      a[next] += a[leaf++];
    }
  }
  a[n - 2] = 0;
  for (int next = n - 3; next >= 0; --next)
    a[next] = a[a[next]] + 1;
  int avbl = 1, used = 0, dpth = 0, next = n - 1;
  root = n - 2;
  while (avbl > 0) {
    while (root >= 0 && static_cast<int>(a[root]) == dpth) {
      ++used;
      --root;
    }
    while (avbl > used) {
      a[next--] = static_cast<uint32_t>(dpth);
      --avbl;
    }
    avbl = 2 * used;
    ++dpth;
    used = 0;
  }
}

// Each byte's bits in reverse order.
constexpr std::array<uint8_t, 256> kReversedByte = [] {
  std::array<uint8_t, 256> t{};
  for (unsigned b = 0; b < 256; ++b)
    for (unsigned k = 0; k < 8; ++k)
      if (b >> k & 1) t[b] = static_cast<uint8_t>(t[b] | 0x80 >> k);
  return t;
}();

// The len low bits of code, reversed: codes are written least significant bit first.
uint16_t reverse_bits(uint16_t code, unsigned len) noexcept {
  const uint32_t r = uint32_t{kReversedByte[code & 0xff]} << 8 | kReversedByte[code >> 8];
  return static_cast<uint16_t>(r >> (16 - len));
}

// Canonical codes from lengths: shorter codes first, then by symbol.
void assign_codes(HuffmanCode& c) noexcept {
  unsigned count[kMaxCodeBits + 1] = {};
  for (unsigned s = 0; s <= c.max_symbol; ++s)
    ++count[c.len[s]];
  count[0] = 0;
  uint16_t next[kMaxCodeBits + 2] = {};
  uint16_t code = 0;
  for (unsigned l = 1; l <= kMaxCodeBits; ++l) {
    code = static_cast<uint16_t>((code + count[l - 1]) << 1);
    next[l] = code;
  }
  for (unsigned s = 0; s <= c.max_symbol; ++s)
    if (c.len[s]) c.code[s] = reverse_bits(next[c.len[s]]++, c.len[s]);
}

}  // namespace

bool build_code(const std::array<uint32_t, 256>& counts, HuffmanCode& c) noexcept {
  c = HuffmanCode{};
  // Present symbols by ascending count (then symbol): one key each, count
  // above the symbol, sorted without indirection. Counts are below 2^24
  // (literals of one packet).
  uint32_t keys[256];
  int n = 0;
  for (unsigned s = 0; s < 256; ++s)
    if (counts[s]) {
      keys[n++] = std::min<uint32_t>(counts[s], 0xffffff) << 8 | s;
      c.max_symbol = s;
    }
  if (n < 2) return false;
  // LSD radix sort on the count bytes (stable: equal counts stay in symbol
  // order); counts of one packet fit 16 bits, rarely more.
  uint32_t max_count = 0;
  for (int i = 0; i < n; ++i)
    max_count = std::max(max_count, keys[i] >> 8);
  uint32_t tmp[256];
  uint32_t* from = keys;
  uint32_t* to = tmp;
  for (unsigned shift = 8; shift < 32 && (max_count >> (shift - 8)) != 0; shift += 8) {
    unsigned bucket[257] = {};
    for (int i = 0; i < n; ++i)
      ++bucket[(from[i] >> shift & 0xff) + 1];
    for (unsigned b = 1; b <= 256; ++b)
      bucket[b] += bucket[b - 1];
    for (int i = 0; i < n; ++i)
      to[bucket[from[i] >> shift & 0xff]++] = from[i];
    std::swap(from, to);
  }
  if (from != keys) std::memcpy(keys, from, sizeof(uint32_t) * static_cast<size_t>(n));
  uint8_t syms[256];
  uint32_t a[256];
  for (int i = 0; i < n; ++i) {
    syms[i] = static_cast<uint8_t>(keys[i]);
    a[i] = keys[i] >> 8;
  }
  minimum_redundancy(a, n);
  // Limit to kMaxCodeBits: clamp, then lengthen the longest codes still
  // shorter than the limit until the Kraft sum fits (a few steps at most for
  // the skewed counts that overflow).
  uint32_t kraft = 0;
  for (int i = 0; i < n; ++i) {
    a[i] = std::min<uint32_t>(a[i], kMaxCodeBits);
    kraft += 1u << (kMaxCodeBits - a[i]);
  }
  while (kraft > (1u << kMaxCodeBits)) {
    // a[] is non-increasing: the first entry below the limit is the longest.
    int i = 0;
    while (a[i] == kMaxCodeBits)
      ++i;
    kraft -= 1u << (kMaxCodeBits - a[i] - 1);
    ++a[i];
  }
  for (int i = 0; i < n; ++i)
    c.len[syms[i]] = static_cast<uint8_t>(a[i]);
  assign_codes(c);
  return true;
}

uint64_t coded_bits(const HuffmanCode& c, const std::array<uint32_t, 256>& counts) noexcept {
  uint64_t bits = 0;
  for (unsigned s = 0; s <= c.max_symbol; ++s)
    bits += uint64_t{counts[s]} * c.len[s];
  return bits;
}

size_t write_table(const HuffmanCode& c, uint8_t* out) noexcept {
  uint8_t nib[2 * 256 + 2];
  size_t n = 0;
  for (unsigned s = 0; s <= c.max_symbol;) {
    if (c.len[s] == 0) {
      unsigned run = 1;
      while (s + run <= c.max_symbol && c.len[s + run] == 0 && run < 17)
        ++run;
      if (run >= 2) {
        nib[n++] = 15;
        nib[n++] = static_cast<uint8_t>(run - 2);
        s += run;
        continue;
      }
    }
    nib[n++] = c.len[s++];
  }
  const size_t size = 1 + (n + 1) / 2;
  if (out) {
    out[0] = static_cast<uint8_t>(c.max_symbol);
    std::memset(out + 1, 0, size - 1);
    for (size_t i = 0; i < n; ++i)
      out[1 + i / 2] |= static_cast<uint8_t>(nib[i] << (i % 2 * 4));
  }
  return size;
}

size_t encode(const HuffmanCode& c, std::span<const uint8_t> in, std::span<uint8_t> out) noexcept {
  uint64_t buf = 0;
  unsigned bits = 0;
  size_t o = 0;
  const size_t cap = out.size();
  for (uint8_t s : in) {
    buf |= uint64_t{c.code[s]} << bits;
    bits += c.len[s];
    if (bits >= 32) {
      if (o + 4 > cap) return 0;
      const uint32_t w = static_cast<uint32_t>(buf);
      std::memcpy(out.data() + o, &w, 4);  // little-endian: least significant bits first
      o += 4;
      buf >>= 32;
      bits -= 32;
    }
  }
  while (bits > 0) {
    if (o >= cap) return 0;
    out[o++] = static_cast<uint8_t>(buf);
    buf >>= 8;
    bits = bits > 8 ? bits - 8 : 0;
  }
  return o;
}

HuffmanStatus read_table(std::span<const uint8_t> in, HuffmanDecoder& d, size_t& used) noexcept {
  if (in.empty()) return HuffmanStatus::truncated;
  const unsigned max_symbol = in[0];
  uint8_t len[256] = {};
  size_t nib = 0;  // nibbles consumed
  auto next_nibble = [&](uint8_t& v) {
    const size_t byte = 1 + nib / 2;
    if (byte >= in.size()) return false;
    v = static_cast<uint8_t>(in[byte] >> (nib % 2 * 4) & 15);
    ++nib;
    return true;
  };
  for (unsigned s = 0; s <= max_symbol;) {
    uint8_t v;
    if (!next_nibble(v)) return HuffmanStatus::truncated;
    if (v == 15) {
      uint8_t r;
      if (!next_nibble(r)) return HuffmanStatus::truncated;
      s += r + 2u;  // absent symbols; a run past max_symbol is harmless
      continue;
    }
    if (v > kMaxCodeBits) return HuffmanStatus::bad_table;
    len[s++] = v;
  }
  used = 1 + (nib + 1) / 2;
  HuffmanCode c;
  c.max_symbol = max_symbol;
  uint32_t kraft = 0;
  unsigned present = 0, longest = 0;
  for (unsigned s = 0; s <= max_symbol; ++s) {
    c.len[s] = len[s];
    if (len[s]) {
      kraft += 1u << (kMaxCodeBits - len[s]);
      ++present;
      longest = std::max<unsigned>(longest, len[s]);
    }
  }
  if (present < 2 || kraft > (1u << kMaxCodeBits)) return HuffmanStatus::bad_table;
  assign_codes(c);
  // A complete code (Kraft sum exactly one) fills every entry; an incomplete
  // one leaves some as "no code" (length 0).
  d.bits = longest;
  const uint32_t size = 1u << longest;
  if (kraft != (1u << kMaxCodeBits)) std::fill_n(d.entries.begin(), size, uint16_t{0});
  for (unsigned s = 0; s <= max_symbol; ++s) {
    if (!c.len[s]) continue;
    const uint16_t e = static_cast<uint16_t>(s << 4 | c.len[s]);
    for (uint32_t k = c.code[s]; k < size; k += 1u << c.len[s])
      d.entries[k] = e;
  }
  return HuffmanStatus::ok;
}

HuffmanStatus decode(const HuffmanDecoder& d, std::span<const uint8_t> in,
                     std::span<uint8_t> out) noexcept {
  const uint8_t* p = in.data();
  const uint8_t* const end = p + in.size();
  uint64_t buf = 0;
  unsigned bits = 0;  // valid bits in buf
  const uint64_t mask = (uint64_t{1} << d.bits) - 1;
  // Fast part: while 8 input bytes remain, one refill holds at least 56
  // bits, five codes of at most 11: no per-symbol refill or end check.
  size_t k = 0;
  constexpr size_t kPerRefill = 56 / kMaxCodeBits;
  while (out.size() - k >= kPerRefill && end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    buf |= w << bits;
    p += (63 - bits) / 8;
    bits |= 56;                        // bits + 8 x the bytes taken
    buf &= (uint64_t{1} << bits) - 1;  // the bytes not taken are read again next time
    for (size_t j = 0; j < kPerRefill; ++j) {
      const uint16_t e = d.entries[buf & mask];
      const unsigned l = e & 15;
      if (l == 0) return HuffmanStatus::bad_code;
      out[k++] = static_cast<uint8_t>(e >> 4);
      buf >>= l;
      bits -= l;
    }
  }
  // bits not yet consumed
  uint64_t available = uint64_t{in.size()} * 8 - (uint64_t(p - in.data()) * 8 - bits);
  for (uint8_t& o : out.subspan(k)) {
    if (bits < kMaxCodeBits) {
      if (end - p >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        buf |= w << bits;  // bits < 11: at least 53 new bits fit
        const unsigned take = (63 - bits) / 8;
        p += take;
        bits += take * 8;
        buf &= (uint64_t{1} << bits) - 1;  // the bytes not taken are read again next time
      } else {
        while (bits <= 56 && p < end)
          buf |= uint64_t{*p++} << bits, bits += 8;
      }
    }
    const uint16_t e = d.entries[buf & mask];
    const unsigned l = e & 15;
    if (l == 0) return HuffmanStatus::bad_code;
    if (l > available) return HuffmanStatus::truncated;
    o = static_cast<uint8_t>(e >> 4);
    buf >>= l;
    bits = bits >= l ? bits - l : 0;
    available -= l;
  }
  return HuffmanStatus::ok;
}

}  // namespace deltaplane::codec::v2
