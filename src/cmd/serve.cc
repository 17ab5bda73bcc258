#include "cmd/serve.h"

#include <signal.h>

#include "base/log.h"
#include "cmd/data_dir.h"

namespace kura::cmd {

int Serve(const ServeOptions& options) {
  // Block the stop signals before any thread starts, then wait for one.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto data_dir = OpenDataDir(options.data_dir);
  if (!data_dir.ok()) {
    base::LogEvent(base::LogLevel::kError, "serve_failed",
                   {{"data_dir", options.data_dir}, {"error", data_dir.status().ToString()}});
    return 1;
  }
  base::LogEvent(base::LogLevel::kInfo, "serve_ready", {{"data_dir", data_dir->path}});
  int signal = 0;
  sigwait(&stop_signals, &signal);
  base::LogEvent(base::LogLevel::kInfo, "serve_stopping", {{"signal", std::to_string(signal)}});
  return 0;
}

}  // namespace kura::cmd
