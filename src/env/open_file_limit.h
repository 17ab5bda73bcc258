// The process's limit on open file descriptors (RLIMIT_NOFILE). kura keeps
// one descriptor per hot chunk file open, so it raises the soft limit to the
// hard one at start rather than thrash at the conventional 1024.
// Thread-safety: call once at start, before threads open files.
#pragma once

#include <cstddef>

namespace kura::env {

// Raises the soft limit to the hard limit (when it can) and returns the soft
// limit now in force; 1024 when the limit cannot be read.
size_t RaiseOpenFileLimit();

}  // namespace kura::env
