// dp-validate-pcap: runs the reference validator (packet::validate_reference)
// over captures and prints, as JSON, each frame's verdict and the count per
// verdict. The integration tests compare `deltaplane --fwd validate` with it.
//
//   dp-validate-pcap [--verify-l4-checksum] FILE...
#include <pcap/pcap.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "base/json.hh"
#include "packet/validate.hh"

int main(int argc, char** argv) {
  deltaplane::packet::Options opt;
  std::vector<const char*> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--verify-l4-checksum") == 0)
      opt.verify_l4_checksum = true;
    else
      files.push_back(argv[i]);
  }
  deltaplane::JsonWriter w;
  w.begin_object();
  std::map<std::string, uint64_t> total;
  w.begin_object("files");
  for (const char* f : files) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(f, err);
    if (!p) {
      std::fprintf(stderr, "dp-validate-pcap: %s: %s\n", f, err);
      return 1;
    }
    w.begin_array(f);
    pcap_pkthdr* h;
    const u_char* data;
    while (pcap_next_ex(p, &h, &data) == 1) {
      deltaplane::packet::Parsed parsed;
      auto v = deltaplane::packet::validate_reference(data, h->caplen, opt, &parsed);
      std::string name(deltaplane::packet::verdict_name(v));
      ++total[name];
      w.value("", name);
    }
    w.end_array();
    pcap_close(p);
  }
  w.end_object();
  w.begin_object("verdicts");
  for (const auto& [k, v] : total)
    w.value(k, v);
  w.end_object();
  w.end_object();
  std::fputs(w.str().c_str(), stdout);
  return 0;
}
