// The JSON summary of --stats-json: who ran (version, revision, engine,
// burst, TSC rate), every counter (stats::write_summary_json), and what the
// drivers and the gateway verdict add through `extra`.
#pragma once

#include <functional>
#include <string>

#include "base/json.hh"
#include "config/app_config.hh"
#include "stats/snapshot.hh"

namespace deltaplane::control {

// Throws Error if the file cannot be written.
void write_summary_file(const std::string& path, const config::AppConfig& cfg,
                        const stats::Snapshot& s, const std::function<void(JsonWriter&)>& extra);

}  // namespace deltaplane::control
