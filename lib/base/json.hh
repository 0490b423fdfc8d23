// A minimal streaming JSON writer for summaries and reports. Set-up/exit paths
// only; it allocates. Keys and strings are escaped; numbers are written exactly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deltaplane {

class JsonWriter {
 public:
  JsonWriter& begin_object(std::string_view key = {});
  JsonWriter& end_object();
  JsonWriter& begin_array(std::string_view key = {});
  JsonWriter& end_array();
  JsonWriter& value(std::string_view key, std::string_view v);
  JsonWriter& value(std::string_view key, const char* v) { return value(key, std::string_view(v)); }
  JsonWriter& value(std::string_view key, uint64_t v);
  JsonWriter& value(std::string_view key, int64_t v);
  JsonWriter& value(std::string_view key, int v) { return value(key, int64_t{v}); }
  JsonWriter& value(std::string_view key, unsigned v) { return value(key, uint64_t{v}); }
  JsonWriter& value(std::string_view key, double v);
  JsonWriter& value(std::string_view key, bool v);
  JsonWriter& null(std::string_view key);

  const std::string& str() const noexcept { return out_; }

 private:
  void key_prefix(std::string_view key);
  void indent();

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
};

std::string json_escape(std::string_view s);

}  // namespace deltaplane
