#include "control/flow_report.hh"

#include <algorithm>
#include <cstdio>

#include "engines/codec_state.hh"

namespace deltaplane::control {
namespace {

std::string format_key(const packet::FlowKey& k) {
  char a[64], b[64];
  auto addr = [](const uint8_t* x, bool v4, char* out) {
    if (v4)
      std::snprintf(out, 64, "%u.%u.%u.%u", x[12], x[13], x[14], x[15]);
    else
      std::snprintf(out, 64, "%x:%x:%x:%x:%x:%x:%x:%x", x[0] << 8 | x[1], x[2] << 8 | x[3],
                    x[4] << 8 | x[5], x[6] << 8 | x[7], x[8] << 8 | x[9], x[10] << 8 | x[11],
                    x[12] << 8 | x[13], x[14] << 8 | x[15]);
  };
  const bool v4 = k.ip_version == 4;
  addr(k.src, v4, a);
  addr(k.dst, v4, b);
  return "proto " + std::to_string(k.proto) + " " + a + ":" + std::to_string(k.src_port) + " > " +
         b + ":" + std::to_string(k.dst_port) + " vlan " + std::to_string(k.vlan[0]);
}

}  // namespace

FlowReport flow_report(const engines::Dataplane& dp, size_t top_n) {
  FlowReport r;
  const auto hold = dp.hold_codec_state();
  for (const auto& s : dp.lcores().slots()) {
    if (!s.env || !s.env->codec) continue;
    const engines::CodecLcoreState& st = *s.env->codec;
    const unsigned lcore = s.core->lcore;
    for (const auto* t : {st.enc_table.get(), st.dec_table.get()}) {
      if (!t) continue;
      r.tables.push_back({lcore, t == st.enc_table.get() ? "encoder" : "decoder", t->capacity(),
                          t->occupancy(), t->insertions(), t->evictions()});
    }
    if (!st.enc_table) continue;
    for (uint32_t slot = 0; slot < st.enc_table->capacity(); ++slot) {
      const engines::EncoderFlow& f = (*st.enc_flows)[slot];
      const uint64_t bytes = f.bytes.load();
      if (bytes == 0) continue;
      TopFlow tf{lcore, st.params.lcore_index << 22 | slot, f.packets.load(), bytes, {}};
      auto min =
          std::min_element(r.top.begin(), r.top.end(),
                           [](const TopFlow& x, const TopFlow& y) { return x.bytes < y.bytes; });
      if (r.top.size() >= top_n && min->bytes >= bytes) continue;
      if (const auto* k =
              static_cast<const packet::FlowKey*>(st.enc_table->key_at(static_cast<int32_t>(slot))))
        tf.key = format_key(*k);
      if (r.top.size() < top_n)
        r.top.push_back(std::move(tf));
      else
        *min = std::move(tf);
    }
  }
  std::sort(r.top.begin(), r.top.end(),
            [](const TopFlow& x, const TopFlow& y) { return x.bytes > y.bytes; });
  return r;
}

}  // namespace deltaplane::control
