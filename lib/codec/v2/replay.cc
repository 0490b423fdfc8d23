#include "codec/v2/replay.hh"

#include <pcap/pcap.h>

#include <chrono>
#include <cstring>
#include <random>
#include <unordered_map>

#include "packet/validate.hh"

namespace deltaplane::codec::v2 {

uint32_t FlowSlots::slot_of(const packet::FlowKey& k, bool& fresh) {
  fresh = false;
  if (k.ip_version == 0) return kNoFlow;
  auto it = map_.find(k);
  if (it != map_.end()) return it->second;
  fresh = true;
  uint32_t s;
  if (map_.size() < keys_.size()) {
    s = static_cast<uint32_t>(map_.size());
  } else {
    s = hand_++ % static_cast<uint32_t>(keys_.size());
    map_.erase(keys_[s]);
  }
  keys_[s] = k;
  map_.emplace(k, s);
  return s;
}

namespace {

struct InFlight {
  std::vector<uint8_t> payload;
  std::vector<uint32_t> frames;  // indexes into the trace (a fragment: its group's)
  uint16_t counted = 0;          // frames it counts for loss (a fragment: at the last)
};

double ns_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

void Trace::add(std::span<const uint8_t> f) {
  packet::Parsed p;
  if (packet::validate(f.data(), static_cast<uint32_t>(f.size()), {}, &p) != packet::Verdict::kOk)
    return;
  frames.emplace_back(f.begin(), f.end());
  parsed.push_back(p);
  bytes += f.size();
}

namespace {

// The EtherType of a frame of link type `dlt`, and where its IP packet
// starts; false for link types and frames that carry no IP.
bool ip_of(int dlt, const uint8_t* d, uint32_t len, uint16_t& ethertype, uint32_t& off) {
  auto by_version = [&](uint32_t at) {
    if (len <= at) return false;
    off = at;
    ethertype = (d[at] >> 4) == 6 ? 0x86dd : 0x0800;
    return (d[at] >> 4) == 4 || (d[at] >> 4) == 6;
  };
  switch (dlt) {
    case DLT_NULL:
    case DLT_LOOP: return by_version(4);  // a 4-byte address family, either byte order
    case DLT_RAW:
    case 101: return by_version(0);  // LINKTYPE_RAW where libpcap keeps it
    case DLT_LINUX_SLL:
      if (len < 16) return false;
      off = 16;
      ethertype = static_cast<uint16_t>(d[14] << 8 | d[15]);
      return true;
    default: return false;
  }
}

}  // namespace

std::string Trace::load(const std::string& path, Links links) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(path.c_str(), err);
  if (!pc) return err;
  const int dlt = pcap_datalink(pc);
  pcap_pkthdr* h;
  const u_char* d;
  std::vector<uint8_t> frame;
  const bool convertible =
      dlt == DLT_NULL || dlt == DLT_LOOP || dlt == DLT_RAW || dlt == 101 || dlt == DLT_LINUX_SLL;
  if (dlt != DLT_EN10MB && links == Links::kConvert && !convertible) {
    pcap_close(pc);
    return path + ": link type " + std::to_string(dlt) + " carries no Ethernet or IP frames";
  }
  while (pcap_next_ex(pc, &h, &d) == 1) {
    if (h->caplen != h->len || h->caplen > kMaxSpan) continue;
    uint16_t et;
    uint32_t off;
    if (dlt == DLT_EN10MB || links == Links::kAsNetPcap) {
      add({d, h->caplen});
    } else if (ip_of(dlt, d, h->caplen, et, off)) {
      // Locally administered addresses, then the EtherType and the IP packet.
      frame.assign({0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, static_cast<uint8_t>(et >> 8),
                    static_cast<uint8_t>(et)});
      frame.insert(frame.end(), d + off, d + h->caplen);
      if (frame.size() <= kMaxSpan) add(frame);
    }
  }
  pcap_close(pc);
  return {};
}

// What is missing beyond the frames whose own packet the WAN took.
uint64_t ReplayResult::collateral() const noexcept {
  const uint64_t missing = frames - emitted;
  return missing > lost_on_wire ? missing - lost_on_wire : 0;
}

ReplayResult replay(const Trace& t, const ReplayOptions& o) {
  ReplayResult r;
  Encoder enc(o.encoder);
  Decoder dec(o.decoder);
  FlowSlots flows(o.encoder.contexts);
  std::mt19937_64 rng(o.wan.seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<uint8_t> delivered(t.frames.size(), 0);
  auto deliver = [&](const InFlight& p) {
    Decoder::Result res;
    const auto t0 = std::chrono::steady_clock::now();
    dec.decode(p.payload, 1, res);
    r.decode_ns += ns_since(t0);
    if (res.status != Status::ok) {
      ++r.packets_refused;
      r.dropped[static_cast<unsigned>(res.status)] += p.counted;
      return;
    }
    for (unsigned k = 0; k < res.nframes; ++k) {
      const Decoder::Frame& f = res.frames[k];
      if (f.status != Status::ok) {
        ++r.dropped[static_cast<unsigned>(f.status)];
        continue;
      }
      const std::vector<uint8_t>* want = k < p.frames.size() ? &t.frames[p.frames[k]] : nullptr;
      if (!want || want->size() != f.size() ||
          (f.hdr_len && std::memcmp(want->data(), f.hdr, f.hdr_len) != 0) ||
          std::memcmp(want->data() + f.hdr_len, f.data, f.len) != 0) {
        ++r.altered;
        continue;
      }
      if (!delivered[p.frames[k]]++) ++r.emitted;
    }
  };

  std::vector<FrameIn> in(o.burst);
  Encoder::Burst out;
  std::vector<InFlight> held;  // reordered: sent after the next packet
  for (size_t base = 0; base < t.frames.size(); base += o.burst) {
    const size_t n = std::min<size_t>(o.burst, t.frames.size() - base);
    for (size_t i = 0; i < n; ++i) {
      const auto& f = t.frames[base + i];
      bool fresh;
      const uint32_t slot = flows.slot_of(t.parsed[base + i].key, fresh);
      in[i] = {f.data(), static_cast<uint32_t>(f.size()), &t.parsed[base + i], slot, fresh};
      r.bytes += f.size();
    }
    r.frames += n;
    const auto t0 = std::chrono::steady_clock::now();
    enc.encode_burst(std::span<const FrameIn>(in.data(), n), out);
    r.encode_ns += ns_since(t0);
    // Bypassed frames cross as they are (the WAN model applies to tunnel packets).
    std::vector<uint32_t> carried;
    for (size_t i = 0; i < n; ++i) {
      if (out.bypass[i] == kRefused) {
        ++r.bypassed;  // never emitted: counted missing
      } else if (out.bypass[i] == kBypass) {
        ++r.bypassed;
        ++r.emitted;
        delivered[base + i] = 1;
        r.wire_bytes += t.frames[base + i].size();
      } else {
        carried.push_back(static_cast<uint32_t>(base + i));
      }
    }
    // The fragments of a packet restore its frames when the last of them
    // arrives, whichever that is: each carries the frames of its group (the
    // last fragment's), counted once (at the last) for loss.
    auto is_fragment = [&](uint16_t k) {
      return (enc.arena()[out.packets[k].offset + 3] & kFlagFragment) != 0;
    };
    std::vector<uint16_t> group_frames(out.npackets);
    for (int k = out.npackets - 1; k >= 0; --k) {
      const bool continues = is_fragment(static_cast<uint16_t>(k)) && k + 1 < out.npackets &&
                             out.packets[k].frames == 0 &&
                             is_fragment(static_cast<uint16_t>(k + 1)) &&
                             enc.arena()[out.packets[k + 1].offset + 10] != 0;
      group_frames[k] = continues ? group_frames[k + 1] : out.packets[k].frames;
    }
    size_t next = 0;
    for (uint16_t k = 0; k < out.npackets; ++k) {
      const Encoder::Packet& p = out.packets[k];
      InFlight f;
      f.payload.assign(enc.arena() + p.offset, enc.arena() + p.offset + p.len);
      f.frames.assign(carried.begin() + static_cast<long>(next),
                      carried.begin() + static_cast<long>(next + group_frames[k]));
      f.counted = p.frames;
      next += p.frames;
      ++r.packets;
      r.wire_bytes += kOuterHeaders + p.len;
      if (o.wan.loss > 0 && u(rng) < o.wan.loss) {
        r.lost_on_wire += p.frames;
        continue;
      }
      if (o.wan.corrupt > 0 && u(rng) < o.wan.corrupt) {
        const size_t bit = rng() % (f.payload.size() * 8);
        f.payload[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        r.lost_on_wire += p.frames;  // every copy of it is corrupted
      }
      const bool dup = o.wan.duplicate > 0 && u(rng) < o.wan.duplicate;
      if (o.wan.reorder > 0 && u(rng) < o.wan.reorder) {
        held.push_back(std::move(f));
        continue;
      }
      deliver(f);
      if (dup) deliver(f);
      for (const InFlight& h : held)
        deliver(h);
      held.clear();
    }
  }
  for (const InFlight& h : held)
    deliver(h);
  r.encoder = enc.counters();
  r.decoder = dec.counters();
  return r;
}

}  // namespace deltaplane::codec::v2
