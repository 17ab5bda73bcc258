// Progress of a `kura encrypt` run. On a terminal, a long step (snapshot,
// copy, image) rewrites one status line: its Progress %, the elapsed time
// and an estimate of what is left (elapsed * (100 - p) / p); elsewhere each
// event is a plain timestamped log line, and a long step logs a line when
// its progress moves by 10 points or more. Never prints a secret: only ids,
// states and percentages reach it.
// Thread-safety: not thread-safe; one per run.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>

namespace kura::tools {

class ProgressReporter {
 public:
  ProgressReporter(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}

  void Line(const std::string& message);
  // `what` at `percent` (0-100); the first call for a new `what` starts its clock.
  void Update(const std::string& what, int percent);
  // Ends the status line of `what`, if one is showing.
  void Done(const std::string& what);

  // "1m05s"
  static std::string Duration(std::chrono::seconds s);

 private:
  std::ostream& out_;
  bool terminal_;
  std::string current_;
  std::chrono::steady_clock::time_point started_;
  int last_logged_ = -100;
  bool line_open_ = false;
};

}  // namespace kura::tools
