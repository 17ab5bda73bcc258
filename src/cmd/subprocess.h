// Runs a program (searched on PATH) and collects its standard output; its
// standard error goes to ours, so qemu-img's messages reach the user.
// Hand-written because no packaged library in the project's set spawns
// processes; it is posix_spawnp and a pipe.
// Thread-safety: functions only.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace kura::cmd {

struct ProcessResult {
  int exit_code = 0;  // 128 + N when killed by signal N
  std::string out;
};

base::Result<ProcessResult> RunProcess(const std::vector<std::string>& argv);

}  // namespace kura::cmd
