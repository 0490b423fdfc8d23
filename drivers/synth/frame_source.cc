#include "synth/frame_source.hh"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>

#include "packet/checksum.hh"

namespace deltaplane::drivers::synth {
namespace {

constexpr uint64_t splitmix64(uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Big-endian stores, one instruction each.
inline void be16(uint8_t* p, uint16_t v) noexcept {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, 2);
}
inline void be32(uint8_t* p, uint32_t v) noexcept {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}
inline void be64(uint8_t* p, uint64_t v) noexcept {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

// Unfolded sum of the native 16-bit words of an even number of bytes.
inline uint64_t word_sum(const uint8_t* p, uint32_t len) noexcept {
  uint64_t s = 0;
  for (uint32_t i = 0; i + 1 < len; i += 2) {
    uint16_t w;
    std::memcpy(&w, p + i, 2);
    s += w;
  }
  return s;
}

// Writes v as exactly `digits` decimal digits (zero-padded, high digits cut).
inline void decimal(uint8_t* p, uint64_t v, int digits) noexcept {
  for (int i = digits - 1; i >= 0; --i) {
    p[i] = static_cast<uint8_t>('0' + v % 10);
    v /= 10;
  }
}

// A stored checksum changed so that it is wrong in ones'-complement terms too
// (never 0x0000 or 0xffff, which mean the same sum).
inline uint16_t corrupt(uint16_t c) noexcept {
  uint16_t b = c ^ 0x0101;
  if (b == 0 || b == 0xffff) b = c ^ 0x0202;
  return b;
}

constexpr uint8_t kDstMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
constexpr uint8_t kSrcMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
constexpr uint16_t kImix[12] = {64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1500};
constexpr uint16_t kDstPorts[8] = {53, 80, 443, 4789, 5001, 8080, 9000, 1883};
constexpr uint32_t kRandomPoolSpan = 65536;  // payload start offsets drawn from here
constexpr uint64_t kTsBaseMs = 1800000000000ull;

constexpr uint32_t fraction16(double f) noexcept {
  return static_cast<uint32_t>(f * 65536.0);
}

}  // namespace

void FrameSource::Pool::index() {
  if (bytes.size() & 1) bytes.push_back(0);
  prefix.assign(bytes.size() / 2 + 1, 0);
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
    uint16_t w;
    std::memcpy(&w, &bytes[i], 2);
    prefix[i / 2 + 1] = prefix[i / 2] + w;
  }
}

uint64_t FrameSource::Pool::sum(uint32_t off, uint32_t len) const noexcept {
  uint64_t s = prefix[(off + len) / 2] - prefix[off / 2];
  if (len & 1) s += bytes[off + len - 1];  // odd tail, zero-padded (native little-endian)
  return s;
}

FrameSource::FrameSource(const TrafficSpec& spec, uint16_t queue, uint16_t nb_queues)
    : spec_(spec), queue_(queue), nb_queues_(nb_queues ? nb_queues : 1) {
  local_flows_ = spec.flows / nb_queues_ + (queue_ < spec.flows % nb_queues_ ? 1 : 0);
  if (local_flows_ == 0) local_flows_ = 1;  // more queues than flows: queue repeats flow q
  seed_ = splitmix64(spec.seed * 0x100000001b3ull + queue);
  stride_ = 0;
  if (local_flows_ > 1) {
    stride_ = static_cast<uint32_t>(splitmix64(seed_) % (local_flows_ - 1)) + 1;
    while (std::gcd(stride_, local_flows_) != 1)
      stride_ = stride_ + 1 < local_flows_ ? stride_ + 1 : 1;
  }
  max_frame_ = spec.size_model == SizeModel::kImix ? 1500 : spec.size_max;
  if (max_frame_ < 14 + 40 + 20) max_frame_ = 14 + 40 + 20;
  ipv6_threshold_ = fraction16(spec.ipv6);
  tcp_threshold_ = fraction16(spec.tcp);
  head_bytes_ = (14 + (ipv6_threshold_ ? 40 : 20) + (tcp_threshold_ ? 20 : 8) + 63) / 64 * 64;
  invalid_threshold_ = static_cast<uint32_t>(spec.invalid * double(1u << 24));
  if (spec.invalid >= 1.0) invalid_threshold_ = 1u << 24;

  // Random pool: payload slices start anywhere (even) in the first 64 KiB.
  random_.bytes.resize(kRandomPoolSpan + max_frame_);
  uint64_t x = spec.seed ^ 0x5eed;
  for (size_t i = 0; i < random_.bytes.size(); i += 8) {
    x = splitmix64(x);
    std::memcpy(&random_.bytes[i], &x, std::min<size_t>(8, random_.bytes.size() - i));
  }
  random_.index();

  // Fill: one pattern by frame offset, from the seed alone (not the queue), so
  // every queue of a port can share buffers that hold it.
  pattern_.bytes.resize(max_frame_);
  x = spec.seed ^ 0xf111;
  for (size_t i = 0; i < pattern_.bytes.size(); i += 8) {
    x = splitmix64(x);
    std::memcpy(&pattern_.bytes[i], &x, std::min<size_t>(8, pattern_.bytes.size() - i));
  }
  pattern_.index();

  // Records: one record template repeated; the leading span (sequence number,
  // timestamp, sensor id) is rewritten per frame.
  std::string rec;
  if (spec.payload == PayloadModel::kBinary) {
    rec.assign(32, '\0');
    auto* r = reinterpret_cast<uint8_t*>(rec.data());
    be16(r + 20, 2150);  // temperature, centi-degrees
    be16(r + 22, 1);     // status ok
    std::memcpy(r + 24, "dpsynth\n", 8);
    span_len_ = 20;  // seq (8), timestamp us (8), sensor (4)
  } else {
    rec =
        "{\"seq\":0000000000,\"ts\":0000000000000,\"sensor\":00000000,"
        "\"temp\":21.50,\"unit\":\"C\",\"status\":\"ok\"}";
    span_len_ = static_cast<uint32_t>(rec.find(",\"temp\""));
    if (span_len_ & 1) ++span_len_;  // spans cover whole 16-bit words
    rec += (rec.size() & 1) ? "\n" : " \n";
  }
  record_len_ = static_cast<uint32_t>(rec.size());
  while (records_.bytes.size() < max_frame_)
    records_.bytes.insert(records_.bytes.end(), rec.begin(), rec.end());
  records_.index();
  span_template_sum_ = word_sum(records_.bytes.data(), span_len_);
  if (spec.payload == PayloadModel::kWeb || spec.payload == PayloadModel::kMix) build_web_corpus();
}

// The web corpus: a few hundred HTTP requests and responses of one site, built
// from the seed. Requests share their header lines and differ in path, query
// and cookie; responses share headers and page template and differ in title,
// length and article text. Frames copy from a message's start, so what a
// frame carries recurs in many flows, never byte-aligned with the flow's last
// frame: content a codec can only find by matching, not by XOR.
void FrameSource::build_web_corpus() {
  static constexpr const char* kSections[] = {"news",   "sport",   "weather", "tech",
                                              "travel", "culture", "science", "business"};
  static constexpr const char* kAgents[] = {
      "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/17.1 Safari/605.1.15",
      "curl/7.88.1"};
  static constexpr const char* kWords[] = {
      "the",      "network", "packet",  "latency", "river",    "market", "season", "energy",
      "council",  "report",  "weather", "storm",   "league",   "final",  "growth", "policy",
      "research", "station", "travel",  "museum",  "festival", "budget", "city",   "coast",
      "election", "science", "data",    "record",  "morning",  "update", "local",  "world"};
  uint64_t x = spec_.seed ^ 0x3eb;
  auto rnd = [&x](uint64_t n) {
    x = splitmix64(x);
    return x % n;
  };
  auto words = [&](std::string& s, int n) {
    for (int i = 0; i < n; ++i) {
      if (i) s += ' ';
      s += kWords[rnd(std::size(kWords))];
    }
  };
  std::string corpus;
  char num[64];
  for (int m = 0; m < 256; ++m) {
    std::string msg;
    const char* section = kSections[rnd(std::size(kSections))];
    const uint64_t article = 100000 + rnd(900000);
    if (m % 2 == 0) {
      std::snprintf(num, sizeof num, "%llu", static_cast<unsigned long long>(article));
      std::string slug;
      words(slug, 3);
      for (char& ch : slug)
        if (ch == ' ') ch = '-';
      msg = "GET /" + std::string(section) + "/" + num + "/" + slug;
      std::snprintf(num, sizeof num, "%llu", static_cast<unsigned long long>(rnd(100)));
      msg += ".html?utm_source=home&ref=" + std::string(num) +
             " HTTP/1.1\r\nHost: www.example-news.example\r\nUser-Agent: " +
             kAgents[rnd(std::size(kAgents))] +
             "\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
             "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
             "Connection: keep-alive\r\nCookie: session=";
      for (int i = 0; i < 4; ++i) {
        std::snprintf(num, sizeof num, "%08llx", static_cast<unsigned long long>(rnd(1ull << 32)));
        msg += num;
      }
      msg += "; prefs=dark; consent=1\r\n\r\n";
    } else {
      std::string body = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>";
      words(body, 6);
      body +=
          "</title><link rel=\"stylesheet\" href=\"/static/site.css\"><script "
          "src=\"/static/app.js\" defer></script></head><body><header><nav><a "
          "href=\"/news\">News</a> <a href=\"/sport\">Sport</a> <a href=\"/weather\">Weather</a> "
          "<a href=\"/tech\">Tech</a></nav></header><main><article><h1>";
      words(body, 8);
      body += "</h1>";
      for (int para = 0, np = 1 + static_cast<int>(rnd(6)); para < np; ++para) {
        body += "<p>";
        words(body, 20 + static_cast<int>(rnd(60)));
        body += "</p>";
      }
      body += "</article></main><footer>&copy; 2026 Example News</footer></body></html>\n";
      std::snprintf(num, sizeof num, "%zu", body.size());
      msg =
          "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html; "
          "charset=utf-8\r\nContent-Length: " +
          std::string(num) + "\r\nCache-Control: max-age=300\r\nVary: Accept-Encoding\r\nETag: \"";
      std::snprintf(num, sizeof num, "%016llx", static_cast<unsigned long long>(x));
      msg += std::string(num) + "\"\r\n\r\n" + body;
    }
    if (msg.size() & 1) msg += '\n';  // messages start at even offsets (pool sums)
    web_starts_.push_back(static_cast<uint32_t>(corpus.size()));
    corpus += msg;
  }
  // Frames read up to max_frame bytes from any start: wrap around.
  const std::string head = corpus.substr(0, std::min<size_t>(corpus.size(), max_frame_));
  web_.bytes.assign(corpus.begin(), corpus.end());
  web_.bytes.insert(web_.bytes.end(), head.begin(), head.end());
  web_.index();
}

FrameSource::Cursor FrameSource::cursor_at(uint64_t index) const noexcept {
  Cursor c;
  c.index = index;
  c.slot = static_cast<uint32_t>(index % local_flows_);
  c.round = index / local_flows_;
  c.flow = static_cast<uint32_t>((uint64_t{c.slot} * stride_) % local_flows_);
  return c;
}

void FrameSource::fill_buffer(uint8_t* buf) const noexcept {
  std::memcpy(buf, pattern_.bytes.data(), max_frame_);
}

uint64_t FrameSource::payload(PayloadModel model, const Cursor& c, uint32_t flow, uint64_t fh,
                              uint64_t h, uint8_t* dst, uint32_t at, uint32_t len,
                              uint32_t copy) const noexcept {
  switch (model) {
    case PayloadModel::kFill:
      std::memcpy(dst, &pattern_.bytes[at], copy);
      return pattern_.sum(at, len);
    case PayloadModel::kRandom: {
      const uint32_t off = static_cast<uint32_t>(h >> 8) & (kRandomPoolSpan - 2);
      std::memcpy(dst, &random_.bytes[off], len);
      return random_.sum(off, len);
    }
    case PayloadModel::kRepeat: {
      const uint32_t off = static_cast<uint32_t>(fh >> 24) & (kRandomPoolSpan - 2);
      std::memcpy(dst, &random_.bytes[off], len);
      return random_.sum(off, len);
    }
    case PayloadModel::kWeb: {
      // A message of the corpus, picked per frame: flows share messages.
      const uint64_t pick = (h >> 16 & 0xffffffff) * web_starts_.size() >> 32;
      const uint32_t off = web_starts_[pick];
      std::memcpy(dst, &web_.bytes[off], len);
      return web_.sum(off, len);
    }
    case PayloadModel::kMix: {
      const uint32_t pick = static_cast<uint32_t>(fh >> 48) & 7;
      return payload(pick < 3   ? PayloadModel::kRecords
                     : pick < 6 ? PayloadModel::kWeb
                                : PayloadModel::kRandom,
                     c, flow, fh, h, dst, at, len, copy);
    }
    case PayloadModel::kRecords:
    case PayloadModel::kBinary: break;
  }
  std::memcpy(dst, records_.bytes.data(), len);
  uint64_t sum = records_.sum(0, len);
  if (len < span_len_) return sum;
  uint8_t span[64];
  std::memcpy(span, records_.bytes.data(), span_len_);
  if (spec_.payload == PayloadModel::kBinary) {
    be64(span, c.round);
    be64(span + 8, (kTsBaseMs + c.round * 10) * 1000);
    be32(span + 16, flow);
  } else {
    decimal(span + 7, c.round, 10);
    decimal(span + 23, kTsBaseMs + c.round * 10, 13);
    decimal(span + 46, flow, 8);
  }
  const uint64_t span_sum = word_sum(span, span_len_);
  uint32_t n = 0;
  for (uint32_t o = 0; o + span_len_ <= len; o += record_len_, ++n)
    std::memcpy(dst + o, span, span_len_);
  return sum - n * span_template_sum_ + n * span_sum;
}

uint16_t FrameSource::build(const Cursor& c, uint8_t* buf, FrameInfo* info,
                            bool head_only) const noexcept {
  const uint32_t flow = c.flow * nb_queues_ + queue_;
  const uint64_t fh = splitmix64(spec_.seed ^ (uint64_t{flow} * 0x9e3779b97f4a7c15ull));
  const uint64_t h = splitmix64(seed_ ^ c.index);
  const bool v6 = (fh & 0xffff) < ipv6_threshold_;
  const bool tcp = ((fh >> 16) & 0xffff) < tcp_threshold_;
  const uint8_t proto = tcp ? 6 : 17;

  uint32_t size = spec_.size_min;
  if (spec_.size_model == SizeModel::kRange)
    size += static_cast<uint32_t>(((h & 0xffffffff) * (spec_.size_max - spec_.size_min + 1)) >> 32);
  else if (spec_.size_model == SizeModel::kImix)
    size = kImix[((h & 0xffff) * 12) >> 16];
  const uint32_t ip_len = v6 ? 40 : 20, l4_hdr = tcp ? 20 : 8;
  const uint32_t hdr = 14 + ip_len + l4_hdr;
  if (size < hdr) size = hdr;
  const uint32_t l4_len = size - 14 - ip_len;

  // Ethernet.
  std::memcpy(buf, kDstMac, 6);
  std::memcpy(buf + 6, kSrcMac, 6);
  be16(buf + 12, v6 ? 0x86dd : 0x0800);
  uint8_t* ip = buf + 14;
  uint8_t* l4 = ip + ip_len;
  // Checksums are summed from the field values as big-endian words, never read
  // back from the frame: reading just-written bytes would stall on store
  // forwarding. (A ones'-complement sum is byte-order independent, RFC 1071.)
  const auto words32 = [](uint32_t v) -> uint64_t { return (v >> 16) + (v & 0xffff); };
  uint64_t sum;  // L4 pseudo-header + header, big-endian words
  if (!v6) {
    const uint32_t src = 0x0a000000u | (flow & 0xffffff);
    const uint32_t dst = 0xc6120000u | static_cast<uint32_t>((fh >> 40) & 0x1ffff);
    const uint16_t total = static_cast<uint16_t>(20 + l4_len), id = static_cast<uint16_t>(c.round);
    ip[0] = 0x45;
    ip[1] = 0;
    be16(ip + 2, total);
    be16(ip + 4, id);
    be16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = proto;
    be32(ip + 12, src);
    be32(ip + 16, dst);
    const uint64_t addrs = words32(src) + words32(dst);
    be16(ip + 10, static_cast<uint16_t>(~packet::checksum_fold(0x4500u + total + id + 0x4000u +
                                                               (64u << 8 | proto) + addrs)));
    sum = addrs + proto + l4_len;
  } else {
    const uint32_t label = static_cast<uint32_t>(fh & 0xfffff),
                   dst_lo = static_cast<uint32_t>(fh >> 32);
    be32(ip, 0x60000000u | label);
    be16(ip + 4, static_cast<uint16_t>(l4_len));
    ip[6] = proto;
    ip[7] = 64;
    std::memset(ip + 8, 0, 32);
    be16(ip + 8, 0xfd00);
    be16(ip + 10, 0x00dd);
    be32(ip + 20, flow);
    be16(ip + 24, 0x2001);
    be16(ip + 26, 0x0002);
    be32(ip + 36, dst_lo);
    sum = 0xfd00u + 0x00ddu + words32(flow) + 0x2001u + 0x0002u + words32(dst_lo) +
          words32(l4_len) + proto;
  }
  const uint16_t sport = static_cast<uint16_t>(1024 + (((fh >> 8) & 0xffff) * 60000 >> 16));
  const uint16_t dport = kDstPorts[(fh >> 56) & 7];
  be16(l4, sport);
  be16(l4 + 2, dport);
  sum += uint64_t{sport} + dport;
  if (tcp) {
    const uint32_t seq = static_cast<uint32_t>(c.round * 1000);
    be32(l4 + 4, seq);
    be32(l4 + 8, 0);
    l4[12] = 0x50;
    l4[13] = 0x18;  // PSH, ACK
    be16(l4 + 14, 65535);
    be32(l4 + 16, 0);  // checksum, urgent pointer
    sum += words32(seq) + 0x5018u + 0xffffu;
  } else {
    be16(l4 + 4, static_cast<uint16_t>(l4_len));
    be16(l4 + 6, 0);
    sum += l4_len;
  }
  // Payload sums come in native (little-endian) words: byte-swap the folded sum.
  const uint32_t payload_len = l4_len - l4_hdr;
  const uint32_t copy = head_only && spec_.payload == PayloadModel::kFill
                            ? std::min(payload_len, head_bytes_ > hdr ? head_bytes_ - hdr : 0u)
                            : payload_len;
  const uint16_t payload_sum = packet::checksum_fold(
      payload(spec_.payload, c, flow, fh, h, l4 + l4_hdr, hdr, payload_len, copy));
  sum += static_cast<uint16_t>(payload_sum << 8 | payload_sum >> 8);
  uint16_t l4c = static_cast<uint16_t>(~packet::checksum_fold(sum));
  if (!tcp && l4c == 0) l4c = 0xffff;
  l4c = static_cast<uint16_t>(l4c << 8 | l4c >> 8);  // stored in native order below
  uint8_t* l4c_at = l4 + (tcp ? 16 : 6);
  std::memcpy(l4c_at, &l4c, 2);

  InvalidKind kind = InvalidKind::kNone;
  if (((h >> 32) & 0xffffff) < invalid_threshold_) [[unlikely]] {
    kind = spec_.kinds[((h >> 56) * spec_.kinds.size()) >> 8];
    if (v6 && kind == InvalidKind::kTtlZero) kind = InvalidKind::kIpLength;
    if (v6 && kind == InvalidKind::kIpChecksum) kind = InvalidKind::kL4Checksum;
    switch (kind) {
      case InvalidKind::kNone: break;
      case InvalidKind::kRunt: size = 12; break;
      case InvalidKind::kIpVersion: ip[0] = static_cast<uint8_t>((ip[0] & 0x0f) | 0x70); break;
      case InvalidKind::kIpLength:
        if (v6) {
          be16(ip + 4, static_cast<uint16_t>(l4_len + 100));
        } else {
          be16(ip + 2, static_cast<uint16_t>(20 + l4_len + 100));
          ip[10] = ip[11] = 0;
          const uint16_t hc = packet::ipv4_header_checksum(ip);
          std::memcpy(ip + 10, &hc, 2);
        }
        break;
      case InvalidKind::kIpChecksum: {
        uint16_t hc;
        std::memcpy(&hc, ip + 10, 2);
        hc = corrupt(hc);
        std::memcpy(ip + 10, &hc, 2);
        break;
      }
      case InvalidKind::kTtlZero: {
        ip[8] = 0;
        ip[10] = ip[11] = 0;
        const uint16_t hc = packet::ipv4_header_checksum(ip);
        std::memcpy(ip + 10, &hc, 2);
        break;
      }
      case InvalidKind::kL4Length:
        if (tcp)
          l4[12] = 0x40;
        else
          be16(l4 + 4, static_cast<uint16_t>(l4_len + 50));
        break;
      case InvalidKind::kL4Checksum: {
        const uint16_t bad = corrupt(l4c);
        std::memcpy(l4c_at, &bad, 2);
        break;
      }
    }
  }
  if (info) {
    info->flow = flow;
    info->flow_seq = c.round;
    info->hash = static_cast<uint32_t>(fh);
    info->len = static_cast<uint16_t>(size);
    info->ipv6 = v6;
    info->tcp = tcp;
    info->kind = kind;
  }
  return static_cast<uint16_t>(size);
}

packet::Verdict FrameSource::expected_verdict(const FrameInfo& f,
                                              const packet::Options& opt) noexcept {
  using packet::Verdict;
  switch (f.kind) {
    case InvalidKind::kNone: return Verdict::kOk;
    case InvalidKind::kRunt: return Verdict::kRunt;
    case InvalidKind::kIpVersion:
      return f.ipv6 ? Verdict::kIpv6BadVersion : Verdict::kIpv4BadVersion;
    case InvalidKind::kIpLength:
      return f.ipv6 ? Verdict::kIpv6BadPayloadLength : Verdict::kIpv4BadTotalLength;
    case InvalidKind::kIpChecksum:
      return opt.verify_ipv4_checksum ? Verdict::kIpv4BadChecksum : Verdict::kOk;
    case InvalidKind::kTtlZero: return opt.drop_ttl_zero ? Verdict::kIpv4TtlZero : Verdict::kOk;
    case InvalidKind::kL4Length: return f.tcp ? Verdict::kTcpBadDataOffset : Verdict::kUdpBadLength;
    case InvalidKind::kL4Checksum:
      return opt.verify_l4_checksum ? Verdict::kL4BadChecksum : Verdict::kOk;
  }
  return Verdict::kOk;
}

}  // namespace deltaplane::drivers::synth
