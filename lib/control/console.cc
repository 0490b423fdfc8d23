#include "control/console.hh"

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>
#include <cmdline_socket.h>
#include <rte_cycles.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/error.hh"
#include "engines/dataplane.hh"
#include "runtime/signals.hh"

namespace deltaplane::control {

namespace {

engines::Dataplane* g_fwd = nullptr;
stats::Snapshot g_last;  // for "since last show" rates

void print_port_stats() {
  stats::Snapshot now = g_fwd->snapshot_since_reset();
  const double dt = now.elapsed_s - g_last.elapsed_s;
  for (size_t i = 0; i < now.ports.size(); ++i) {
    const auto& p = now.ports[i];
    const stats::PortSnapshot zero{};
    const auto& q = i < g_last.ports.size() ? g_last.ports[i] : zero;
    auto rate = [&](uint64_t a, uint64_t b) {
      return dt > 0 && a >= b ? static_cast<uint64_t>(static_cast<double>(a - b) / dt) : 0;
    };
    std::printf(
        "\n  ######################## NIC statistics for port %-2u ########################\n",
        p.port);
    std::printf("  RX-packets: %-10llu RX-missed: %-10llu RX-bytes:  %llu\n",
                (unsigned long long)p.rx_packets, (unsigned long long)p.hw_imissed,
                (unsigned long long)p.rx_bytes);
    std::printf("  RX-errors: %llu\n  RX-nombuf:  %llu\n", (unsigned long long)p.hw_ierrors,
                (unsigned long long)p.hw_rx_nombuf);
    std::printf("  TX-packets: %-10llu TX-errors: %-10llu TX-bytes:  %llu\n\n",
                (unsigned long long)p.tx_packets, (unsigned long long)p.hw_oerrors,
                (unsigned long long)p.tx_bytes);
    std::printf("  Throughput (since last show)\n");
    std::printf("  Rx-pps: %12llu          Rx-bps: %12llu\n",
                (unsigned long long)rate(p.rx_packets, q.rx_packets),
                (unsigned long long)(8 * rate(p.rx_bytes, q.rx_bytes)));
    std::printf("  Tx-pps: %12llu          Tx-bps: %12llu\n",
                (unsigned long long)rate(p.tx_packets, q.tx_packets),
                (unsigned long long)(8 * rate(p.tx_bytes, q.tx_bytes)));
    std::printf("  ############################################################################\n");
  }
  g_last = std::move(now);
}

void print_fwd_stats() {
  stats::Snapshot s = g_fwd->snapshot_since_reset();
  for (const auto& l : s.lcores)
    std::printf(
        "\n  ------- Forward Stats for lcore %-3u ----------------------------\n"
        "  RX-packets: %-14llu TX-packets: %-14llu TX-dropped: %llu\n",
        l.lcore, (unsigned long long)l.rx_packets, (unsigned long long)l.tx_packets,
        (unsigned long long)l.drops);
  for (const auto& p : s.ports)
    std::printf(
        "\n  ---------------------- Forward statistics for port %-2u ----------------------\n"
        "  RX-packets: %-14llu RX-dropped: %-14llu RX-total: %llu\n"
        "  TX-packets: %-14llu TX-dropped: %-14llu TX-total: %llu\n",
        p.port, (unsigned long long)p.rx_packets,
        (unsigned long long)(p.hw_imissed + p.hw_rx_nombuf),
        (unsigned long long)(p.rx_packets + p.hw_imissed + p.hw_rx_nombuf),
        (unsigned long long)p.tx_packets, 0ull, (unsigned long long)p.tx_packets);
  const auto a = stats::account(s);
  std::printf(
      "\n  +++++++++++++++ Accumulated forward statistics for all ports+++++++++++++++\n"
      "  RX-packets: %-14llu RX-dropped: %-14llu RX-total: %llu\n"
      "  TX-packets: %-14llu TX-dropped: %-14llu TX-total: %llu\n"
      "  ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++\n",
      (unsigned long long)a.rx, 0ull, (unsigned long long)a.rx, (unsigned long long)a.tx,
      (unsigned long long)a.dropped, (unsigned long long)(a.tx + a.dropped));
  for (size_t r = 0; r < stats::kDropReasonCount; ++r)
    if (stats::is_reported(r) && s.drops[r])
      std::printf("  dropped %-28s %llu\n", std::string(stats::kDropReasonNames[r]).c_str(),
                  (unsigned long long)s.drops[r]);
}

// --- command results and handlers -------------------------------------------

struct WordResult {
  cmdline_fixed_string_t word;
};
struct ShowResult {
  cmdline_fixed_string_t show, what, stats, all;
};
struct SetFwdResult {
  cmdline_fixed_string_t set, fwd, engine;
};
struct SetBurstResult {
  cmdline_fixed_string_t set, burst;
  uint16_t n;
};

void on_start(void*, cmdline*, void*) {
  if (g_fwd->running()) {
    std::printf("Packet forwarding already started\n");
    return;
  }
  g_fwd->start();
  std::printf("Forwarding started: engine %s, burst %u\n",
              std::string(config::engine_name(g_fwd->config().engine)).c_str(),
              unsigned{g_fwd->config().burst});
}

void on_stop(void*, cmdline*, void*) {
  if (!g_fwd->running()) {
    std::printf("Packet forwarding not started\n");
    return;
  }
  std::printf("Telling cores to stop...\nWaiting for lcores to finish...\n");
  g_fwd->stop();
  print_fwd_stats();
  std::printf("\nDone.\n");
}

void on_quit(void*, cmdline* cl, void*) {
  cmdline_quit(cl);
}

void on_help(void*, cmdline*, void*) {
  std::printf(
      "commands:\n"
      "  start                   start forwarding\n"
      "  stop                    stop forwarding and show the forward statistics\n"
      "  show port stats all     per-port counters and rates since the last show\n"
      "  show fwd stats all      per-lcore and per-port forward statistics\n"
      "  clear port stats all    reset the counters shown\n"
      "  set fwd <engine>        %s (stopped)\n"
      "  set burst <n>           1..512 (stopped)\n"
      "  show config fwd         engine, burst and where each lcore forwards\n"
      "  quit                    stop and leave (prints the summary)\n",
      [] {
        static std::string names;
        for (auto n : config::kEngineNames)
          names += (names.empty() ? "" : "|") + std::string(n);
        return names.c_str();
      }());
}

void on_show(void* parsed, cmdline*, void*) {
  auto* r = static_cast<ShowResult*>(parsed);
  if (std::strcmp(r->what, "port") == 0)
    print_port_stats();
  else
    print_fwd_stats();
}

void on_clear(void*, cmdline*, void*) {
  g_fwd->reset_counters();
  g_last = {};
  std::printf("\n  NIC statistics for all ports cleared\n");
}

void on_set_fwd(void* parsed, cmdline*, void*) {
  auto* r = static_cast<SetFwdResult*>(parsed);
  for (size_t i = 0; i < std::size(config::kEngineNames); ++i)
    if (config::kEngineNames[i] == r->engine) {
      try {
        g_fwd->set_engine(static_cast<config::Engine>(i));
        std::printf("Set %s packet forwarding mode\n", r->engine);
      } catch (const Error& e) {
        std::printf("error: %s\n", e.what());
      }
      return;
    }
}

void on_set_burst(void* parsed, cmdline*, void*) {
  auto* r = static_cast<SetBurstResult*>(parsed);
  try {
    g_fwd->set_burst(r->n);
    std::printf("Number of packets per burst set to %u\n", unsigned{r->n});
  } catch (const Error& e) {
    std::printf("error: %s\n", e.what());
  }
}

void on_show_config(void*, cmdline*, void*) {
  const auto& c = g_fwd->config();
  std::printf("%s packet forwarding, model %s, burst %u, %s\n",
              std::string(config::engine_name(c.engine)).c_str(),
              std::string(config::model_name(c.model)).c_str(), unsigned{c.burst},
              g_fwd->running() ? "running" : "stopped");
  for (const auto& l : g_fwd->placement().lcores) {
    std::printf("  lcore %u (socket %d):", l.lcore, l.socket);
    for (const auto& s : l.streams)
      std::printf(" RX P=%u/Q=%u -> TX P=%u/Q=%u", s.rx_port, s.rx_queue, s.tx_port, s.tx_queue);
    std::printf("%s\n", l.streams.empty() ? " (no RX queue)" : "");
  }
}

// cmdline writes its prompt straight to the terminal: flush ours first.
template <void (*F)(void*, cmdline*, void*)>
void flushed(void* parsed, cmdline* cl, void* data) {
  F(parsed, cl, data);
  std::fflush(stdout);
}

// Tokens (offsets into the result structs above).
cmdline_parse_token_string_t tok_start = TOKEN_STRING_INITIALIZER(WordResult, word, "start");
cmdline_parse_token_string_t tok_stop = TOKEN_STRING_INITIALIZER(WordResult, word, "stop");
cmdline_parse_token_string_t tok_quit = TOKEN_STRING_INITIALIZER(WordResult, word, "quit");
cmdline_parse_token_string_t tok_help = TOKEN_STRING_INITIALIZER(WordResult, word, "help");
cmdline_parse_token_string_t tok_show = TOKEN_STRING_INITIALIZER(ShowResult, show, "show");
cmdline_parse_token_string_t tok_show_what = TOKEN_STRING_INITIALIZER(ShowResult, what, "port#fwd");
cmdline_parse_token_string_t tok_show_stats = TOKEN_STRING_INITIALIZER(ShowResult, stats, "stats");
cmdline_parse_token_string_t tok_show_all = TOKEN_STRING_INITIALIZER(ShowResult, all, "all");
cmdline_parse_token_string_t tok_clear = TOKEN_STRING_INITIALIZER(ShowResult, show, "clear");
cmdline_parse_token_string_t tok_clear_port = TOKEN_STRING_INITIALIZER(ShowResult, what, "port");
cmdline_parse_token_string_t tok_cfg_config = TOKEN_STRING_INITIALIZER(ShowResult, what, "config");
cmdline_parse_token_string_t tok_cfg_fwd = TOKEN_STRING_INITIALIZER(ShowResult, stats, "fwd");
cmdline_parse_token_string_t tok_set = TOKEN_STRING_INITIALIZER(SetFwdResult, set, "set");
cmdline_parse_token_string_t tok_set_fwd = TOKEN_STRING_INITIALIZER(SetFwdResult, fwd, "fwd");
// "io#macswap#...": the engines of config/engines.hh, as cmdline wants a choice.
const char* engine_choices() {
  static const std::string s = [] {
    std::string r;
    for (auto n : config::kEngineNames)
      r += (r.empty() ? "" : "#") + std::string(n);
    return r;
  }();
  return s.c_str();
}
cmdline_parse_token_string_t tok_set_engine =
    TOKEN_STRING_INITIALIZER(SetFwdResult, engine, engine_choices());
cmdline_parse_token_string_t tok_setb = TOKEN_STRING_INITIALIZER(SetBurstResult, set, "set");
cmdline_parse_token_string_t tok_setb_burst =
    TOKEN_STRING_INITIALIZER(SetBurstResult, burst, "burst");
cmdline_parse_token_num_t tok_setb_n = TOKEN_NUM_INITIALIZER(SetBurstResult, n, RTE_UINT16);

// cmdline_parse_inst_t ends in a flexible array of tokens, which C++ cannot
// initialise statically: build each instruction once, on the heap.
cmdline_parse_inst_t* make_inst(void (*f)(void*, cmdline*, void*), const char* help,
                                std::initializer_list<void*> tokens) {
  const size_t size = sizeof(cmdline_parse_inst_t) + (tokens.size() + 1) * sizeof(void*);
  auto* inst = static_cast<cmdline_parse_inst_t*>(std::calloc(1, size));
  if (!inst) throw Error("console: out of memory");
  inst->f = f;
  inst->help_str = help;
  size_t i = 0;
  for (void* t : tokens)
    inst->tokens[i++] = static_cast<cmdline_parse_token_hdr_t*>(t);
  inst->tokens[i] = nullptr;
  return inst;
}

struct FreeDeleter {
  void operator()(cmdline_parse_inst_t* p) const noexcept { std::free(p); }
};

// The instructions live as long as the program and are freed at exit.
std::vector<cmdline_parse_inst_t*>& context() {
  static std::vector<std::unique_ptr<cmdline_parse_inst_t, FreeDeleter>> owned;
  static std::vector<cmdline_parse_inst_t*> ctx = [] {
    std::vector<cmdline_parse_inst_t*> v = {
        make_inst(flushed<on_start>, "start: start forwarding", {&tok_start}),
        make_inst(flushed<on_stop>, "stop: stop forwarding", {&tok_stop}),
        make_inst(on_quit, "quit: leave", {&tok_quit}),
        make_inst(flushed<on_help>, "help: list the commands", {&tok_help}),
        make_inst(flushed<on_show>, "show port|fwd stats all",
                  {&tok_show, &tok_show_what, &tok_show_stats, &tok_show_all}),
        make_inst(flushed<on_clear>, "clear port stats all",
                  {&tok_clear, &tok_clear_port, &tok_show_stats, &tok_show_all}),
        make_inst(flushed<on_show_config>, "show config fwd",
                  {&tok_show, &tok_cfg_config, &tok_cfg_fwd}),
        make_inst(flushed<on_set_fwd>, "set fwd <engine>",
                  {&tok_set, &tok_set_fwd, &tok_set_engine}),
        make_inst(flushed<on_set_burst>, "set burst <n>",
                  {&tok_setb, &tok_setb_burst, &tok_setb_n}),
    };
    for (auto* inst : v)
      owned.emplace_back(inst);
    v.push_back(nullptr);
    return v;
  }();
  return ctx;
}

}  // namespace

void run_console(engines::Dataplane& fwd, bool auto_start) {
  g_fwd = &fwd;
  if (auto_start) on_start(nullptr, nullptr, nullptr);
  std::fflush(stdout);
  cmdline* cl = cmdline_stdin_new(context().data(), "deltaplane> ");
  if (!cl) throw Error("console: cannot open the command line on stdin");
  // The console blocks in read(); link status is watched beside it, every
  // 100 ms as in the non-interactive control loop, so a cable pull is noticed.
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::thread links([&] {
    std::unique_lock lock(m);
    while (!cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return done; }))
      fwd.poll_links();
  });
  cmdline_interact(cl);  // returns on quit, end of input or an interrupted read
  {
    std::lock_guard lock(m);
    done = true;
  }
  cv.notify_one();
  links.join();
  cmdline_stdin_exit(cl);
  std::printf("\n");
  if (fwd.running()) on_stop(nullptr, nullptr, nullptr);
  g_fwd = nullptr;
}

}  // namespace deltaplane::control
