#include "control/report.hh"

#include <rte_cycles.h>

#include <fstream>

#include "base/error.hh"
#include "base/version.hh"

namespace deltaplane::control {

void write_summary_file(const std::string& path, const config::AppConfig& cfg,
                        const stats::Snapshot& s, const std::function<void(JsonWriter&)>& extra) {
  JsonWriter w;
  w.begin_object();
  w.value("deltaplane_version", version()).value("git_revision", git_revision());
  w.value("engine", config::engine_name(cfg.engine));
  w.value("burst", unsigned{cfg.burst});
  w.value("tsc_hz", rte_get_tsc_hz());  // turns cycles_per_packet into time
  stats::write_summary_json(w, s);
  if (extra) extra(w);
  w.end_object();
  std::ofstream out(path);
  if (!out) throw Error("--stats-json: cannot write '" + path + "'");
  out << w.str();
}

}  // namespace deltaplane::control
