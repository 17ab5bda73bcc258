// Where a `kura encrypt` run tells what it does: one timestamped line per
// event ("19:02:11 i-0abc StopInstance"), and the stream and terminal flag
// the long waits draw their progress on (copy_progress.h: one status line
// redrawn on a terminal, plain lines otherwise). Never prints a secret: only
// ids, states and percentages reach it.
// Thread-safety: not thread-safe; one per run.
#pragma once

#include <iosfwd>
#include <string>

namespace kura::tools {

class ProgressReporter {
 public:
  ProgressReporter(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}

  void Line(const std::string& message);
  std::ostream& stream() { return out_; }
  bool terminal() const { return terminal_; }

 private:
  std::ostream& out_;
  bool terminal_;
};

}  // namespace kura::tools
