#include "runtime/signals.hh"

#include <unistd.h>
#include <csignal>

namespace deltaplane::runtime {

namespace {

std::atomic<int> g_signal{0};
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "Signal handlers may only touch lock-free atomics.");

void on_signal(int sig) {
  if (g_stop.load() && sig == SIGINT) {
    static const char msg[] = "\ndeltaplane: second SIGINT, exiting now without cleanup\n";
    ssize_t rc = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)rc;
    _exit(130);
  }
  g_signal.store(sig);
  g_stop.store(true);
}

}  // namespace

void install_stop_signals() noexcept {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() noexcept {
  return g_stop.load(std::memory_order_relaxed);
}
void request_stop() noexcept {
  g_stop.store(true);
}
int stop_signal() noexcept {
  return g_signal.load();
}

}  // namespace deltaplane::runtime
