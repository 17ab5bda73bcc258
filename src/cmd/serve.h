// `kura serve`: opens the data directory and runs until SIGTERM or SIGINT.
#pragma once

#include <string>

namespace kura::cmd {

struct ServeOptions {
  std::string data_dir;
};

int Serve(const ServeOptions& options);

}  // namespace kura::cmd
