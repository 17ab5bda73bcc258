#include "tools/encrypt_progress.h"

#include <chrono>
#include <ostream>

#include "tools/utc_time.h"

namespace kura::tools {

void ProgressReporter::Line(const std::string& message) {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  out_ << FormatUtc(now, "%H:%M:%S") << " " << message << std::endl;
}

}  // namespace kura::tools
