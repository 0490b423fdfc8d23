// DPDK 22.11's telemetry server reads each client on a thread of its own and
// splits the request with strtok() (lib/telemetry/telemetry.c,
// client_handler). glibc's strtok keeps one position for the whole process,
// so two clients at once can get each other's parameters, or none (seen as
// "unknown control ''" under load). A strtok defined in the executable takes
// precedence over libc's for every library it loads; this one keeps its
// position per thread, which the C standard allows.
#include <cstring>

extern "C" char* strtok(char* s, const char* delim) noexcept {
  static thread_local char* position = nullptr;
  return strtok_r(s, delim, &position);
}
